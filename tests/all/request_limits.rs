//! Small requests that would cost gigabytes are refused with the limit and the numbers, before
//! the work is done, and the server's memory stays bounded: a big seed repeated many times
//! (`MAX_JOB_STATE_BYTES`), a pipeline of too many blocks (`MAX_PIPELINE_BLOCKS`) at save, at
//! `/execute`, at `/api/generate` and in `accumulated_state_schema`, a state too large for one
//! run (`MAX_STATE_BYTES`, `MAX_RUN_STATE_BYTES`), and a state schema that would grow with
//! blocks × fields.

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, generate, get_json};

/// Memory a refused request may leave behind: far below what the work it asked for would
/// take (gigabytes), well above the allocator's noise.
const RSS_SLACK: u64 = 200 * 1024 * 1024;

/// Waits for the server's RSS to come back within [`RSS_SLACK`] of `rss_before`, and checks it
/// did.
async fn assert_rss_came_back(server: &Server, rss_before: u64) {
    let rss_after = server.wait_rss_at_most(rss_before + RSS_SLACK).await;
    assert!(
        rss_after <= rss_before + RSS_SLACK,
        "RSS grew from {rss_before} to {rss_after}"
    );
}

async fn sqlite_server(ws: &Workspace) -> Server {
    ws.serve(&format!(
        "sqlite://{}",
        ws.path().join("blockforge.db").display()
    ))
    .await
}

/// `n` FieldMapper blocks, each setting `f<i>`.
fn mappers(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"type": "FieldMapper", "config": {"mappings": {format!("f{i}"): "1"}}}))
            .collect(),
    )
}

