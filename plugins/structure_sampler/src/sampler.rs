//! The statistics behind StructureSampler, without the host: learn the distribution of each
//! categorical field (and of a field given its parents, for `dependencies`), the range of each
//! numeric field and a few exemplar records; then sample skeletons from them.

use std::collections::HashMap;

use blockforge_sdk::BlockError;
use serde_json::{Map, Number, Value, json};

/// Exemplar records drawn from the samples once per call.
pub const MAX_EXEMPLARS: usize = 5;
/// Exemplars shown with a skeleton when none has its categorical values.
pub const MAX_FALLBACK_EXEMPLARS: usize = 3;

/// What to sample: parsed from the block's config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spec {
    /// Fields whose values are sampled with their observed frequencies.
    pub categorical: Vec<String>,
    /// Fields whose observed range is given as a hint (`<field>_range`).
    pub numeric: Vec<String>,
    /// Field → the fields its distribution depends on.
    pub dependencies: Vec<(String, Vec<String>)>,
}

/// Observed values of one field and how often each occurred, in first-seen order.
#[derive(Debug, Clone, Default)]
struct Counts {
    values: Vec<Value>,
    counts: Vec<u64>,
    index: HashMap<String, usize>,
    total: u64,
}

impl Counts {
    fn add(&mut self, value: &Value) {
        let key = value.to_string();
        let slot = *self.index.entry(key).or_insert_with(|| {
            self.values.push(value.clone());
            self.counts.push(0);
            self.values.len() - 1
        });
        self.counts[slot] += 1;
        self.total += 1;
    }

    /// One value drawn with probability count / total.
    fn draw(&self, rng: &mut fastrand::Rng) -> Value {
        if self.total == 0 {
            return Value::Null;
        }
        let mut ticket = rng.u64(0..self.total);
        for (value, count) in self.values.iter().zip(&self.counts) {
            if ticket < *count {
                return value.clone();
            }
            ticket -= count;
        }
        Value::Null
    }
}

/// What was learnt from the samples.
#[derive(Debug, Clone)]
pub struct Profile {
    marginals: HashMap<String, Counts>,
    /// child field → (JSON text of its parents' values → counts of the child's values).
    conditionals: HashMap<String, HashMap<String, Counts>>,
    ranges: Vec<(String, Value, Value)>,
    exemplars: Vec<Map<String, Value>>,
}

