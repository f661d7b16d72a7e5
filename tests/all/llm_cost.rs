//! Dollar cost over the real `blockforge serve` (SQLite and PostgreSQL) and the CLI: the cost of
//! each record and of the job equals the price table times the tokens, a model without a price
//! costs null, `max_total_cost` stops a job, `PRICES_FILE` is read, and a bad one fails
//! start-up with a clear message.

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use blockforge_tests::harness::{Workspace, seeds as cli_seeds};
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, job_stream, sse_events};
use crate::llm_cache::{finished_job, records};
use crate::store::cleanup;

/// `fake-model` (what the fake LLM answers as) at $1.5 per million input tokens and $4 per
/// million output tokens: 1,500,000 and 4,000,000 picodollars per token.
const PRICES: &str = "prices:\n  fake-model: {input: 1.5, output: 4}\n";
const INPUT_PICO: u64 = 1_500_000;
const OUTPUT_PICO: u64 = 4_000_000;

/// A cost in dollars as picodollars (costs are exact multiples of a picodollar).
fn picodollars(cost: &Value) -> u64 {
    (cost
        .as_f64()
        .unwrap_or_else(|| panic!("not a cost: {cost}"))
        * 1e12)
        .round() as u64
}

fn text_pipeline(constraints: Value) -> Value {
    json!({"name": "priced", "blocks": [
        {"type": "TextGenerator", "config": {"user_prompt": "Tell me about item {{ n }}"}},
        {"type": "ValidatorBlock"}],
        "constraints": constraints})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cost_of_records_and_jobs_is_the_price_table_times_the_tokens() {
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let prices = ws.write("prices.yaml", PRICES);
    ws.set_env("PRICES_FILE", &prices.display().to_string());
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = create_pipeline(&server, text_pipeline(json!({}))).await;
        let job = finished_job(&server, id, 5, None, 1).await;
        assert_eq!(job["status"], "completed", "{job}");
        let job_id = &job["id"];
        let records = records(&server, job_id).await;
        assert_eq!(records.len(), 5);
        let mut sum = 0;
        for record in &records {
            let usage = &record["usage"];
            let expected = usage["input_tokens"].as_u64().unwrap() * INPUT_PICO
                + usage["output_tokens"].as_u64().unwrap() * OUTPUT_PICO;
            // "Tell me about item 3": 5 words in, "Echo: Tell me about item 3" 6 out.
            assert_eq!(expected, 5 * INPUT_PICO + 6 * OUTPUT_PICO);
            assert_eq!(picodollars(&usage["cost"]), expected, "{usage}");
            assert_eq!(usage["unpriced_calls"], 0);
            // The trace entry of the LLM block carries the call's cost; the validator costs 0.
            assert_eq!(picodollars(&record["trace"][0]["usage"]["cost"]), expected);
            assert_eq!(record["trace"][1]["usage"]["cost"], 0.0);
            sum += expected;
        }
        assert_eq!(picodollars(&job["usage"]["cost"]), sum, "{job}");
        assert_eq!(sum, 5 * (5 * INPUT_PICO + 6 * OUTPUT_PICO));

        // The SSE progress events carry the totals.
        let body = job_stream(&server, job_id.as_i64().unwrap()).await;
        let (_, progress) = sse_events(&body)
            .into_iter()
            .find(|(name, _)| name == "progress")
            .unwrap_or_else(|| panic!("no progress event: {body}"));
        assert_eq!(picodollars(&progress["usage"]["cost"]), sum, "{progress}");
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cost_of_a_model_without_a_price_is_null_not_zero() {
    let fake = FakeLlm::start(FakeLlmConfig::default()).await;
    let mut ws = Workspace::new();
    // The built-in table has no price for `fake-model`.
    ws.with_llm(&fake);
    let (out, records) = ws
        .run_pipeline(
            "name: u\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'a b c'}\n",
            &cli_seeds(2, |_| json!({})),
            &[],
        )
        .await;
    out.assert_success();
    for record in &records {
        assert_eq!(record["usage"]["cost"], Value::Null, "{record}");
        assert_eq!(record["usage"]["unpriced_calls"], 1);
        assert_eq!(record["trace"][0]["usage"]["cost"], Value::Null);
        assert_eq!(
            record["usage"]["input_tokens"], 3,
            "tokens are still counted"
        );
    }
    assert!(out.stderr.contains("cost: unknown"), "{}", out.stderr);
    // A model the table knows is priced from the built-in table.
    ws.set_env("LLM_MODEL", "gpt-4o-mini");
    let (out, records) = ws
        .run_pipeline(
            "name: k\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'a b c'}\n",
            &cli_seeds(1, |_| json!({})),
            &[],
        )
        .await;
    out.assert_success();
    // gpt-4o-mini: $0.15 / $0.60 per million; 3 words in, "Echo: a b c" 4 out.
    assert_eq!(
        picodollars(&records[0]["usage"]["cost"]),
        3 * 150_000 + 4 * 600_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cost_max_total_cost_stops_the_job_with_the_reason() {
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    // $0.1 per token: each run (5 in + 6 out) costs $1.10.
    let prices = ws.write(
        "prices.yaml",
        "prices:\n  fake-model: {input: 100000, output: 100000}\n",
    );
    ws.set_env("PRICES_FILE", &prices.display().to_string());
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = create_pipeline(&server, text_pipeline(json!({"max_total_cost": 3.0}))).await;
        let job = finished_job(&server, id, 200, None, 1).await;
        assert_eq!(job["status"], "stopped", "{job}");
        assert_eq!(job["error"], "Constraint exceeded: max_total_cost");
        let spent = job["usage"]["cost"].as_f64().unwrap();
        assert!(spent >= 3.0, "stopped once the budget was reached: {job}");
        assert!(
            job["records_generated"].as_i64().unwrap() < 200,
            "it stopped early: {job}"
        );
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
    // The CLI stops its run set the same way.
    let (out, records) = ws
        .run_pipeline(
            "name: c\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'one two three four'}\nconstraints: {max_total_cost: 2}\n",
            &cli_seeds(20, |_| json!({})),
            &["--concurrency", "1"],
        )
        .await;
    out.assert_success();
    // Each run: 4 in + 5 out = $0.90; 0.9, 1.8 are below 2, the third reaches 2.7.
    assert_eq!(records.len(), 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("stopped: max_total_cost reached"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cost_a_bad_prices_file_fails_start_up_with_a_clear_message() {
    let mut ws = Workspace::new();
    let bad = ws.write(
        "prices.yaml",
        "prices:\n  gpt-4o: {input: -2, output: 10}\n",
    );
    ws.set_env("PRICES_FILE", &bad.display().to_string());
    let out = ws.run(&["blocks"]).await;
    out.assert_failure();
    assert!(out.stderr.contains("PRICES_FILE"), "{}", out.stderr);
    assert!(out.stderr.contains("prices.yaml"), "{}", out.stderr);
    assert!(out.stderr.contains("gpt-4o.input"), "{}", out.stderr);

    let typo = ws.write("typo.yaml", "prices:\n  gpt-4o: {inptu: 2, output: 10}\n");
    ws.set_env("PRICES_FILE", &typo.display().to_string());
    let out = ws.run(&["blocks"]).await;
    out.assert_failure();
    assert!(out.stderr.contains("inptu"), "{}", out.stderr);

    ws.set_env(
        "PRICES_FILE",
        &ws.path().join("missing.yaml").display().to_string(),
    );
    let out = ws.run(&["blocks"]).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("cannot read the price table") && out.stderr.contains("missing.yaml"),
        "{}",
        out.stderr
    );
    // The server refuses to start too.
    let (urls, stores, schema) = databases(&ws).await;
    let output = tokio::process::Command::new(blockforge_tests::harness::blockforge_bin())
        .arg("serve")
        .current_dir(ws.path())
        .env("PRICES_FILE", &bad)
        .env("PORT", "0")
        .env("DATABASE_URL", &urls[0])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("gpt-4o.input"));
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cost_of_embeddings_follows_the_price_table_too() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    std::fs::copy(
        blockforge_tests::fixtures::EMBEDDER,
        ws.plugins_dir().join("embedder.wasm"),
    )
    .unwrap();
    let prices = ws.write(
        "prices.yaml",
        "prices:\n  priced-embed: {input: 2, output: 0}\n",
    );
    ws.set_env("PRICES_FILE", &prices.display().to_string());
    let pipeline = |model: &str| {
        format!("name: e\nblocks:\n  - type: Embedder\n    config: {{model: {model}}}\n")
    };
    let text = cli_seeds(1, |_| json!({"text": "a b c"}));
    let (out, records) = ws.run_pipeline(&pipeline("priced-embed"), &text, &[]).await;
    out.assert_success();
    let usage = &records[0]["usage"];
    assert_eq!(usage["input_tokens"], 3, "{usage}");
    assert_eq!(picodollars(&usage["cost"]), 3 * 2_000_000);
    let (out, records) = ws.run_pipeline(&pipeline("other-embed"), &text, &[]).await;
    out.assert_success();
    assert_eq!(records[0]["usage"]["cost"], Value::Null);
    assert_eq!(fake.embedding_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cost_falls_back_to_the_model_named_in_the_answer() {
    // The name sent has no price; the dated snapshot the provider answers with does.
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        answered_model: Some("snap-2025-01-01".to_owned()),
        ..Default::default()
    })
    .await;
    ws.set_env("LLM_MODEL", "snap");
    let prices = ws.write(
        "prices.yaml",
        "prices:\n  snap-2025*: {input: 1, output: 1}\n",
    );
    ws.set_env("PRICES_FILE", &prices.display().to_string());
    let (out, records) = ws
        .run_pipeline(
            "name: s\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'a b'}\n",
            &cli_seeds(1, |_| json!({})),
            &[],
        )
        .await;
    out.assert_success();
    // 2 words in, "Echo: a b" 3 out, at $1 per million each.
    assert_eq!(picodollars(&records[0]["usage"]["cost"]), 5 * 1_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cost_and_tokens_per_model_in_the_job() {
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let prices = ws.write(
        "prices.yaml",
        "prices:\n  m-priced: {input: 1, output: 2}\n",
    );
    ws.set_env("PRICES_FILE", &prices.display().to_string());
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        // Unregistered names go to the default endpoint as provider model names.
        let id = create_pipeline(
            &server,
            json!({"name": "two", "blocks": [
                {"type": "TextGenerator", "config": {"user_prompt": "one two", "model": "m-priced"}},
                {"type": "TextGenerator", "config": {"user_prompt": "three", "model": "m-free"}}]}),
        )
        .await;
        let job = finished_job(&server, id, 3, None, 2).await;
        assert_eq!(job["status"], "completed", "{job}");
        let by_model = &job["usage_by_model"];
        // m-priced: 2 words in, "Echo: one two" 3 out, three times.
        assert_eq!(by_model["m-priced"]["input_tokens"], 6, "{by_model}");
        assert_eq!(by_model["m-priced"]["output_tokens"], 9);
        assert_eq!(
            picodollars(&by_model["m-priced"]["cost"]),
            6 * 1_000_000 + 9 * 2_000_000
        );
        assert_eq!(by_model["m-free"]["input_tokens"], 3);
        assert_eq!(by_model["m-free"]["cost"], Value::Null);
        assert_eq!(by_model["m-free"]["unpriced_calls"], 3);
        // The jobs list carries the same, for every job it lists.
        let (_, listed) = crate::models_routing::call(
            &server,
            reqwest::Method::GET,
            &format!("/api/jobs?pipeline_id={id}"),
            None,
        )
        .await;
        assert_eq!(&listed[0]["usage_by_model"], by_model, "{listed}");
        // The job's totals are the sums over its models.
        assert_eq!(job["usage"]["input_tokens"], 9);
        assert_eq!(
            job["usage"]["cost"],
            Value::Null,
            "an unpriced model makes it unknown"
        );
        assert_eq!(job["usage"]["unpriced_calls"], 3);
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}
