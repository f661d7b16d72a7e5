//! StructuredGenerator: structured output requested natively, validated against the schema,
//! repaired by re-asking.

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Workspace, seeds};
use serde_json::json;

const PIPELINE: &str = r#"
name: people
blocks:
  - type: StructuredGenerator
    config:
      user_prompt: "Invent a person who likes {{ hobby }}"
      json_schema:
        type: object
        required: [name, age, hobbies]
        properties:
          name: {type: string, minLength: 3}
          age: {type: integer, minimum: 18}
          hobbies: {type: array, items: {type: string}, minItems: 2}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generates_json_that_follows_the_schema_and_asks_for_it_natively() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (out, records) = ws
        .run_pipeline(PIPELINE, &seeds(2, |_| json!({"hobby": "chess"})), &[])
        .await;
    out.assert_success();
    for record in &records {
        assert_eq!(
            record["accumulated_state"]["generated"],
            json!({"name": "example", "age": 18, "hobbies": ["example", "example"]})
        );
        assert_eq!(
            record["pipeline_output"],
            record["accumulated_state"]["generated"]
        );
    }
    let body = &fake.request_bodies()[0];
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["required"],
        json!(["name", "age", "hobbies"])
    );
    assert_eq!(
        body["messages"][0]["content"],
        "Invent a person who likes chess"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_violating_the_schema_is_repaired_by_asking_again() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        invalid_structured_first: 1,
        ..Default::default()
    })
    .await;
    let (out, records) = ws
        .run_pipeline(PIPELINE, &seeds(1, |_| json!({"hobby": "go"})), &[])
        .await;
    out.assert_success();
    assert_eq!(records[0]["accumulated_state"]["generated"]["age"], 18);
    assert_eq!(fake.chat_requests(), 2);
    let retry = &fake.request_bodies()[1];
    let messages = retry["messages"].as_array().unwrap();
    assert_eq!(messages[1], json!({"role": "assistant", "content": "{}"}));
    assert!(
        messages[2]["content"]
            .as_str()
            .unwrap()
            .contains("does not match the schema"),
        "{}",
        messages[2]
    );
    // Usage counts both attempts.
    let usage = &records[0]["usage"];
    assert!(usage["input_tokens"].as_u64().unwrap() > 5 + 5, "{usage}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_never_fits_fails_the_run_with_the_validation_errors() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        invalid_structured_first: 100,
        ..Default::default()
    })
    .await;
    let (_, records) = ws
        .run_pipeline(PIPELINE, &seeds(1, |_| json!({"hobby": "go"})), &[])
        .await;
    assert_eq!(records[0]["status"], "failed");
    let error = records[0]["error"].as_str().unwrap();
    assert!(
        error.contains("does not match the schema") && error.contains("3 attempts"),
        "{error}"
    );
    assert_eq!(fake.chat_requests(), 3, "first try plus two repairs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_given_as_a_template_is_rendered_against_the_state() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let pipeline = r#"{"name": "t", "blocks": [{"type": "StructuredGenerator", "config": {
        "json_schema": "{\"type\": \"object\", \"required\": [\"{{ field }}\"], \"properties\": {\"{{ field }}\": {\"type\": \"boolean\"}}}"}}]}"#;
    let (out, records) = ws
        .run_pipeline(pipeline, &seeds(1, |_| json!({"field": "is_safe"})), &[])
        .await;
    out.assert_success();
    assert_eq!(
        records[0]["accumulated_state"]["generated"],
        json!({"is_safe": true})
    );
}
