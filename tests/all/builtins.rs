//! The builtin blocks' own rules, one block call at a time through `blockforge block test`.

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{CmdOutput, Workspace};
use serde_json::{Value, json};

/// `blockforge block test BLOCK` on one state and config.
pub(crate) async fn call(ws: &Workspace, block: &str, state: Value, config: Value) -> CmdOutput {
    ws.run(&[
        "block",
        "test",
        block,
        "--state",
        &state.to_string(),
        "--config",
        &config.to_string(),
    ])
    .await
}

/// The output object of a successful `block test`.
pub(crate) async fn output(ws: &Workspace, block: &str, state: Value, config: Value) -> Value {
    let out = call(ws, block, state, config).await;
    out.assert_success();
    out.json()["output"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_generator_falls_back_to_the_states_system_and_user_fields() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let state = json!({"system": "Be {{ tone }}.", "user": "Say {{ word }}", "tone": "brief", "word": "hi"});
    let out = output(&ws, "TextGenerator", state, json!({})).await;
    assert_eq!(
        out,
        json!({"assistant": "Echo: Say hi", "system": "Be brief.", "user": "Say hi"})
    );
    let body = &fake.request_bodies()[0];
    assert_eq!(
        body["temperature"].as_f64().map(|t| (t * 10.0).round()),
        Some(7.0),
        "default temperature 0.7"
    );
    assert_eq!(body["max_tokens"], 2048);
    assert_eq!(
        body["model"], "fake-model",
        "LLM_MODEL is the default model"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_generator_without_any_prompt_or_with_an_undefined_variable_says_so() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let out = call(&ws, "TextGenerator", json!({}), json!({})).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("no prompt: set system_prompt or user_prompt"),
        "{}",
        out.stderr
    );
    let out = call(
        &ws,
        "TextGenerator",
        json!({"topic": "x"}),
        json!({"user_prompt": "About {{ topc }}"}),
    )
    .await;
    out.assert_failure();
    assert!(out.stderr.contains("undefined"), "{}", out.stderr);
    assert_eq!(fake.chat_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_checks_length_and_forbidden_words_case_insensitively() {
    let ws = Workspace::new();
    let config = json!({"min_length": 3, "max_length": 20, "forbidden_words": ["Lorem"]});
    let valid = |text: &str| json!({"text": text});
    assert_eq!(
        output(&ws, "ValidatorBlock", valid("fine text"), config.clone()).await,
        json!({"valid": true, "text": "fine text"})
    );
    assert_eq!(
        output(
            &ws,
            "ValidatorBlock",
            valid("has lorem in it"),
            config.clone()
        )
        .await["valid"],
        false
    );
    assert_eq!(
        output(&ws, "ValidatorBlock", valid("no"), config.clone()).await["valid"],
        false
    );
    assert_eq!(
        output(
            &ws,
            "ValidatorBlock",
            valid("x".repeat(21).as_str()),
            config.clone()
        )
        .await["valid"],
        false
    );
    // An empty `text` falls back to `assistant`; both are echoed when present.
    let out = output(
        &ws,
        "ValidatorBlock",
        json!({"text": "", "assistant": "LOREM"}),
        config.clone(),
    )
    .await;
    assert_eq!(
        out,
        json!({"valid": false, "text": "", "assistant": "LOREM"})
    );
    // Forbidden words may come as a JSON text rendered against the state.
    let templated = json!({"forbidden_words": "[\"{{ banned }}\"]"});
    let out = output(
        &ws,
        "ValidatorBlock",
        json!({"text": "a secret word", "banned": "secret"}),
        templated,
    )
    .await;
    assert_eq!(out["valid"], false);
    let out = call(&ws, "ValidatorBlock", json!({"text": 42}), json!({})).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("state field 'text' must be a string, got number"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_validator_strips_fences_checks_required_fields_and_honours_strict() {
    let ws = Workspace::new();
    let fenced = json!({"assistant": "```json\n{\"name\": \"Ada\", \"age\": 36}\n```"});
    let out = output(
        &ws,
        "JSONValidatorBlock",
        fenced.clone(),
        json!({"required_fields": ["name", "age"]}),
    )
    .await;
    assert_eq!(
        out,
        json!({"valid": true, "parsed_json": {"name": "Ada", "age": 36}})
    );
    let out = output(
        &ws,
        "JSONValidatorBlock",
        fenced,
        json!({"required_fields": ["email"]}),
    )
    .await;
    assert_eq!(
        out["valid"], false,
        "a missing required field makes it invalid"
    );
    let broken = json!({"answer": "{not json"});
    let out = output(
        &ws,
        "JSONValidatorBlock",
        broken.clone(),
        json!({"field_name": "answer"}),
    )
    .await;
    assert_eq!(out, json!({"valid": false, "parsed_json": null}));
    let out = call(
        &ws,
        "JSONValidatorBlock",
        broken,
        json!({"field_name": "answer", "strict": true}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("state field 'answer' is not valid JSON"),
        "{}",
        out.stderr
    );
    let parsed = json!({"data": {"already": "parsed"}});
    let out = output(
        &ws,
        "JSONValidatorBlock",
        parsed,
        json!({"field_name": "data"}),
    )
    .await;
    assert_eq!(out["parsed_json"], json!({"already": "parsed"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_may_be_json_lines() {
    let ws = Workspace::new();
    ws.write(
        "p.yaml",
        "name: x\nblocks:\n  - type: FieldMapper\n    config: {mappings: {b: '{{ a }}!'}}\n",
    );
    ws.write("s.jsonl", "{\"metadata\": {\"a\": \"one\"}}\n\n{\"repetitions\": 2, \"metadata\": {\"a\": \"two\"}}\n");
    let out = ws
        .run(&["run", "--pipeline", "p.yaml", "--seeds", "s.jsonl"])
        .await;
    out.assert_success();
    let outputs: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["pipeline_output"].clone())
        .collect();
    assert_eq!(outputs.len(), 3, "records go to stdout without --out");
    assert_eq!(outputs.iter().filter(|o| **o == json!("two!")).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_mapper_fails_naming_a_mapping_that_does_not_render_and_parses_json_text() {
    // DataGenFlow stores "" for a mapping that fails to render; here the run fails and says
    // which mapping, and `default` gives the lenient behaviour on purpose.
    let ws = Workspace::new();
    let mappings = json!({"mappings": {"ok": "{{ a }}", "bad": "{{ missing }}"}});
    let out = call(&ws, "FieldMapper", json!({"a": 1}), mappings).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("mapping 'bad'") && out.stderr.contains("missing"),
        "{}",
        out.stderr
    );
    // As in DataGenFlow, a value is parsed when its text is JSON; booleans and lists render
    // the way Python's Jinja writes them (`True`, `['a']`), which are not JSON and stay text.
    let mappings = json!({"mappings": {
        "maybe": "{{ missing | default('') }}",
        "n": "{{ a }}",
        "flag": "{{ a == 1 }}",
        "list": "{{ tags }}",
        "json": "{{ tags | tojson }}",
        "text": "{{ a }} apples"}});
    let out = output(&ws, "FieldMapper", json!({"a": 1, "tags": ["x"]}), mappings).await;
    assert_eq!(
        out,
        json!({"maybe": "", "n": 1, "flag": "True", "list": "['x']", "json": ["x"], "text": "1 apples"})
    );
}
