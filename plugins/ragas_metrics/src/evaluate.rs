//! Runs the chosen metrics on one question-answer pair through a [`Judge`] (the LLM and
//! embeddings), so the whole evaluation can be tested with a scripted judge.
//!
//! Calls per metric: faithfulness 2 (statements, then verdicts); answer relevancy 1 (three
//! questions and the noncommittal flag at once) and 1 embedding request; context precision 1
//! per context; context recall 1.

use blockforge_sdk::BlockError;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::formulas;
use crate::metric::{Input, Metric};
use crate::prompts;

/// Questions written back from the answer for answer relevancy (RAGAS's default strictness).
pub const QUESTIONS_PER_ANSWER: usize = 3;

/// The model behind the metrics.
pub trait Judge {
    /// Asks `prompt` for JSON following `schema`; the answer parsed.
    fn ask(&mut self, prompt: String, schema: Value) -> Result<Value, BlockError>;
    /// One embedding per text, in order.
    fn embed(&mut self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, BlockError>;
}

/// What the metrics read, already taken from the state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    /// The question.
    pub question: String,
    /// The answer being evaluated.
    pub answer: String,
    /// The retrieved passages.
    pub contexts: Vec<String>,
    /// The expected answer.
    pub ground_truth: String,
}

impl Inputs {
    fn is_missing(&self, input: Input) -> bool {
        match input {
            Input::Question => self.question.is_empty(),
            Input::Answer => self.answer.is_empty(),
            Input::Contexts => self.contexts.is_empty(),
            Input::GroundTruth => self.ground_truth.is_empty(),
        }
    }

    /// Why `metric` cannot be computed on these inputs, if it cannot.
    pub fn missing_for(&self, metric: Metric) -> Option<String> {
        let missing: Vec<&str> = metric
            .requires()
            .iter()
            .filter(|input| self.is_missing(**input))
            .map(|input| input.name())
            .collect();
        (!missing.is_empty()).then(|| format!("{metric} requires: {}", missing.join(", ")))
    }
}

/// The scores, in the order asked, and why any metric scored 0 without being computed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// One score per metric asked.
    pub scores: Vec<(Metric, f64)>,
    /// Metrics not computed (scored 0), with the reason.
    pub notes: Vec<String>,
}

/// Evaluates `inputs` on `metrics`. A metric whose inputs are missing, or that has nothing to
/// count (no statements), scores 0 with a note, as in DataGenFlow; a failing model call fails
/// the evaluation.
pub fn evaluate(
    inputs: &Inputs,
    metrics: &[Metric],
    judge: &mut impl Judge,
) -> Result<Evaluation, BlockError> {
    let mut evaluation = Evaluation::default();
    for &metric in metrics {
        if let Some(reason) = inputs.missing_for(metric) {
            evaluation.notes.push(format!("{reason}; scored 0"));
            evaluation.scores.push((metric, 0.0));
            continue;
        }
        let score = match metric {
            Metric::Faithfulness => faithfulness(inputs, judge)?,
            Metric::AnswerRelevancy => answer_relevancy(inputs, judge)?,
            Metric::ContextPrecision => Some(context_precision(inputs, judge)?),
            Metric::ContextRecall => context_recall(inputs, judge)?,
        };
        let score = score.unwrap_or_else(|| {
            evaluation.notes.push(format!(
                "{metric}: the judge gave nothing to count; scored 0"
            ));
            0.0
        });
        evaluation.scores.push((metric, score));
    }
    Ok(evaluation)
}

/// Asks and reads the answer into `T`, naming `what` when it does not fit.
fn ask<T: DeserializeOwned>(
    judge: &mut impl Judge,
    what: &str,
    prompt: String,
    schema: Value,
) -> Result<T, BlockError> {
    let answer = judge.ask(prompt, schema)?;
    serde_json::from_value(answer.clone()).map_err(|e| {
        BlockError::host(format!("the judge's answer for {what} does not fit: {e}"))
            .with_detail(json!({"answer": answer}))
    })
}

