//! What ScenarioSampler draws, without the host: the spec merged from a preset, the common
//! parameters and the config's own values; one scenario drawn from it; and the prompt text
//! that summarises a scenario.

use blockforge_sdk::BlockError;
use serde_json::{Map, Value};

use crate::presets::{self, COMMON};
use crate::weighted::Weighted;

/// Keys of a scenario that are not parameters.
const RESERVED: [&str; 2] = ["domain", "subdomain"];

/// The config as written, before it is merged with a preset.
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    /// `preset`: the id of a shipped domain.
    pub preset: Option<&'a str>,
    /// `domain`: replaces the preset's.
    pub domain: Option<&'a str>,
    /// `subdomains`: replace the preset's.
    pub subdomains: Option<&'a Value>,
    /// `parameters`: each replaces the preset's or common parameter of its name, adds one, or
    /// (null or empty) removes it.
    pub parameters: &'a Map<String, Value>,
    /// `common_parameters`: whether the common parameters are drawn.
    pub common_parameters: bool,
}

/// What to draw: a domain, its weighted subdomains and weighted parameters, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The domain, the same in every scenario.
    pub domain: String,
    /// Subdomains, when there are any.
    pub subdomains: Option<Weighted>,
    /// Parameter name → its weighted values.
    pub parameters: Vec<(String, Weighted)>,
}