async fn error_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_seed_repeated_20000_times_is_refused_before_expansion() {
    let ws = Workspace::new();
    let server = sqlite_server(&ws).await;
    let pipeline = create_pipeline(&server, json!({"name": "p", "blocks": mappers(1)})).await;
    let rss_before = server.rss_bytes();
    // One 1 MiB seed × 20,000 repetitions: 20,000 runs (under MAX_RUNS_PER_JOB), 20 GiB of state.
    let blob = "a".repeat(1024 * 1024);
    let seeds = json!([{"repetitions": 20_000, "metadata": {"blob": blob}}]).to_string();
    let body = error_of(
        generate(&server, pipeline, "seeds.json", seeds, 1).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("over its 20000 runs")
            && error.contains("above the limit of 1073741824 bytes per job (MAX_JOB_STATE_BYTES)"),
        "{body}"
    );
    let seed_bytes = json!({"blob": "a".repeat(1024 * 1024)}).to_string().len() as u64;
    assert_eq!(body["detail"]["bytes"], seed_bytes * 20_000, "{body}");
    assert_eq!(body["detail"]["setting"], "MAX_JOB_STATE_BYTES", "{body}");
    assert_eq!(body["detail"]["file"], "seeds.json", "{body}");
    let jobs: Value = get_json(&server, "/api/jobs").await;
    assert_eq!(jobs, json!([]), "no job was created");
    assert_rss_came_back(&server, rss_before).await;
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_seed_above_the_state_limit_is_refused_naming_it() {
    let mut ws = Workspace::new();
    ws.set_env("MAX_STATE_BYTES", "65536");
    ws.set_env("MAX_RUN_STATE_BYTES", "200000");
    let server = sqlite_server(&ws).await;
    let pipeline = create_pipeline(&server, json!({"name": "p", "blocks": mappers(4)})).await;
    let seeds = json!([
        {"metadata": {"n": 1}},
        {"metadata": {"blob": "b".repeat(70_000)}}
    ])
    .to_string();
    let body = error_of(
        generate(&server, pipeline, "seeds.json", seeds, 1).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("seed 2 is 70011 bytes of JSON, above the limit of 65536 bytes per state (MAX_STATE_BYTES)"),
        "{body}"
    );
    // 60,000 bytes through 4 blocks pass the run's budget of 200,000 bytes.
    let seeds = json!([{"metadata": {"blob": "b".repeat(60_000)}}]).to_string();
    let body = error_of(
        generate(&server, pipeline, "seeds.json", seeds, 1).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["detail"]["setting"], "MAX_RUN_STATE_BYTES", "{body}");
    assert_eq!(body["detail"]["blocks"], 4, "{body}");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1000_block_pipeline_is_refused_at_save_execute_generate_and_schema() {
    let mut ws = Workspace::new();
    let http = client();
    let long = json!({"name": "long", "blocks": mappers(1000)});
    let expected = "the pipeline has 1000 blocks, above the limit of 256 blocks per pipeline (MAX_PIPELINE_BLOCKS)";

    // A server allowing 1000 blocks saves it: a pipeline saved before the limit was lowered.
    ws.set_env("MAX_PIPELINE_BLOCKS", "1000");
    let server = sqlite_server(&ws).await;
    let saved = create_pipeline(&server, long.clone()).await;
    let short = create_pipeline(&server, json!({"name": "short", "blocks": mappers(2)})).await;
    server.kill9().await;

    ws.set_env("MAX_PIPELINE_BLOCKS", "");
    let server = sqlite_server(&ws).await;
    let rss_before = server.rss_bytes();
    let check = |body: Value| {
        assert_eq!(body["error"], expected, "{body}");
        assert_eq!(body["detail"]["blocks"], 1000, "{body}");
        assert_eq!(body["detail"]["limit"], 256, "{body}");
        assert_eq!(body["detail"]["setting"], "MAX_PIPELINE_BLOCKS", "{body}");
    };
    // At save, new or replacing.
    let response = http
        .post(server.url("/api/pipelines"))
        .json(&long)
        .send()
        .await
        .unwrap();
    check(error_of(response, StatusCode::BAD_REQUEST).await);
    let response = http
        .put(server.url(&format!("/api/pipelines/{short}")))
        .json(&long)
        .send()
        .await
        .unwrap();
    check(error_of(response, StatusCode::BAD_REQUEST).await);
    // A 256-block pipeline is still fine.
    create_pipeline(&server, json!({"name": "max", "blocks": mappers(256)})).await;
    // The one saved before: at /execute, /api/generate and in its state schema.
    let response = http
        .post(server.url(&format!("/api/pipelines/{saved}/execute")))
        .json(&json!({"blob": "x".repeat(1024 * 1024)}))
        .send()
        .await
        .unwrap();
    check(error_of(response, StatusCode::BAD_REQUEST).await);
    let response = generate(&server, saved, "s.json", crate::api::seeds(2), 1).await;
    check(error_of(response, StatusCode::BAD_REQUEST).await);
    let response = http
        .get(server.url(&format!("/api/pipelines/{saved}/accumulated_state_schema")))
        .send()
        .await
        .unwrap();
    check(error_of(response, StatusCode::BAD_REQUEST).await);
    // A definition body above 4 MiB is refused before it is parsed.
    let response = http
        .post(server.url("/api/pipelines"))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"name\": \"{}\", \"blocks\": []}}",
            "n".repeat(5 * 1024 * 1024)
        ))
        .send()
        .await
        .unwrap();
    let body = error_of(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(body["error"].is_string(), "{body}");
    assert_rss_came_back(&server, rss_before).await;
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_state_is_refused_at_execute_and_fails_the_run_that_grows_it() {
    let mut ws = Workspace::new();
    ws.set_env("MAX_STATE_BYTES", "1048576");
    ws.set_env("MAX_RUN_STATE_BYTES", "8388608");
    let server = sqlite_server(&ws).await;
    let http = client();
    let execute = |id: i64, body: String| {
        http.post(server.url(&format!("/api/pipelines/{id}/execute")))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let three = create_pipeline(&server, json!({"name": "3", "blocks": mappers(3)})).await;
    // A body above MAX_STATE_BYTES: 413 before it is parsed.
    let big = json!({"blob": "x".repeat(2 * 1024 * 1024)}).to_string();
    let body = error_of(
        execute(three, big.clone()).await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert!(
        body["error"].as_str().unwrap().starts_with(&format!(
            "the request body is {} bytes of JSON, above the limit of 1048576 bytes per state (MAX_STATE_BYTES)",
            big.len()
        )),
        "{body}"
    );
    assert_eq!(body["detail"]["bytes"], big.len(), "{body}");
    // 600 KB through 20 blocks would carry 12 MB in one run, above MAX_RUN_STATE_BYTES.
    let twenty = create_pipeline(&server, json!({"name": "20", "blocks": mappers(20)})).await;
    let body = error_of(
        execute(twenty, json!({"blob": "x".repeat(600_000)}).to_string())
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["detail"]["setting"], "MAX_RUN_STATE_BYTES", "{body}");
    assert_eq!(body["detail"]["blocks"], 20, "{body}");
    // A block that doubles a 400 KB state passes MAX_STATE_BYTES: the run fails at that block.
    let doubler = create_pipeline(
        &server,
        json!({"name": "double", "blocks": [
            {"type": "FieldMapper", "config": {"mappings": {"b": "{{ a }}{{ a }}"}}},
            {"type": "FieldMapper", "config": {"mappings": {"c": "1"}}}]}),
    )
    .await;
    let body = error_of(
        execute(doubler, json!({"a": "y".repeat(400_000)}).to_string())
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    let error = body["error"].as_str().unwrap();
    assert!(
        error.starts_with("FieldMapper (step 0) made the run's state ")
            && error.ends_with("above the limit of 1048576 bytes per state (MAX_STATE_BYTES)"),
        "{error}"
    );
    let trace = body["detail"]["trace"].as_array().unwrap();
    assert_eq!(trace.len(), 1, "the run stopped at the block that grew it");
    assert_eq!(trace[0]["failure"]["kind"], "state_limit");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_schema_that_grows_with_blocks_times_fields_is_refused() {
    let ws = Workspace::new();
    let server = sqlite_server(&ws).await;
    // 256 blocks of 800 new fields each: the per-step field lists would hold 26,316,800 names.
    let blocks: Vec<Value> = (0..256)
        .map(|i| {
            let mappings: serde_json::Map<String, Value> = (0..800)
                .map(|j| (format!("k{i}_{j}"), json!("1")))
                .collect();
            json!({"type": "FieldMapper", "config": {"mappings": mappings}})
        })
        .collect();
    let id = create_pipeline(&server, json!({"name": "wide", "blocks": blocks})).await;
    let rss_before = server.rss_bytes();
    let response = client()
        .get(server.url(&format!("/api/pipelines/{id}/accumulated_state_schema")))
        .send()
        .await
        .unwrap();
    let body = error_of(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body["error"],
        "the pipeline's state schema would list 26316800 field names over its steps, above the limit of 200000",
        "{body}"
    );
    assert_eq!(body["detail"]["entries"], 26_316_800u64, "{body}");
    assert_rss_came_back(&server, rss_before).await;
    // A narrow pipeline's schema still answers.
    let narrow = create_pipeline(&server, json!({"name": "n", "blocks": mappers(3)})).await;
    let schema: Value = get_json(
        &server,
        &format!("/api/pipelines/{narrow}/accumulated_state_schema"),
    )
    .await;
    assert_eq!(schema["fields"], json!(["f0", "f1", "f2"]), "{schema}");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blockforge_run_applies_the_same_state_and_block_limits() {
    let mut ws = Workspace::new();
    ws.set_env("MAX_JOB_STATE_BYTES", "100000");
    ws.set_env("MAX_PIPELINE_BLOCKS", "3");
    let two = json!({"name": "p", "blocks": mappers(2)}).to_string();
    // 1 KB × 200 repetitions: 200 KB of initial state, above 100,000 bytes.
    let seeds = json!([{"repetitions": 200, "metadata": {"blob": "c".repeat(1000)}}]);
    let (out, records) = ws.run_pipeline(&two, &seeds, &[]).await;
    out.assert_failure();
    assert!(
        out.stderr.contains(
            "the seed file plans 202200 bytes of initial state over its 200 runs, above the limit \
             of 100000 bytes per job (MAX_JOB_STATE_BYTES)"
        ),
        "{}",
        out.stderr
    );
    assert!(records.is_empty());
    let four = json!({"name": "p", "blocks": mappers(4)}).to_string();
    let (out, _) = ws
        .run_pipeline(&four, &json!([{"metadata": {"n": 1}}]), &[])
        .await;
    out.assert_failure();
    assert!(
        out.stderr.contains(
            "the pipeline has 4 blocks, above the limit of 3 blocks per pipeline (MAX_PIPELINE_BLOCKS)"
        ),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_states_add_up_past_its_budget_fails_at_that_block() {
    let mut ws = Workspace::new();
    ws.set_env("MAX_RUN_STATE_BYTES", "2000000");
    let server = sqlite_server(&ws).await;
    // Each block copies the 100 KB seed field into a new one: the state grows by 100 KB a step,
    // and the states the steps receive add up past 2,000,000 bytes at step 4.
    let blocks: Vec<Value> = (0..10)
        .map(|i| json!({"type": "FieldMapper", "config": {"mappings": {format!("f{i}"): "{{ seed }}"}}}))
        .collect();
    let id = create_pipeline(&server, json!({"name": "grow", "blocks": blocks})).await;
    let response = client()
        .post(server.url(&format!("/api/pipelines/{id}/execute")))
        .json(&json!({"seed": "s".repeat(100_000)}))
        .send()
        .await
        .unwrap();
    let body = error_of(response, StatusCode::BAD_REQUEST).await;
    let error = body["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            "FieldMapper (step 4) brought the state the run carried over its steps to "
        ) && error.ends_with("above the limit of 2000000 bytes per run (MAX_RUN_STATE_BYTES)"),
        "{error}"
    );
    let trace = body["detail"]["trace"].as_array().unwrap();
    assert_eq!(trace.len(), 5, "the run stopped at step 4");
    assert_eq!(trace[4]["failure"]["kind"], "state_limit");
    assert_eq!(
        trace[4]["failure"]["detail"]["max_run_state_bytes"],
        2_000_000
    );
    server.kill9().await;
}