fn faithfulness(inputs: &Inputs, judge: &mut impl Judge) -> Result<Option<f64>, BlockError> {
    let found: prompts::Statements = ask(
        judge,
        "faithfulness (statements)",
        prompts::statements(&inputs.question, &inputs.answer),
        prompts::statements_schema(),
    )?;
    let statements: Vec<String> = found
        .statements
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    if statements.is_empty() {
        return Ok(None);
    }
    let judged: prompts::Verdicts = ask(
        judge,
        "faithfulness (verdicts)",
        prompts::statement_verdicts(&inputs.contexts.join("\n"), &statements),
        prompts::statement_verdicts_schema(),
    )?;
    let verdicts: Vec<bool> = judged.verdicts.iter().map(|v| v.verdict == 1).collect();
    Ok(formulas::faithfulness(&verdicts))
}

fn answer_relevancy(inputs: &Inputs, judge: &mut impl Judge) -> Result<Option<f64>, BlockError> {
    let written: prompts::Questions = ask(
        judge,
        "answer_relevancy",
        prompts::questions_for_answer(&inputs.answer, QUESTIONS_PER_ANSWER),
        prompts::questions_schema(),
    )?;
    let questions: Vec<String> = written
        .questions
        .into_iter()
        .filter(|q| !q.trim().is_empty())
        .collect();
    if questions.is_empty() {
        return Ok(None);
    }
    let mut texts = Vec::with_capacity(questions.len() + 1);
    texts.push(inputs.question.clone());
    texts.extend(questions);
    let expected = texts.len();
    let mut vectors = judge.embed(texts).map_err(|mut e| {
        e.message = format!(
            "answer_relevancy compares embeddings (set embedding_model, or leave the metric out): {}",
            e.message
        );
        e
    })?;
    if vectors.len() != expected {
        return Err(BlockError::host(format!(
            "the embedding model returned {} vectors for {expected} texts",
            vectors.len()
        )));
    }
    let question = vectors.remove(0);
    Ok(formulas::answer_relevancy(
        &question,
        &vectors,
        written.noncommittal == 1,
    ))
}

fn context_precision(inputs: &Inputs, judge: &mut impl Judge) -> Result<f64, BlockError> {
    let mut useful = Vec::with_capacity(inputs.contexts.len());
    for passage in &inputs.contexts {
        let judged: prompts::Usefulness = ask(
            judge,
            "context_precision",
            prompts::context_usefulness(&inputs.question, &inputs.ground_truth, passage),
            prompts::context_usefulness_schema(),
        )?;
        useful.push(judged.verdict == 1);
    }
    Ok(formulas::context_precision(&useful))
}

