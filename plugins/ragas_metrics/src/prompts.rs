//! What the block asks the judge model, and the JSON it asks for. Each prompt is sent alone
//! (one user message, temperature 0) with a JSON Schema for structured output; the host checks
//! the answer against the schema (asking again when it does not fit), and the answer is read
//! into the types below. The wording is this project's own; the questions asked are RAGAS's.

use serde::Deserialize;
use serde_json::{Value, json};

/// A 0/1 verdict, as an integer the way RAGAS asks for it.
fn verdict_schema(meaning: &str) -> Value {
    json!({"type": "integer", "enum": [0, 1], "description": meaning})
}

fn object_schema(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

/// Faithfulness, step 1: the answer broken into statements.
pub fn statements(question: &str, answer: &str) -> String {
    format!(
        "Break the answer below into short statements, each one claim that can be checked on \
         its own. Replace pronouns with what they refer to so every statement makes sense \
         without the others. Keep every claim the answer makes and add none.\n\n\
         Question: {question}\n\nAnswer: {answer}\n\n\
         Reply with JSON: {{\"statements\": [\"...\", \"...\"]}}"
    )
}

/// Schema of [`Statements`].
pub fn statements_schema() -> Value {
    object_schema(
        json!({"statements": {"type": "array", "items": {"type": "string"}}}),
        &["statements"],
    )
}

/// The answer to [`statements`].
#[derive(Debug, Deserialize)]
pub struct Statements {
    /// The statements.
    pub statements: Vec<String>,
}

/// Faithfulness, step 2: a verdict per statement against the joined contexts.
pub fn statement_verdicts(context: &str, statements: &[String]) -> String {
    let listed: Vec<String> = statements
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}", i + 1))
        .collect();
    format!(
        "Judge each statement against the context. Its verdict is 1 when the statement can be \
         inferred directly from the context, and 0 when the context does not say it or says \
         otherwise. Give a short reason for each verdict, and judge every statement, in order.\n\n\
         Context:\n{context}\n\nStatements:\n{}\n\n\
         Reply with JSON: {{\"verdicts\": [{{\"statement\": \"...\", \"reason\": \"...\", \"verdict\": 1}}]}}",
        listed.join("\n")
    )
}

/// Schema of [`Verdicts`].
pub fn statement_verdicts_schema() -> Value {
    object_schema(
        json!({"verdicts": {"type": "array", "items": object_schema(json!({
            "statement": {"type": "string"},
            "reason": {"type": "string"},
            "verdict": verdict_schema("1: the context supports the statement; 0: it does not"),
        }), &["statement", "reason", "verdict"])}}),
        &["verdicts"],
    )
}

/// One judged statement.
#[derive(Debug, Deserialize)]
pub struct Verdict {
    /// 1 when supported.
    pub verdict: u8,
}

/// The answer to [`statement_verdicts`].
#[derive(Debug, Deserialize)]
pub struct Verdicts {
    /// One per statement.
    pub verdicts: Vec<Verdict>,
}

/// Answer relevancy: questions the answer replies to, and whether it is noncommittal.
pub fn questions_for_answer(answer: &str, count: usize) -> String {
    format!(
        "Write {count} different questions that the answer below replies to directly, as a \
         person would ask them. Then say whether the answer is noncommittal: 1 when it is \
         evasive, vague or declines to answer (\"I don't know\", \"it depends\", \"I cannot \
         say\"), 0 when it commits to an answer.\n\n\
         Answer: {answer}\n\n\
         Reply with JSON: {{\"questions\": [\"...\"], \"noncommittal\": 0}}"
    )
}

/// Schema of [`Questions`].
pub fn questions_schema() -> Value {
    object_schema(
        json!({
            "questions": {"type": "array", "items": {"type": "string"}},
            "noncommittal": verdict_schema("1: the answer is evasive or vague; 0: it commits"),
        }),
        &["questions", "noncommittal"],
    )
}

/// The answer to [`questions_for_answer`].
#[derive(Debug, Deserialize)]
pub struct Questions {
    /// The generated questions.
    pub questions: Vec<String>,
    /// 1 when the answer is noncommittal.
    pub noncommittal: u8,
}

/// Context precision: was one passage useful for reaching the reference answer?
pub fn context_usefulness(question: &str, reference: &str, passage: &str) -> String {
    format!(
        "A passage was retrieved to help answer a question. Compare it with the reference \
         answer and decide whether the passage was useful for arriving at that answer: \
         verdict 1 if it was, 0 if it was not. Give a short reason.\n\n\
         Question: {question}\n\nReference answer: {reference}\n\nPassage: {passage}\n\n\
         Reply with JSON: {{\"reason\": \"...\", \"verdict\": 1}}"
    )
}

/// Schema of [`Usefulness`].
pub fn context_usefulness_schema() -> Value {
    object_schema(
        json!({
            "reason": {"type": "string"},
            "verdict": verdict_schema("1: the passage was useful; 0: it was not"),
        }),
        &["reason", "verdict"],
    )
}

/// The answer to [`context_usefulness`].
#[derive(Debug, Deserialize)]
pub struct Usefulness {
    /// 1 when useful.
    pub verdict: u8,
}

/// Context recall: which statements of the reference answer the contexts support.
pub fn reference_attribution(question: &str, context: &str, reference: &str) -> String {
    format!(
        "Break the reference answer into its statements (one per sentence or claim) and decide \
         for each whether it can be attributed to the context: attributed 1 when the context \
         states it or it follows from the context, 0 when it does not. Give a short reason for \
         each.\n\n\
         Question: {question}\n\nContext:\n{context}\n\nReference answer: {reference}\n\n\
         Reply with JSON: {{\"classifications\": [{{\"statement\": \"...\", \"reason\": \"...\", \"attributed\": 1}}]}}"
    )
}

/// Schema of [`Attributions`].
pub fn reference_attribution_schema() -> Value {
    object_schema(
        json!({"classifications": {"type": "array", "items": object_schema(json!({
            "statement": {"type": "string"},
            "reason": {"type": "string"},
            "attributed": verdict_schema("1: the context supports the statement; 0: it does not"),
        }), &["statement", "reason", "attributed"])}}),
        &["classifications"],
    )
}

/// One classified statement of the reference answer.
#[derive(Debug, Deserialize)]
pub struct Attribution {
    /// 1 when attributed to the context.
    pub attributed: u8,
}

/// The answer to [`reference_attribution`].
#[derive(Debug, Deserialize)]
pub struct Attributions {
    /// One per statement.
    pub classifications: Vec<Attribution>,
}