/// The order to sample the categorical fields in: every field after the fields it depends on,
/// fields that are ready at the same time in name order. Errors name a dependency on a field
/// that is not sampled and a cycle.
pub fn field_order(spec: &Spec) -> Result<Vec<String>, BlockError> {
    let parents_of = |field: &str| {
        spec.dependencies
            .iter()
            .find(|(child, _)| child == field)
            .map(|(_, parents)| parents.as_slice())
            .unwrap_or_default()
    };
    for (child, parents) in &spec.dependencies {
        if !spec.categorical.contains(child) {
            continue;
        }
        if let Some(parent) = parents.iter().find(|p| !spec.categorical.contains(p)) {
            return Err(BlockError::invalid_input(format!(
                "dependencies: '{child}' depends on '{parent}', which is not one of categorical_fields"
            ))
            .with_detail(json!({"categorical_fields": spec.categorical})));
        }
    }
    let mut order: Vec<String> = Vec::new();
    let mut remaining: Vec<&String> = spec.categorical.iter().collect();
    remaining.dedup();
    while !remaining.is_empty() {
        let mut ready: Vec<&String> = remaining
            .iter()
            .copied()
            .filter(|field| parents_of(field).iter().all(|p| order.contains(p)))
            .collect();
        if ready.is_empty() {
            return Err(BlockError::invalid_input(format!(
                "dependencies form a cycle among {}",
                remaining
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .with_detail(json!({"dependencies": spec
                .dependencies
                .iter()
                .map(|(child, parents)| (child.clone(), json!(parents)))
                .collect::<Map<String, Value>>()})));
        }
        ready.sort();
        remaining.retain(|field| !ready.contains(field));
        order.extend(ready.into_iter().cloned());
    }
    Ok(order)
}

fn parents_key(record: &Map<String, Value>, parents: &[String]) -> String {
    let values: Vec<&Value> = parents
        .iter()
        .map(|p| record.get(p).unwrap_or(&Value::Null))
        .collect();
    serde_json::to_string(&values).unwrap_or_default()
}

/// A numeric reading of `value`: numbers, and strings holding one.
fn as_number(value: &Value) -> Option<(f64, Value)> {
    match value {
        Value::Number(n) => n.as_f64().map(|f| (f, value.clone())),
        Value::String(text) => {
            let f: f64 = text.trim().parse().ok()?;
            Number::from_f64(f).map(|n| (f, Value::Number(n)))
        }
        _ => None,
    }
}

/// Learns the distributions of `spec`'s fields from `samples` and draws the exemplars.
pub fn analyze(spec: &Spec, samples: &[Map<String, Value>], rng: &mut fastrand::Rng) -> Profile {
    let value_of = |sample: &Map<String, Value>, field: &str| {
        sample.get(field).cloned().unwrap_or(Value::Null)
    };
    let mut marginals = HashMap::new();
    for field in &spec.categorical {
        let counts: &mut Counts = marginals.entry(field.clone()).or_default();
        for sample in samples {
            counts.add(&value_of(sample, field));
        }
    }
    let mut conditionals: HashMap<String, HashMap<String, Counts>> = HashMap::new();
    for (child, parents) in &spec.dependencies {
        if !spec.categorical.contains(child) {
            continue;
        }
        let by_parents = conditionals.entry(child.clone()).or_default();
        for sample in samples {
            by_parents
                .entry(parents_key(sample, parents))
                .or_default()
                .add(&value_of(sample, child));
        }
    }
    let ranges = spec
        .numeric
        .iter()
        .filter_map(|field| {
            let mut numbers = samples
                .iter()
                .filter_map(|s| s.get(field).and_then(as_number));
            let first = numbers.next()?;
            let (low, high) = numbers.fold((first.clone(), first), |(low, high), n| {
                (
                    if n.0 < low.0 { n.clone() } else { low },
                    if n.0 > high.0 { n } else { high },
                )
            });
            Some((field.clone(), low.1, high.1))
        })
        .collect();
    let mut indices: Vec<usize> = (0..samples.len()).collect();
    let picked = MAX_EXEMPLARS.min(samples.len());
    for i in 0..picked {
        let j = rng.usize(i..indices.len());
        indices.swap(i, j);
    }
    let exemplars = indices[..picked]
        .iter()
        .map(|&i| samples[i].clone())
        .collect();
    Profile {
        marginals,
        conditionals,
        ranges,
        exemplars,
    }
}

/// `count` skeletons: the categorical fields sampled in `order` (a field with dependencies from
/// its distribution given the parents sampled before it, or its marginal distribution when the
/// samples never showed those parent values), and `_hints` with the numeric ranges and the
/// exemplars sharing the skeleton's categorical values (or the first few exemplars).
pub fn skeletons(
    spec: &Spec,
    profile: &Profile,
    order: &[String],
    count: usize,
    rng: &mut fastrand::Rng,
) -> Vec<Map<String, Value>> {
    let empty = Counts::default();
    (0..count)
        .map(|_| {
            let mut skeleton = Map::new();
            for field in order {
                let parents = spec
                    .dependencies
                    .iter()
                    .find(|(child, _)| child == field)
                    .map(|(_, parents)| parents);
                let conditional = parents.and_then(|parents| {
                    profile
                        .conditionals
                        .get(field)?
                        .get(&parents_key(&skeleton, parents))
                });
                let counts = conditional
                    .or_else(|| profile.marginals.get(field))
                    .unwrap_or(&empty);
                skeleton.insert(field.clone(), counts.draw(rng));
            }
            skeleton.insert(
                "_hints".to_owned(),
                Value::Object(hints(spec, profile, &skeleton)),
            );
            skeleton
        })
        .collect()
}

fn hints(spec: &Spec, profile: &Profile, skeleton: &Map<String, Value>) -> Map<String, Value> {
    let mut hints = Map::new();
    for (field, low, high) in &profile.ranges {
        hints.insert(format!("{field}_range"), json!([low, high]));
    }
    let matching: Vec<&Map<String, Value>> = profile
        .exemplars
        .iter()
        .filter(|exemplar| {
            spec.categorical.iter().all(|f| {
                exemplar.get(f).unwrap_or(&Value::Null) == skeleton.get(f).unwrap_or(&Value::Null)
            })
        })
        .collect();
    let shown: Vec<&Map<String, Value>> = if matching.is_empty() {
        profile
            .exemplars
            .iter()
            .take(MAX_FALLBACK_EXEMPLARS)
            .collect()
    } else {
        matching
    };
    hints.insert("exemplars".to_owned(), json!(shown));
    hints
}

#[cfg(test)]
mod tests {
    use super::*;
    use augment_support::stats::chi_square;

    fn records(value: Value) -> Vec<Map<String, Value>> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_object().unwrap().clone())
            .collect()
    }

    fn spec(categorical: &[&str], numeric: &[&str], deps: &[(&str, &[&str])]) -> Spec {
        Spec {
            categorical: categorical.iter().map(|s| s.to_string()).collect(),
            numeric: numeric.iter().map(|s| s.to_string()).collect(),
            dependencies: deps
                .iter()
                .map(|(c, p)| (c.to_string(), p.iter().map(|s| s.to_string()).collect()))
                .collect(),
        }
    }

    fn sample_many(
        spec: &Spec,
        samples: &[Map<String, Value>],
        n: usize,
        seed: u64,
    ) -> Vec<Map<String, Value>> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let profile = analyze(spec, samples, &mut rng);
        let order = field_order(spec).unwrap();
        skeletons(spec, &profile, &order, n, &mut rng)
    }

    fn count(skeletons: &[Map<String, Value>], pred: impl Fn(&Map<String, Value>) -> bool) -> u64 {
        skeletons.iter().filter(|s| pred(s)).count() as u64
    }

    /// 12 plans: Free 6, Pro 4, Enterprise 2; role given plan: Free → Viewer 5 / Editor 1,
    /// Pro → Editor 2 / Admin 2, Enterprise → Admin 2.
    fn plan_role_samples() -> Vec<Map<String, Value>> {
        let mut out = Vec::new();
        let rows: [(&str, &str, usize); 5] = [
            ("Free", "Viewer", 5),
            ("Free", "Editor", 1),
            ("Pro", "Editor", 2),
            ("Pro", "Admin", 2),
            ("Enterprise", "Admin", 2),
        ];
        for (plan, role, n) in rows {
            for i in 0..n {
                out.push(
                    json!({"plan": plan, "role": role, "storage": i * 10})
                        .as_object()
                        .unwrap()
                        .clone(),
                );
            }
        }
        out
    }

    // χ² critical values at p = 0.001: df 1 → 10.83, df 2 → 13.82. With a fixed seed the test
    // is deterministic; the bound is what a faithful sampler passes 999 times in 1000.
    const CHI2_DF1: f64 = 10.83;
    const CHI2_DF2: f64 = 13.82;

    #[test]
    fn marginals_match_the_samples_on_ten_thousand_draws() {
        let spec = spec(&["plan", "role"], &[], &[]);
        let out = sample_many(&spec, &plan_role_samples(), 10_000, 7);
        let plans = ["Free", "Pro", "Enterprise"].map(|p| count(&out, |s| s["plan"] == p));
        assert_eq!(plans.iter().sum::<u64>(), 10_000);
        let chi = chi_square(&plans, &[6.0 / 12.0, 4.0 / 12.0, 2.0 / 12.0]);
        assert!(chi < CHI2_DF2, "plan χ² {chi} for {plans:?}");
        let roles = ["Viewer", "Editor", "Admin"].map(|r| count(&out, |s| s["role"] == r));
        let chi = chi_square(&roles, &[5.0 / 12.0, 3.0 / 12.0, 4.0 / 12.0]);
        assert!(chi < CHI2_DF2, "role χ² {chi} for {roles:?}");
    }

    #[test]
    fn conditionals_match_the_samples_on_ten_thousand_draws() {
        let spec = spec(&["role", "plan"], &[], &[("role", &["plan"])]);
        let out = sample_many(&spec, &plan_role_samples(), 10_000, 11);
        // Never a combination the samples do not have.
        assert_eq!(
            count(&out, |s| s["plan"] == "Enterprise" && s["role"] != "Admin"),
            0
        );
        assert_eq!(
            count(&out, |s| s["plan"] == "Pro" && s["role"] == "Viewer"),
            0
        );
        let free =
            ["Viewer", "Editor"].map(|r| count(&out, |s| s["plan"] == "Free" && s["role"] == r));
        let chi = chi_square(&free, &[5.0 / 6.0, 1.0 / 6.0]);
        assert!(chi < CHI2_DF1, "role | Free χ² {chi} for {free:?}");
        let pro =
            ["Editor", "Admin"].map(|r| count(&out, |s| s["plan"] == "Pro" && s["role"] == r));
        let chi = chi_square(&pro, &[0.5, 0.5]);
        assert!(chi < CHI2_DF1, "role | Pro χ² {chi} for {pro:?}");
        let plans = ["Free", "Pro", "Enterprise"].map(|p| count(&out, |s| s["plan"] == p));
        let chi = chi_square(&plans, &[0.5, 4.0 / 12.0, 2.0 / 12.0]);
        assert!(chi < CHI2_DF2, "plan χ² {chi} for {plans:?}");
    }

    #[test]
    fn a_sampler_that_ignores_dependencies_fails_the_conditional_check() {
        // The same check against independent sampling: the test can tell the difference.
        let independent = spec(&["role", "plan"], &[], &[]);
        let out = sample_many(&independent, &plan_role_samples(), 10_000, 11);
        assert!(count(&out, |s| s["plan"] == "Enterprise" && s["role"] != "Admin") > 0);
    }

    #[test]
    fn the_same_seed_gives_the_same_skeletons_and_another_seed_others() {
        let spec = spec(&["plan", "role"], &["storage"], &[("role", &["plan"])]);
        let a = sample_many(&spec, &plan_role_samples(), 50, 42);
        let b = sample_many(&spec, &plan_role_samples(), 50, 42);
        let c = sample_many(&spec, &plan_role_samples(), 50, 43);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn unseen_parent_values_fall_back_to_the_marginal() {
        // `tier` has a value never seen with a `role`: the conditional table has no row for it.
        let samples = records(json!([
            {"tier": "a", "role": "x"}, {"tier": "b", "role": "y"}
        ]));
        let spec = spec(&["tier", "role"], &[], &[("role", &["tier"])]);
        let mut rng = fastrand::Rng::with_seed(1);
        let mut profile = analyze(&spec, &samples, &mut rng);
        profile.marginals.get_mut("tier").unwrap().add(&json!("c"));
        let order = field_order(&spec).unwrap();
        let out = skeletons(&spec, &profile, &order, 400, &mut rng);
        let unseen: Vec<_> = out.iter().filter(|s| s["tier"] == "c").collect();
        assert!(!unseen.is_empty());
        assert!(unseen.iter().any(|s| s["role"] == "x") && unseen.iter().any(|s| s["role"] == "y"));
    }

    #[test]
    fn hints_give_numeric_ranges_and_matching_exemplars() {
        let samples = records(json!([
            {"plan": "Free", "storage": 1}, {"plan": "Free", "storage": "2"},
            {"plan": "Pro", "storage": 50}, {"plan": "Pro", "storage": "n/a"}
        ]));
        let spec = spec(&["plan"], &["storage", "missing"], &[]);
        let out = sample_many(&spec, &samples, 20, 3);
        for skeleton in &out {
            let hints = skeleton["_hints"].as_object().unwrap();
            assert_eq!(hints["storage_range"], json!([1, 50]));
            assert!(!hints.contains_key("missing_range"));
            let exemplars = hints["exemplars"].as_array().unwrap();
            assert!(!exemplars.is_empty());
            assert!(
                exemplars.iter().all(|e| e["plan"] == skeleton["plan"]),
                "{skeleton:?}"
            );
        }
    }

    #[test]
    fn without_a_matching_exemplar_the_first_three_are_shown() {
        let samples = records(json!([
            {"k": 1}, {"k": 2}, {"k": 3}, {"k": 4}, {"k": 5}, {"k": 6}
        ]));
        let spec = spec(&["k"], &[], &[]);
        let mut rng = fastrand::Rng::with_seed(5);
        let mut profile = analyze(&spec, &samples, &mut rng);
        assert_eq!(profile.exemplars.len(), MAX_EXEMPLARS);
        profile.marginals.insert("k".to_owned(), {
            let mut c = Counts::default();
            c.add(&json!(99));
            c
        });
        let out = skeletons(&spec, &profile, &field_order(&spec).unwrap(), 1, &mut rng);
        assert_eq!(
            out[0]["_hints"]["exemplars"].as_array().unwrap().len(),
            MAX_FALLBACK_EXEMPLARS
        );
    }

    #[test]
    fn field_order_puts_parents_first_and_refuses_cycles_and_unknown_parents() {
        let s = spec(&["c", "b", "a"], &[], &[("c", &["b"]), ("b", &["a"])]);
        assert_eq!(field_order(&s).unwrap(), ["a", "b", "c"]);
        let s = spec(&["z", "y"], &[], &[]);
        assert_eq!(field_order(&s).unwrap(), ["y", "z"]);
        let s = spec(&["a", "b"], &[], &[("a", &["b"]), ("b", &["a"])]);
        let err = field_order(&s).unwrap_err();
        assert!(err.message.contains("cycle among a, b"), "{}", err.message);
        let s = spec(&["role"], &[], &[("role", &["plan"])]);
        let err = field_order(&s).unwrap_err();
        assert!(
            err.message
                .contains("'plan', which is not one of categorical_fields"),
            "{}",
            err.message
        );
        // A dependency of a field that is not sampled is ignored, as DataGenFlow does.
        let s = spec(&["plan"], &[], &[("bio", &["plan"])]);
        assert_eq!(field_order(&s).unwrap(), ["plan"]);
    }

    #[test]
    fn a_missing_field_counts_as_null() {
        let samples = records(json!([{"plan": "Free"}, {}]));
        let out = sample_many(&spec(&["plan"], &[], &[]), &samples, 200, 9);
        assert!(out.iter().any(|s| s["plan"].is_null()));
        assert!(out.iter().any(|s| s["plan"] == "Free"));
    }
}
