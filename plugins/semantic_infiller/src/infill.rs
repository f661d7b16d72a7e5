//! Filling skeletons, without the host: the model and the embedder are passed in, so the
//! diversity retries are tested natively.
//!
//! Each skeleton is filled in turn. With diversity on, the answer's text (its string fields to
//! write) is embedded and compared with every record written before it — earlier skeletons of
//! this call and the records other runs of the job logged — and while the closest is at least
//! `threshold` similar, the model is asked again (up to `retries` times) at a slightly higher
//! temperature, with the closest records as examples not to follow.

use augment_support::records::without_internal;
use augment_support::similarity::cosine;
use blockforge_sdk::BlockError;
use serde_json::{Map, Value};

use crate::prompt;

/// Temperature added per retry, as DataGenFlow does.
pub const TEMPERATURE_STEP: f32 = 0.1;
/// Highest temperature a retry asks for (providers refuse more).
pub const MAX_TEMPERATURE: f32 = 2.0;

/// The diversity check's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Diversity {
    /// Similarity at or above which an answer is asked again.
    pub threshold: f64,
    /// Retries per skeleton.
    pub retries: u32,
    /// Closest records shown in a retry's prompt.
    pub negatives: usize,
}

/// How to fill.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Fields the model writes.
    pub fields: Vec<String>,
    /// System prompt.
    pub system: String,
    /// Temperature of a first attempt.
    pub temperature: f32,
    /// The diversity check, when on.
    pub diversity: Option<Diversity>,
}

/// What the block needs from the host.
pub trait Model {
    /// One structured answer: the model's JSON object.
    fn generate(
        &mut self,
        system: &str,
        prompt: &str,
        schema: &Value,
        temperature: f32,
    ) -> Result<Map<String, Value>, BlockError>;
    /// The embedding of `text`.
    fn embed(&mut self, text: &str) -> Result<Vec<f32>, BlockError>;
}

/// Records written before: their embeddings and the fields the model wrote for them.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Embedding of each record.
    pub vectors: Vec<Vec<f32>>,
    /// The fields the model wrote, per record (shown in retry prompts).
    pub items: Vec<Value>,
}

/// The result of one call.
#[derive(Debug, Default)]
pub struct Filled {
    /// One complete record per skeleton.
    pub samples: Vec<Map<String, Value>>,
    /// The embeddings of this call's records (and their written fields), for the job's log.
    pub new: Vec<(Vec<f32>, Value)>,
    /// Model calls made.
    pub calls: u32,
    /// Warnings for the block's log.
    pub notes: Vec<String>,
}

/// Fills every skeleton. `earlier` holds the records written before and grows with this
/// call's; with diversity on, `refresh` adds to it, before each skeleton, what other runs of
/// the job logged since it last looked.
pub fn fill(
    skeletons: &[Map<String, Value>],
    settings: &Settings,
    earlier: &mut Written,
    model: &mut impl Model,
    refresh: &mut dyn FnMut(&mut Written) -> Result<(), BlockError>,
) -> Result<Filled, BlockError> {
    let mut filled = Filled::default();
    let mut diversity = settings.diversity;
    for (index, skeleton) in skeletons.iter().enumerate() {
        if diversity.is_some() {
            refresh(earlier)?;
        }
        let locked = without_internal(skeleton);
        let hints = skeleton
            .get("_hints")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let schema = prompt::answer_schema(&settings.fields, &hints);
        let mut closest: Vec<Value> = Vec::new();
        let mut attempt = 0u32;
        loop {
            let negatives: Vec<&Value> = closest.iter().collect();
            let text = prompt::build(&settings.fields, &locked, &hints, &negatives);
            let temperature =
                (settings.temperature + TEMPERATURE_STEP * attempt as f32).min(MAX_TEMPERATURE);
            filled.calls += 1;
            let answer = model
                .generate(&settings.system, &text, &schema, temperature)
                .map_err(|e| {
                    BlockError::new(e.code, format!("skeleton {index}: {}", e.message))
                        .with_detail(serde_json::json!({"skeleton": locked, "attempt": attempt}))
                })?;
            let written: Map<String, Value> = settings
                .fields
                .iter()
                .filter(|f| !locked.contains_key(*f))
                .filter_map(|f| Some((f.clone(), answer.get(f)?.clone())))
                .collect();
            let Some(check) = diversity else {
                filled.samples.push(merge(&locked, &written));
                break;
            };
            let embedded: Vec<&str> = settings
                .fields
                .iter()
                .filter_map(|f| written.get(f).and_then(Value::as_str))
                .collect();
            if embedded.is_empty() {
                filled.samples.push(merge(&locked, &written));
                break;
            }
            let vector = match model.embed(&embedded.join(" ")) {
                Ok(vector) => vector,
                Err(e) => {
                    filled.notes.push(format!(
                        "the embedding call failed, so this call checks no more records for diversity: {}",
                        e.message
                    ));
                    diversity = None;
                    filled.samples.push(merge(&locked, &written));
                    break;
                }
            };
            let mut ranked = Vec::with_capacity(earlier.vectors.len());
            for (i, other) in earlier.vectors.iter().enumerate() {
                ranked.push((cosine(&vector, other)?, i));
            }
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
            let best = ranked.first().map_or(0.0, |r| r.0);
            if best >= check.threshold && attempt < check.retries {
                closest = ranked
                    .iter()
                    .take(check.negatives)
                    .map(|&(_, i)| earlier.items[i].clone())
                    .collect();
                attempt += 1;
                continue;
            }
            if best >= check.threshold {
                filled.notes.push(format!(
                    "skeleton {index}: still {best:.2} similar to an earlier record after {} retries",
                    check.retries
                ));
            }
            let item = Value::Object(written.clone());
            earlier.vectors.push(vector.clone());
            earlier.items.push(item.clone());
            filled.new.push((vector, item));
            filled.samples.push(merge(&locked, &written));
            break;
        }
    }
    Ok(filled)
}

