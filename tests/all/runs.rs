//! `blockforge run`: records, trace shape, usage sums and `pipeline_output` rules.

use std::collections::HashSet;

use blockforge_tests::fake_llm::{FakeLlmConfig, words};
use blockforge_tests::fixtures;
use blockforge_tests::harness::{Workspace, seeds};
use serde_json::{Value, json};

fn example(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../examples/{path}", env!("CARGO_MANIFEST_DIR")))
        .expect("example file")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_writes_one_record_per_run_with_state_output_trace_and_usage() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let seed_file: Value = serde_json::from_str(&example("seeds/topics.json")).unwrap();
    let (out, records) = ws
        .run_pipeline(
            &example("pipelines/text_then_validate.yaml"),
            &seed_file,
            &[],
        )
        .await;
    out.assert_success();
    assert_eq!(records.len(), 5, "2 + 2 + 1 repetitions");
    assert!(
        out.stderr.contains("5 completed, 0 failed"),
        "{}",
        out.stderr
    );
    let trace_ids: HashSet<&str> = records
        .iter()
        .map(|r| r["trace_id"].as_str().unwrap())
        .collect();
    assert_eq!(trace_ids.len(), 5, "a trace id per run");
    for record in &records {
        assert_eq!(record["status"], "completed");
        let state = &record["accumulated_state"];
        let topic = state["topic"].as_str().unwrap();
        let audience = state
            .get("audience")
            .and_then(Value::as_str)
            .unwrap_or("beginner");
        let user = format!("Explain {topic} to a {audience} in two sentences.");
        assert_eq!(state["user"], user.as_str());
        assert_eq!(state["system"], "You are a concise technical writer.");
        assert_eq!(state["assistant"], format!("Echo: {user}").as_str());
        assert_eq!(state["valid"], true);
        assert_eq!(
            record["pipeline_output"], state["assistant"],
            "assistant is the pipeline output"
        );
        // Trace: DataGenFlow's keys, one entry per block, states chained.
        let trace = record["trace"].as_array().unwrap();
        assert_eq!(trace.len(), 2);
        for key in [
            "block_type",
            "input",
            "output",
            "accumulated_state",
            "execution_time",
            "error",
        ] {
            assert!(
                trace[0].get(key).is_some() && trace[1].get(key).is_some(),
                "trace entry lacks {key}"
            );
        }
        assert_eq!(trace[0]["block_type"], "TextGenerator");
        assert_eq!(trace[1]["block_type"], "ValidatorBlock");
        assert_eq!(trace[0]["input"], record["metadata"]);
        assert_eq!(trace[1]["input"], trace[0]["accumulated_state"]);
        assert_eq!(&trace[1]["accumulated_state"], state);
        assert!(trace[0]["error"].is_null());
        assert!(trace[0]["execution_time"].as_f64().unwrap() > 0.0);
        // Usage: the fake counts words; the run's usage is the sum over its calls. The built-in
        // price table does not know `fake-model`: its cost is unknown, not zero. The call is at
        // the block's default temperature (0.7), so the cache neither answered nor kept it.
        let input = words("You are a concise technical writer.") + words(&user);
        let output = words(&format!("Echo: {user}"));
        assert_eq!(
            trace[0]["usage"],
            json!({"input_tokens": input, "output_tokens": output, "cached_tokens": 0,
                   "cost": null, "unpriced_calls": 1, "cache_hits": 0})
        );
        assert_eq!(record["usage"], trace[0]["usage"]);
    }
    assert_eq!(fake.chat_requests(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_output_is_explicit_then_assistant_then_the_last_blocks_first_output() {
    let ws = Workspace::new();
    let seeds = seeds(1, |_| json!({"text": "{\"a\": 1}"}));
    // A block sets it explicitly.
    let explicit = r#"{"name": "p", "blocks": [
        {"type": "FieldMapper", "config": {"mappings": {"assistant": "ignored", "pipeline_output": "{{ text }}"}}}]}"#;
    let (out, records) = ws.run_pipeline(explicit, &seeds, &[]).await;
    out.assert_success();
    assert_eq!(records[0]["pipeline_output"], json!({"a": 1}));
    // No explicit value: `assistant`.
    let assistant = r#"{"name": "p", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"assistant": "hi", "z": "1"}}}]}"#;
    let (_, records) = ws.run_pipeline(assistant, &seeds, &[]).await;
    assert_eq!(records[0]["pipeline_output"], "hi");
    // Neither: the last block's first output.
    let last = r#"{"name": "p", "blocks": [
        {"type": "FieldMapper", "config": {"mappings": {"other": "x"}}},
        {"type": "JSONValidatorBlock", "config": {"field_name": "text", "required_fields": ["a"]}}]}"#;
    let (out, records) = ws.run_pipeline(last, &seeds, &[]).await;
    out.assert_success();
    assert_eq!(
        records[0]["accumulated_state"]["parsed_json"],
        json!({"a": 1})
    );
    assert_eq!(
        records[0]["pipeline_output"], true,
        "first output of JSONValidatorBlock is `valid`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_job_scope_is_shared_by_the_runs_of_one_job_only() {
    let ws = Workspace::new();
    std::fs::copy(fixtures::DEDUP, ws.plugins_dir().join("dedup.wasm")).unwrap();
    let seeds = json!([
        {"repetitions": 3, "metadata": {"text": "Same"}},
        {"repetitions": 1, "metadata": {"text": "other"}}
    ]);
    let pipeline =
        r#"{"name": "d", "blocks": [{"type": "ExactDedup", "config": {"field": "text"}}]}"#;
    for _ in 0..2 {
        let (out, records) = ws
            .run_pipeline(pipeline, &seeds, &["--concurrency", "4"])
            .await;
        out.assert_success();
        let duplicates = records
            .iter()
            .filter(|r| r["accumulated_state"]["is_duplicate"] == true)
            .count();
        assert_eq!(
            duplicates, 2,
            "of three identical seeds exactly one is first, in every job"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_llm_fails_its_runs_with_the_providers_message_and_exit_code() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        fail_first: 100,
        fail_status: 400,
        ..Default::default()
    })
    .await;
    let pipeline =
        "name: t\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'hi {{ n }}'}\n";
    let (out, records) = ws
        .run_pipeline(pipeline, &seeds(3, |i| json!({"n": i})), &[])
        .await;
    out.assert_failure();
    assert!(out.stderr.contains("no run completed"), "{}", out.stderr);
    assert_eq!(records.len(), 3);
    for record in records {
        assert_eq!(record["status"], "failed");
        let error = record["error"].as_str().unwrap();
        assert!(
            error.contains("TextGenerator (step 0)") && error.contains("injected failure"),
            "{error}"
        );
        assert_eq!(record["trace"][0]["failure"]["kind"], "block_error");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_honour_retry_after_and_then_succeed() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        fail_first: 2,
        fail_status: 429,
        retry_after: Some(0),
        ..Default::default()
    })
    .await;
    ws.set_env("LLM_MAX_RETRIES", "2");
    let pipeline =
        "name: t\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'hello'}\n";
    let (out, records) = ws
        .run_pipeline(pipeline, &seeds(1, |_| json!({})), &[])
        .await;
    out.assert_success();
    assert_eq!(records[0]["accumulated_state"]["assistant"], "Echo: hello");
    assert_eq!(fake.chat_requests(), 3, "two 429s then a success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_carries_model_sampling_and_bearer_key() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("LLM_API_KEY", "sk-test");
    let pipeline = "name: t\nblocks:\n  - type: TextGenerator\n    config: {model: special, temperature: 0.2, max_tokens: 33, system_prompt: 'sys', user_prompt: 'u {{ x }}'}\n";
    let (out, _) = ws
        .run_pipeline(pipeline, &seeds(1, |_| json!({"x": "y"})), &[])
        .await;
    out.assert_success();
    let body = &fake.request_bodies()[0];
    assert_eq!(body["model"], "special");
    assert_eq!(body["max_tokens"], 33);
    assert!((body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert_eq!(
        body["messages"],
        json!([{"role": "system", "content": "sys"}, {"role": "user", "content": "u y"}])
    );
    assert_eq!(fake.request_headers()[0]["authorization"], "Bearer sk-test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_go_through_the_host_to_the_embedding_endpoint() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("EMBEDDING_MODEL", "fake-embed");
    std::fs::copy(fixtures::EMBEDDER, ws.plugins_dir().join("embedder.wasm")).unwrap();
    let out = ws
        .run(&[
            "block",
            "test",
            "Embedder",
            "--state",
            r#"{"text": "hello world"}"#,
        ])
        .await;
    out.assert_success();
    let json = out.json();
    let expected: Vec<f64> = blockforge_tests::fake_llm::vector_of("hello world")
        .into_iter()
        .map(f64::from)
        .collect();
    assert_eq!(json["output"]["embedding"], json!(expected));
    assert_eq!(json["usage"]["input_tokens"], 2);
    assert_eq!(fake.embedding_requests(), 1);
    assert_eq!(
        fake.request_bodies()[0],
        json!({"model": "fake-embed", "input": ["hello world"]})
    );
}