/// Merges the config over its preset and the common parameters. Errors name the key at fault.
pub fn spec(written: Written<'_>) -> Result<Spec, BlockError> {
    let preset = match written.preset {
        None => None,
        Some(id) => Some(presets::find(id).ok_or_else(|| {
            BlockError::invalid_config(format!(
                "preset {id:?} is not one of {}",
                presets::PRESETS
                    .iter()
                    .map(|p| p.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?),
    };
    let domain = match (written.domain.map(str::trim), preset) {
        (Some(domain), _) if !domain.is_empty() => domain.to_owned(),
        (_, Some(preset)) => preset.domain.to_owned(),
        _ => {
            return Err(BlockError::invalid_config(
                "set `domain` (e.g. \"customer support\") or a `preset`",
            ));
        }
    };
    let subdomains = match (written.subdomains, preset) {
        (Some(Value::Null) | None, Some(preset)) => Some(Weighted::from_pairs(preset.subdomains)),
        (Some(Value::Null) | None, None) => None,
        (Some(value), _) if is_empty(value) => None,
        (Some(value), _) => Some(Weighted::parse(value, "subdomains")?),
    };
    let mut parameters: Vec<(String, Weighted)> = Vec::new();
    if let Some(preset) = preset {
        for (name, pairs) in preset.parameters {
            parameters.push(((*name).to_owned(), Weighted::from_pairs(pairs)));
        }
    }
    if written.common_parameters {
        for (name, pairs) in COMMON {
            parameters.push(((*name).to_owned(), Weighted::from_pairs(pairs)));
        }
    }
    for (name, value) in written.parameters {
        if name.trim().is_empty() || RESERVED.contains(&name.as_str()) {
            return Err(BlockError::invalid_config(format!(
                "parameters: {name:?} cannot be a parameter's name (empty, or a key the scenario sets itself: {})",
                RESERVED.join(", ")
            )));
        }
        let position = parameters.iter().position(|(existing, _)| existing == name);
        if is_empty(value) {
            if let Some(index) = position {
                parameters.remove(index);
            }
            continue;
        }
        let list = Weighted::parse(value, &format!("parameters.{name}"))?;
        match position {
            Some(index) => parameters[index].1 = list,
            None => parameters.push((name.clone(), list)),
        }
    }
    Ok(Spec {
        domain,
        subdomains,
        parameters,
    })
}

/// Null, `{}` and `[]`: "none" in `subdomains` and `parameters`.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// One scenario: the domain, a subdomain and one value of each parameter, drawn in order.
pub fn draw(spec: &Spec, rng: &mut fastrand::Rng) -> Map<String, Value> {
    let mut scenario = Map::new();
    scenario.insert("domain".to_owned(), Value::String(spec.domain.clone()));
    if let Some(subdomains) = &spec.subdomains {
        scenario.insert(
            "subdomain".to_owned(),
            Value::String(subdomains.draw(rng).to_owned()),
        );
    }
    for (name, values) in &spec.parameters {
        scenario.insert(name.clone(), Value::String(values.draw(rng).to_owned()));
    }
    scenario
}

/// A scenario as text for a generator's prompt: one `Label: value` line per key, the label
/// being the key with spaces for underscores and a capital first letter.
pub fn prompt(scenario: &Map<String, Value>) -> String {
    scenario
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            format!("{}: {value}", label(key))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn label(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The random stream of one expansion: the config's `seed`, the seed row it expands (its
/// metadata as JSON text) and how many expansions of an identical row the job made before
/// (`occurrence`), mixed with SplitMix64 so that nearby inputs give unrelated streams.
pub fn stream(seed: i64, seed_row: &str, occurrence: u64) -> u64 {
    let row = fnv1a(seed_row.as_bytes());
    splitmix(seed.cast_unsigned() ^ splitmix(row ^ splitmix(occurrence)))
}

/// 64-bit FNV-1a: a stable hash of the seed row (std's hasher may change between releases).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn written<'a>(preset: Option<&'a str>, parameters: &'a Map<String, Value>) -> Written<'a> {
        Written {
            preset,
            domain: None,
            subdomains: None,
            parameters,
            common_parameters: true,
        }
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn names(spec: &Spec) -> Vec<&str> {
        spec.parameters.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn a_preset_gives_its_domain_subdomains_parameters_and_the_common_ones() {
        let none = Map::new();
        let spec = spec(written(Some("customer_support"), &none)).unwrap();
        assert_eq!(spec.domain, "customer support");
        assert_eq!(spec.subdomains.as_ref().unwrap().entries().len(), 5);
        assert_eq!(
            names(&spec),
            [
                "channel",
                "customer_expertise",
                "resolution",
                "conversation_type",
                "complexity",
                "question_structure",
                "emotional_tone",
                "communication_style"
            ]
        );
        let scenario = draw(&spec, &mut fastrand::Rng::with_seed(1));
        let keys: Vec<&str> = scenario.keys().map(String::as_str).collect();
        assert_eq!(keys[..2], ["domain", "subdomain"]);
        assert_eq!(keys.len(), 2 + 8);
    }

    #[test]
    fn every_preset_makes_a_spec() {
        let none = Map::new();
        for preset in presets::PRESETS {
            let spec = spec(written(Some(preset.id), &none)).unwrap();
            assert_eq!(spec.domain, preset.domain);
        }
    }

    #[test]
    fn the_config_overrides_adds_and_removes_parameters() {
        let parameters = object(json!({
            "channel": {"sms": 1},
            "product": ["router", "modem"],
            "emotional_tone": {},
            "complexity": null
        }));
        let subdomains = json!({"billing": 3, "outages": 1});
        let spec = spec(Written {
            preset: Some("customer_support"),
            domain: Some("ISP support"),
            subdomains: Some(&subdomains),
            parameters: &parameters,
            common_parameters: true,
        })
        .unwrap();
        assert_eq!(spec.domain, "ISP support");
        assert_eq!(
            spec.subdomains.as_ref().unwrap().to_json(),
            json!({"billing": 3.0, "outages": 1.0})
        );
        assert_eq!(
            names(&spec),
            [
                "channel",
                "customer_expertise",
                "resolution",
                "conversation_type",
                "question_structure",
                "communication_style",
                "product"
            ]
        );
        assert_eq!(spec.parameters[0].1.to_json(), json!({"sms": 1.0}));
    }

    #[test]
    fn without_a_preset_the_domain_is_required_and_common_parameters_can_be_off() {
        let none = Map::new();
        let err = spec(written(None, &none)).unwrap_err();
        assert!(err.message.contains("set `domain`"), "{}", err.message);
        let spec = spec(Written {
            preset: None,
            domain: Some("gardening"),
            subdomains: None,
            parameters: &object(json!({"season": {"spring": 1, "autumn": 1}})),
            common_parameters: false,
        })
        .unwrap();
        assert_eq!(spec.subdomains, None);
        assert_eq!(names(&spec), ["season"]);
        let scenario = draw(&spec, &mut fastrand::Rng::with_seed(2));
        assert_eq!(scenario.len(), 2);
        assert_eq!(scenario["domain"], "gardening");
    }

    #[test]
    fn bad_presets_and_parameter_names_are_refused() {
        let none = Map::new();
        let err = spec(written(Some("cooking"), &none)).unwrap_err();
        assert!(
            err.message
                .contains("preset \"cooking\" is not one of customer_support"),
            "{}",
            err.message
        );
        for bad in [json!({"domain": ["x"]}), json!({"": ["x"]})] {
            let parameters = object(bad);
            let err = spec(written(Some("legal"), &parameters)).unwrap_err();
            assert!(err.message.contains("cannot be a parameter's name"));
        }
        let parameters = object(json!({"tone": {"calm": -2}}));
        let err = spec(written(Some("legal"), &parameters)).unwrap_err();
        assert!(
            err.message.starts_with("parameters.tone"),
            "{}",
            err.message
        );
    }

    #[test]
    fn scenarios_follow_the_preset_weights_on_ten_thousand_draws() {
        // χ² critical values at p = 0.001: df 2 → 13.82, df 4 → 18.47.
        let none = Map::new();
        let spec = spec(written(Some("customer_support"), &none)).unwrap();
        let mut rng = fastrand::Rng::with_seed(23);
        let scenarios: Vec<_> = (0..10_000).map(|_| draw(&spec, &mut rng)).collect();
        let observed = |key: &str, list: &Weighted| -> (Vec<u64>, Vec<f64>) {
            let counts = list
                .entries()
                .iter()
                .map(|(value, _)| scenarios.iter().filter(|s| s[key] == *value).count() as u64)
                .collect();
            let expected = (0..list.entries().len())
                .map(|i| list.probability(i))
                .collect();
            (counts, expected)
        };
        let (counts, expected) = observed("subdomain", spec.subdomains.as_ref().unwrap());
        let chi = augment_support::stats::chi_square(&counts, &expected);
        assert!(chi < 18.47, "subdomain χ² {chi} for {counts:?}");
        let complexity = &spec
            .parameters
            .iter()
            .find(|(n, _)| n == "complexity")
            .unwrap()
            .1;
        let (counts, expected) = observed("complexity", complexity);
        let chi = augment_support::stats::chi_square(&counts, &expected);
        assert!(chi < 13.82, "complexity χ² {chi} for {counts:?}");
    }

    #[test]
    fn the_prompt_has_one_line_per_key_with_readable_labels() {
        let scenario = object(json!({
            "domain": "legal", "subdomain": "employment law", "emotional_tone": "worried"
        }));
        assert_eq!(
            prompt(&scenario),
            "Domain: legal\nSubdomain: employment law\nEmotional tone: worried"
        );
    }

    #[test]
    fn streams_differ_by_seed_row_and_occurrence_and_repeat_for_the_same_inputs() {
        let a = stream(42, "{}", 0);
        assert_eq!(a, stream(42, "{}", 0));
        assert_ne!(a, stream(43, "{}", 0));
        assert_ne!(a, stream(42, "{\"topic\":\"x\"}", 0));
        assert_ne!(a, stream(42, "{}", 1));
        // Negative seeds are as good as any.
        assert_ne!(stream(-1, "{}", 0), stream(1, "{}", 0));
    }
}