/// The skeleton's fixed values, then the written ones (a written value never replaces a fixed
/// one: the model may not change what was sampled).
fn merge(locked: &Map<String, Value>, written: &Map<String, Value>) -> Map<String, Value> {
    let mut record = locked.clone();
    for (key, value) in written {
        record.entry(key.clone()).or_insert_with(|| value.clone());
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A scripted model: answers in turn from `answers`, embeds by looking the text up.
    struct Scripted {
        answers: Vec<Value>,
        vectors: Vec<(&'static str, Vec<f32>)>,
        prompts: Vec<String>,
        temperatures: Vec<f32>,
        embed_fails: bool,
    }

    impl Scripted {
        fn new(answers: Vec<Value>) -> Self {
            Scripted {
                answers,
                vectors: vec![
                    ("alpha", vec![1.0, 0.0, 0.0]),
                    ("alpha again", vec![0.99, 0.05, 0.0]),
                    ("beta", vec![0.0, 1.0, 0.0]),
                    ("gamma", vec![0.0, 0.0, 1.0]),
                ],
                prompts: Vec::new(),
                temperatures: Vec::new(),
                embed_fails: false,
            }
        }
    }

    impl Model for Scripted {
        fn generate(
            &mut self,
            _system: &str,
            prompt: &str,
            _schema: &Value,
            temperature: f32,
        ) -> Result<Map<String, Value>, BlockError> {
            self.prompts.push(prompt.to_owned());
            self.temperatures.push(temperature);
            let answer = self.answers.remove(0);
            Ok(answer.as_object().cloned().unwrap())
        }

        fn embed(&mut self, text: &str) -> Result<Vec<f32>, BlockError> {
            if self.embed_fails {
                return Err(BlockError::host("no embedding model"));
            }
            Ok(self
                .vectors
                .iter()
                .find(|(t, _)| *t == text)
                .unwrap()
                .1
                .clone())
        }
    }

    fn skeletons(n: usize) -> Vec<Map<String, Value>> {
        (0..n)
            .map(|_| {
                json!({"plan": "Pro", "_hints": {"exemplars": []}})
                    .as_object()
                    .cloned()
                    .unwrap()
            })
            .collect()
    }

    fn settings(diversity: Option<Diversity>) -> Settings {
        Settings {
            fields: vec!["bio".to_owned()],
            system: "sys".to_owned(),
            temperature: 0.8,
            diversity,
        }
    }

    /// Nothing new from other runs.
    fn no_news(_: &mut Written) -> Result<(), BlockError> {
        Ok(())
    }

    /// Fills `n` skeletons with nothing written before.
    fn fill_fresh(n: usize, diversity: Option<Diversity>, model: &mut Scripted) -> Filled {
        let mut earlier = Written::default();
        fill(
            &skeletons(n),
            &settings(diversity),
            &mut earlier,
            model,
            &mut no_news,
        )
        .unwrap()
    }

    const ON: Diversity = Diversity {
        threshold: 0.85,
        retries: 2,
        negatives: 5,
    };

    #[test]
    fn a_too_similar_answer_is_asked_again_with_the_close_record_and_more_temperature() {
        let mut model = Scripted::new(vec![
            json!({"bio": "alpha"}),
            json!({"bio": "alpha again"}),
            json!({"bio": "beta"}),
        ]);
        let mut earlier = Written::default();
        let filled = fill(
            &skeletons(2),
            &settings(Some(ON)),
            &mut earlier,
            &mut model,
            &mut no_news,
        )
        .unwrap();
        assert_eq!(filled.calls, 3);
        assert_eq!(filled.samples[0]["bio"], "alpha");
        assert_eq!(filled.samples[1]["bio"], "beta");
        assert!(
            model.prompts[2].contains(r#"{"bio":"alpha"}"#),
            "{}",
            model.prompts[2]
        );
        assert!(!model.prompts[1].contains("too similar"));
        assert!((model.temperatures[2] - 0.9).abs() < 1e-6);
        assert_eq!(filled.new.len(), 2);
        assert_eq!(earlier.vectors.len(), 2);
        assert!(filled.notes.is_empty());
    }

    #[test]
    fn records_of_other_runs_count_as_earlier() {
        let mut model = Scripted::new(vec![json!({"bio": "alpha again"}), json!({"bio": "gamma"})]);
        let mut earlier = Written {
            vectors: vec![vec![1.0, 0.0, 0.0]],
            items: vec![json!({"bio": "from another run"})],
        };
        let filled = fill(
            &skeletons(1),
            &settings(Some(ON)),
            &mut earlier,
            &mut model,
            &mut no_news,
        )
        .unwrap();
        assert_eq!(filled.samples[0]["bio"], "gamma");
        assert!(model.prompts[1].contains("from another run"));
    }

    #[test]
    fn records_other_runs_log_during_the_call_are_seen_before_the_next_skeleton() {
        let mut model = Scripted::new(vec![
            json!({"bio": "beta"}),
            json!({"bio": "alpha again"}),
            json!({"bio": "gamma"}),
        ]);
        let mut looks = 0;
        let mut refresh = |written: &mut Written| {
            looks += 1;
            if looks == 2 {
                written.vectors.push(vec![1.0, 0.0, 0.0]);
                written.items.push(json!({"bio": "logged meanwhile"}));
            }
            Ok(())
        };
        let mut earlier = Written::default();
        let filled = fill(
            &skeletons(2),
            &settings(Some(ON)),
            &mut earlier,
            &mut model,
            &mut refresh,
        )
        .unwrap();
        assert_eq!(looks, 2);
        assert_eq!(filled.samples[1]["bio"], "gamma");
        assert!(model.prompts[2].contains("logged meanwhile"));
        assert_eq!(
            filled.new.len(),
            2,
            "only this call's records go to the log"
        );
    }

    #[test]
    fn after_the_last_retry_the_answer_is_kept_with_a_note() {
        let mut model = Scripted::new(vec![
            json!({"bio": "alpha"}),
            json!({"bio": "alpha"}),
            json!({"bio": "alpha again"}),
            json!({"bio": "alpha"}),
        ]);
        let filled = fill_fresh(2, Some(ON), &mut model);
        assert_eq!(filled.calls, 4);
        assert_eq!(filled.samples.len(), 2);
        assert_eq!(filled.notes.len(), 1, "{:?}", filled.notes);
        assert!(filled.notes[0].contains("after 2 retries"));
    }

    #[test]
    fn without_diversity_nothing_is_embedded_or_retried() {
        let mut model = Scripted::new(vec![json!({"bio": "alpha"}), json!({"bio": "alpha"})]);
        model.embed_fails = true;
        let filled = fill_fresh(2, None, &mut model);
        assert_eq!(filled.calls, 2);
        assert!(filled.new.is_empty() && filled.notes.is_empty());
    }

    #[test]
    fn a_failing_embedder_turns_the_check_off_with_a_note() {
        let mut model = Scripted::new(vec![json!({"bio": "alpha"}), json!({"bio": "alpha"})]);
        model.embed_fails = true;
        let filled = fill_fresh(2, Some(ON), &mut model);
        assert_eq!(filled.calls, 2);
        assert_eq!(filled.notes.len(), 1);
        assert!(filled.notes[0].contains("no embedding model"));
    }

    #[test]
    fn fixed_values_win_and_unasked_keys_and_hints_are_dropped() {
        let mut model = Scripted::new(vec![json!({"bio": "alpha", "plan": "Free", "extra": 1})]);
        let mut s = settings(None);
        s.fields = vec!["bio".to_owned(), "plan".to_owned()];
        let filled = fill(
            &skeletons(1),
            &s,
            &mut Written::default(),
            &mut model,
            &mut no_news,
        )
        .unwrap();
        assert_eq!(
            filled.samples[0],
            *json!({"plan": "Pro", "bio": "alpha"}).as_object().unwrap()
        );
    }

    #[test]
    fn temperature_never_passes_the_maximum() {
        let answers = (0..4).map(|_| json!({"bio": "alpha"})).collect();
        let mut model = Scripted::new(answers);
        let mut s = settings(Some(ON));
        s.temperature = 1.95;
        fill(
            &skeletons(2),
            &s,
            &mut Written::default(),
            &mut model,
            &mut no_news,
        )
        .unwrap();
        assert!(model.temperatures.iter().all(|t| *t <= MAX_TEMPERATURE));
        assert_eq!(model.temperatures[2], MAX_TEMPERATURE);
    }
}