fn context_recall(inputs: &Inputs, judge: &mut impl Judge) -> Result<Option<f64>, BlockError> {
    let judged: prompts::Attributions = ask(
        judge,
        "context_recall",
        prompts::reference_attribution(
            &inputs.question,
            &inputs.contexts.join("\n"),
            &inputs.ground_truth,
        ),
        prompts::reference_attribution_schema(),
    )?;
    let attributed: Vec<bool> = judged
        .classifications
        .iter()
        .map(|c| c.attributed == 1)
        .collect();
    Ok(formulas::context_recall(&attributed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A judge answering from a script: the first entry whose key the prompt contains; it
    /// records the prompts and the embedded texts.
    struct Scripted {
        answers: Vec<(&'static str, Value)>,
        prompts: Vec<String>,
        embedded: Vec<String>,
    }

    impl Scripted {
        fn new(answers: Vec<(&'static str, Value)>) -> Self {
            Scripted {
                answers,
                prompts: Vec::new(),
                embedded: Vec::new(),
            }
        }
    }

    impl Judge for Scripted {
        fn ask(&mut self, prompt: String, _schema: Value) -> Result<Value, BlockError> {
            let answer = self
                .answers
                .iter()
                .find(|(key, _)| prompt.contains(key))
                .map(|(_, answer)| answer.clone())
                .ok_or_else(|| BlockError::host(format!("no scripted answer for {prompt}")));
            self.prompts.push(prompt);
            answer
        }

        fn embed(&mut self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, BlockError> {
            self.embedded.extend(texts.iter().cloned());
            Ok(texts
                .iter()
                .map(|t| match t.as_str() {
                    "What is the capital of France?" => vec![1.0, 0.0],
                    "Which city is France's capital?" => vec![1.0, 0.0],
                    _ => vec![0.0, 1.0],
                })
                .collect())
        }
    }

    fn inputs() -> Inputs {
        Inputs {
            question: "What is the capital of France?".to_owned(),
            answer: "Paris is the capital of France. It has 2 million people.".to_owned(),
            contexts: vec![
                "Berlin is the capital of Germany.".to_owned(),
                "Paris is the capital and largest city of France.".to_owned(),
            ],
            ground_truth: "Paris is the capital of France.".to_owned(),
        }
    }

    fn script() -> Vec<(&'static str, Value)> {
        vec![
            (
                "Break the answer",
                json!({"statements": ["Paris is the capital of France.", "Paris has 2 million people."]}),
            ),
            (
                "Judge each statement",
                json!({"verdicts": [
                {"statement": "a", "reason": "r", "verdict": 1},
                {"statement": "b", "reason": "r", "verdict": 0}]}),
            ),
            (
                "questions that the answer",
                json!({"questions": ["Which city is France's capital?", "How many people live in Paris?", ""], "noncommittal": 0}),
            ),
            ("Passage: Berlin", json!({"reason": "r", "verdict": 0})),
            ("Passage: Paris", json!({"reason": "r", "verdict": 1})),
            (
                "Break the reference answer",
                json!({"classifications": [
                {"statement": "a", "reason": "r", "attributed": 1}]}),
            ),
        ]
    }

    #[test]
    fn every_metric_follows_its_formula() {
        let mut judge = Scripted::new(script());
        let metrics = crate::metric::ALL;
        let evaluation = evaluate(&inputs(), &metrics, &mut judge).unwrap();
        assert_eq!(
            evaluation.scores,
            [
                // (cos 1 + cos 0) / 2 over the two non-empty questions.
                (Metric::AnswerRelevancy, 0.5),
                // The useful passage ranked second.
                (Metric::ContextPrecision, 0.5),
                (Metric::ContextRecall, 1.0),
                (Metric::Faithfulness, 0.5),
            ]
        );
        assert!(evaluation.notes.is_empty());
        // One call per context for precision; the question is embedded with the generated ones.
        assert_eq!(judge.prompts.len(), 6);
        assert_eq!(judge.embedded[0], "What is the capital of France?");
        assert_eq!(judge.embedded.len(), 3);
        let verdicts = judge
            .prompts
            .iter()
            .find(|p| p.contains("Judge each"))
            .unwrap();
        assert!(verdicts.contains("Berlin is the capital of Germany.\nParis is the capital"));
        assert!(verdicts.contains("2. Paris has 2 million people."));
    }

    #[test]
    fn a_noncommittal_answer_is_not_relevant() {
        let mut script = script();
        script[2].1 = json!({"questions": ["Which city is France's capital?"], "noncommittal": 1});
        let evaluation = evaluate(
            &inputs(),
            &[Metric::AnswerRelevancy],
            &mut Scripted::new(script),
        )
        .unwrap();
        assert_eq!(evaluation.scores, [(Metric::AnswerRelevancy, 0.0)]);
    }

    #[test]
    fn missing_inputs_score_zero_without_asking() {
        let mut judge = Scripted::new(script());
        let inputs = Inputs {
            contexts: Vec::new(),
            ground_truth: String::new(),
            ..inputs()
        };
        let evaluation = evaluate(
            &inputs,
            &[Metric::ContextRecall, Metric::Faithfulness],
            &mut judge,
        )
        .unwrap();
        assert_eq!(
            evaluation.scores,
            [(Metric::ContextRecall, 0.0), (Metric::Faithfulness, 0.0)]
        );
        assert_eq!(
            evaluation.notes,
            [
                "context_recall requires: contexts, ground_truth; scored 0",
                "faithfulness requires: contexts; scored 0"
            ]
        );
        assert!(judge.prompts.is_empty());
    }

    #[test]
    fn no_statements_scores_zero_with_a_note_and_a_bad_answer_fails() {
        let mut script = script();
        script[0].1 = json!({"statements": []});
        let mut judge = Scripted::new(script);
        let evaluation = evaluate(&inputs(), &[Metric::Faithfulness], &mut judge).unwrap();
        assert_eq!(evaluation.scores, [(Metric::Faithfulness, 0.0)]);
        assert_eq!(evaluation.notes.len(), 1);
        assert_eq!(
            judge.prompts.len(),
            1,
            "no verdicts asked for no statements"
        );

        let mut script = self::script();
        script[5].1 = json!({"classifications": "none"});
        let error = evaluate(
            &inputs(),
            &[Metric::ContextRecall],
            &mut Scripted::new(script),
        )
        .unwrap_err();
        assert!(
            error.message.contains("context_recall"),
            "{}",
            error.message
        );
    }
}
