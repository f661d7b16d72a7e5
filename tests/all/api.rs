//! The HTTP API over real HTTP against the real `blockforge serve`, on SQLite and PostgreSQL.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::store::{cleanup, stores};

pub(crate) fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The database URLs of one test: a SQLite file and a fresh PostgreSQL schema.
pub(crate) async fn databases(
    ws: &Workspace,
) -> (Vec<String>, Vec<blockforge::store::Store>, String) {
    let (_dir, stores, schema) = stores().await;
    let sqlite = format!(
        "sqlite://{}",
        ws.path().join("data/blockforge.db").display()
    );
    let postgres =
        format!("postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3D{schema}");
    (vec![sqlite, postgres], stores, schema)
}

/// `GET path` answered 200, as JSON.
pub(crate) async fn get_json(server: &Server, path: &str) -> Value {
    let response = client().get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

pub(crate) async fn create_pipeline(server: &Server, body: Value) -> i64 {
    let response = client()
        .post(server.url("/api/pipelines"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

pub(crate) async fn generate(
    server: &Server,
    pipeline_id: i64,
    file_name: &str,
    seeds: String,
    concurrency: u32,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("pipeline_id", pipeline_id.to_string())
        .text("concurrency", concurrency.to_string())
        .part(
            "file",
            reqwest::multipart::Part::text(seeds).file_name(file_name.to_owned()),
        );
    post_generate(server, form).await
}

/// Starts a job like [`generate`] and returns its id.
pub(crate) async fn generate_job(
    server: &Server,
    pipeline_id: i64,
    file_name: &str,
    seeds: String,
    concurrency: u32,
) -> i64 {
    let response = generate(server, pipeline_id, file_name, seeds, concurrency).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap()
}

/// `POST /api/generate` with `form` as it is.
pub(crate) async fn post_generate(
    server: &Server,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    client()
        .post(server.url("/api/generate"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn wait_for(server: &Server, job_id: i64, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let job: Value = client()
            .get(server.url(&format!("/api/jobs/{job_id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done(&job) || Instant::now() > deadline {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Uploads `seeds` as `file_name` for `pipeline_id`, waits for the job to complete, and returns
/// its records (at most 100) as `GET /api/records` gives them.
pub(crate) async fn job_records(
    server: &Server,
    pipeline_id: i64,
    file_name: &str,
    seeds: String,
    concurrency: u32,
) -> Vec<Value> {
    let response = generate(server, pipeline_id, file_name, seeds, concurrency).await;
    assert_eq!(response.status(), StatusCode::OK);
    let job_id = response.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    let job = wait_for(server, job_id, |job| job["status"] != "running").await;
    assert_eq!(job["status"], "completed", "{job}");
    let records = get_json(server, &format!("/api/records?job_id={job_id}&limit=100")).await;
    records.as_array().unwrap().clone()
}

pub(crate) fn seeds(n: usize) -> String {
    Value::Array(
        (0..n)
            .map(|i| json!({"repetitions": 1, "metadata": {"n": i}}))
            .collect(),
    )
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelines_jobs_and_records_over_http() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let http = client();
        assert_eq!(
            http.get(server.url("/health"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        let blocks: Vec<Value> = http
            .get(server.url("/api/blocks"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(blocks.iter().any(|b| b["type"] == "TextGenerator"));

        // DataGenFlow's saved-pipeline shape.
        let id = create_pipeline(
            &server,
            json!({"name": "m", "definition": {"blocks": [
            {"type": "FieldMapper", "config": {"mappings": {"out": "{{ n }}!"}}}]}}),
        )
        .await;
        let listed: Vec<Value> = http
            .get(server.url("/api/pipelines"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(listed.iter().any(|p| p["id"] == id && p["name"] == "m"));

        let response = generate(&server, id, "seeds.json", seeds(120), 8).await;
        assert_eq!(response.status(), StatusCode::OK);
        let job_id = response.json::<Value>().await.unwrap()["job_id"]
            .as_i64()
            .unwrap();
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(
            (
                job["records_generated"].as_i64(),
                job["total_seeds"].as_i64()
            ),
            (Some(120), Some(120))
        );
        assert_eq!(job["progress"], 1.0);

        let page = http
            .get(server.url(&format!("/api/records?job_id={job_id}&limit=50&offset=100")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.headers()["x-total-count"], "120", "real total, no cap");
        let page: Vec<Value> = page.json().await.unwrap();
        assert_eq!(page.len(), 20);
        let record: Value = http
            .get(server.url(&format!("/api/records/{}", page[0]["id"])))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(record["status"], "pending");
        assert!(record["output"]["out"].as_str().unwrap().ends_with('!'));
        assert_eq!(
            page[0], record,
            "a page shows a record (its stored JSON passed on) as reading it alone does"
        );

        // Cancelling a finished job does not make it cancelled.
        let cancel: Value = http
            .delete(server.url(&format!("/api/jobs/{job_id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(cancel["job"]["status"], "completed");
        let by_pipeline: Vec<Value> = http
            .get(server.url(&format!("/api/jobs?pipeline_id={id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(by_pipeline.len(), 1);

        // Delete cascades.
        assert_eq!(
            http.delete(server.url(&format!("/api/pipelines/{id}")))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            http.get(server.url(&format!("/api/jobs/{job_id}")))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_an_error_with_detail_and_the_right_status() {
    let mut ws = Workspace::new();
    // Seed files have their own bound (4 GiB by default); 32 MiB here, as every other body.
    ws.set_env("MAX_SEED_UPLOAD_BYTES", &(32 << 20).to_string());
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("db.sqlite").display()
        ))
        .await;
    let http = client();
    let response = http
        .post(server.url("/api/pipelines"))
        .json(&json!({"name": "x", "blocks": [{"type": "Nope"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "the pipeline is not valid");
    assert!(
        body["detail"]["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown block type 'Nope'")
    );
    // A template that does not parse is refused at save, naming the step and the field.
    let response = http
        .post(server.url("/api/pipelines"))
        .json(&json!({"name": "x", "blocks": [
            {"type": "ValidatorBlock", "config": {}},
            {"type": "TextGenerator", "config": {"user_prompt": "Explain {{ topic"}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    let issue = &body["detail"]["issues"][0];
    assert_eq!(issue["step"], 1, "{body}");
    assert!(
        issue["message"]
            .as_str()
            .unwrap()
            .contains("the template in `user_prompt` does not parse"),
        "{body}"
    );

    let missing = http
        .get(server.url("/api/pipelines/999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "pipeline 999 not found"
    );
    let nowhere = http.get(server.url("/api/nowhere")).send().await.unwrap();
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        nowhere.json::<Value>().await.unwrap()["detail"]["path"],
        "/api/nowhere"
    );

    let id = create_pipeline(
        &server,
        json!({"name": "m", "blocks": [{"type": "FieldMapper"}]}),
    )
    .await;
    let wrong_type = generate(&server, id, "seeds.xml", "<a/>".to_owned(), 1).await;
    assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST);
    assert!(
        wrong_type.json::<Value>().await.unwrap()["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("use .json, .jsonl, .csv, .md or .txt")
    );
    let bad_seeds = generate(
        &server,
        id,
        "seeds.json",
        "[{\"metadata\": 1}]".to_owned(),
        1,
    )
    .await;
    assert_eq!(bad_seeds.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad_seeds.json::<Value>().await.unwrap()["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("`metadata` must be an object")
    );
    let unknown_pipeline = generate(&server, 4242, "seeds.json", seeds(1), 1).await;
    assert_eq!(unknown_pipeline.status(), StatusCode::NOT_FOUND);
    // Over the 32 MiB MAX_SEED_UPLOAD_BYTES: 413, or the connection closed while still sending.
    let form = reqwest::multipart::Form::new()
        .text("pipeline_id", id.to_string())
        .part(
            "file",
            reqwest::multipart::Part::text("x".repeat(40 * 1024 * 1024)).file_name("seeds.json"),
        );
    match http
        .post(server.url("/api/generate"))
        .multipart(form)
        .send()
        .await
    {
        Ok(huge) => assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(e.is_request() || e.is_body() || e.is_connect(), "{e}"),
    }
    // axum's own rejections come in the same shape.
    let bad_path = http.get(server.url("/api/jobs/abc")).send().await.unwrap();
    assert_eq!(bad_path.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad_path.json::<Value>().await.unwrap()["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("abc")
    );
    let bad_json = http
        .post(server.url("/api/pipelines"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(bad_json.status().is_client_error());
    assert!(bad_json.json::<Value>().await.unwrap()["error"].is_string());
    let bad_query = http
        .get(server.url("/api/records?limit=many"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_query.status(), StatusCode::BAD_REQUEST);
    assert!(bad_query.json::<Value>().await.unwrap()["detail"]["message"].is_string());
    let health = http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "the server survives bad input"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_survives_kill_9_and_completes_after_restart_without_duplicates() {
    const RUNS: i64 = 2_000;
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(10),
        ..Default::default()
    })
    .await;
    ws.set_env("JOB_LEASE_SECS", "1");
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = create_pipeline(
            &server,
            json!({"name": "t", "blocks": [
            {"type": "TextGenerator", "config": {"user_prompt": "n {{ n }}"}},
            {"type": "ValidatorBlock"}]}),
        )
        .await;
        let response = generate(&server, id, "seeds.json", seeds(RUNS as usize), 16).await;
        let job_id = response.json::<Value>().await.unwrap()["job_id"]
            .as_i64()
            .unwrap();
        let job = wait_for(&server, job_id, |j| {
            j["records_generated"].as_i64().unwrap_or(0) >= 300
        })
        .await;
        server.kill9().await;
        let done_before = job["records_generated"].as_i64().unwrap();
        assert!(done_before < RUNS, "killed mid-job");

        let calls_at_kill = fake.chat_requests();
        let server = ws.serve(&url).await;
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        // Runs finished before the kill are not run again (the ones in flight or not yet
        // written at the kill are: at most the concurrency plus a write batch, and the few
        // finished between the last poll and the kill).
        let calls_after = i64::from(fake.chat_requests() - calls_at_kill);
        assert!(
            calls_after <= RUNS - done_before + 16 + 64 + 100,
            "{calls_after} calls after restart for {} runs left",
            RUNS - done_before
        );
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(job["records_generated"], RUNS);
        let mut runs: HashSet<i64> = HashSet::new();
        let mut listed = 0;
        for page in 0..(RUNS / 500) {
            let records = client()
                .get(server.url(&format!(
                    "/api/records?job_id={job_id}&limit=500&offset={}",
                    page * 500
                )))
                .send()
                .await
                .unwrap();
            assert_eq!(
                records.headers()["x-total-count"],
                RUNS.to_string().as_str()
            );
            let records: Vec<Value> = records.json().await.unwrap();
            listed += records.len();
            runs.extend(records.iter().map(|r| r["run_id"].as_i64().unwrap()));
        }
        assert_eq!(listed, RUNS as usize);
        assert_eq!(
            runs.len(),
            RUNS as usize,
            "exactly one record per run, none duplicated"
        );
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_jobs_run_at_once_and_both_complete() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(20),
        ..Default::default()
    })
    .await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let first = create_pipeline(
            &server,
            json!({"name": "a", "blocks": [
            {"type": "TextGenerator", "config": {"user_prompt": "a {{ n }}"}}]}),
        )
        .await;
        let second = create_pipeline(
            &server,
            json!({"name": "b", "blocks": [
            {"type": "TextGenerator", "config": {"user_prompt": "b {{ n }}"}},
            {"type": "ValidatorBlock"}]}),
        )
        .await;
        let mut job_ids = Vec::new();
        for pipeline in [first, second] {
            let response = generate(&server, pipeline, "seeds.json", seeds(150), 4).await;
            job_ids.push(
                response.json::<Value>().await.unwrap()["job_id"]
                    .as_i64()
                    .unwrap(),
            );
        }
        // Both make progress while both are running: neither waits for the other.
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let active: Vec<Value> = client()
                .get(server.url("/api/jobs?status=running"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let progressing = active
                .iter()
                .filter(|j| j["status"] == "running" && j["records_generated"].as_i64() > Some(0))
                .count();
            if progressing == 2 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "two jobs never ran at once: {active:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for (job_id, pipeline) in job_ids.iter().zip([first, second]) {
            let job = wait_for(&server, *job_id, |j| j["status"] == "completed").await;
            assert_eq!(job["status"], "completed", "{job}");
            assert_eq!(job["records_generated"], 150, "{job}");
            let records = client()
                .get(server.url(&format!("/api/records?job_id={job_id}&limit=1")))
                .send()
                .await
                .unwrap();
            assert_eq!(records.headers()["x-total-count"], "150");
            let records: Vec<Value> = records.json().await.unwrap();
            assert_eq!(records[0]["pipeline_id"], pipeline, "{records:?}");
        }
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

/// `(event, data)` pairs of a finished Server-Sent Events body.
/// The whole event stream of a finished job (the server closes it after `done`).
pub(crate) async fn job_stream(server: &Server, job_id: i64) -> String {
    client()
        .get(server.url(&format!("/api/jobs/{job_id}/stream")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub(crate) fn sse_events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(n) = line
                    .strip_prefix("event: ")
                    .or_else(|| line.strip_prefix("event:"))
                {
                    name = Some(n.trim().to_owned());
                }
                if let Some(d) = line
                    .strip_prefix("data: ")
                    .or_else(|| line.strip_prefix("data:"))
                {
                    data = serde_json::from_str(d.trim()).ok();
                }
            }
            Some((name?, data?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_stream_sends_records_and_progress_in_order_then_done() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(20),
        ..Default::default()
    })
    .await;
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("db.sqlite").display()
        ))
        .await;
    let id = create_pipeline(
        &server,
        json!({"name": "t", "blocks": [
        {"type": "TextGenerator", "config": {"user_prompt": "n {{ n }}"}},
        {"type": "ValidatorBlock"}]}),
    )
    .await;
    let job_id = generate(
        &server,
        id,
        "seeds.jsonl",
        (0..30)
            .map(|i| format!("{{\"metadata\": {{\"n\": {i}}}}}\n"))
            .collect(),
        3,
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["job_id"]
        .as_i64()
        .unwrap();
    let body = job_stream(&server, job_id).await;
    let events = sse_events(&body);
    let records: Vec<i64> = events
        .iter()
        .filter(|(n, _)| n == "record")
        .map(|(_, d)| d["record_id"].as_i64().unwrap())
        .collect();
    assert_eq!(records.len(), 30, "one event per record");
    assert!(records.windows(2).all(|w| w[0] < w[1]), "in order");
    let progress: Vec<i64> = events
        .iter()
        .filter(|(n, _)| n == "progress")
        .map(|(_, d)| d["records_generated"].as_i64().unwrap())
        .collect();
    assert!(
        progress.len() >= 2 && progress.windows(2).all(|w| w[0] <= w[1]),
        "{progress:?}"
    );
    // The block runs are in is live: each progress event names a block of the pipeline at its
    // step, once the first run has entered one.
    let current: Vec<(String, i64)> = events
        .iter()
        .filter(|(n, _)| n == "progress")
        .filter_map(|(_, d)| {
            Some((
                d["current_block"].as_str()?.to_owned(),
                d["current_step"].as_i64()?,
            ))
        })
        .collect();
    assert!(!current.is_empty(), "no current block reported: {events:?}");
    for (block, step) in &current {
        let expected = ["TextGenerator", "ValidatorBlock"][*step as usize];
        assert_eq!(block, expected, "{current:?}");
    }
    let (last, data) = events.last().unwrap();
    assert_eq!(last, "done");
    assert_eq!(data["status"], "completed");
    assert_eq!(data["records_generated"], 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewed_and_edited_records_are_exported_with_their_edits() {
    let ws = Workspace::new();
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("db.sqlite").display()
        ))
        .await;
    let http = client();
    let id = create_pipeline(&server, json!({"name": "m", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"out": "{{ n }}"}}}]})).await;
    let job_id = generate(&server, id, "seeds.json", seeds(5), 2)
        .await
        .json::<Value>()
        .await
        .unwrap()["job_id"]
        .as_i64()
        .unwrap();
    wait_for(&server, job_id, |j| j["status"] == "completed").await;
    let records: Vec<Value> = http
        .get(server.url(&format!("/api/records?job_id={job_id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (first, second) = (
        records[0]["id"].as_i64().unwrap(),
        records[1]["id"].as_i64().unwrap(),
    );

    let edited: Value = http
        .put(server.url(&format!("/api/records/{first}")))
        .json(&json!({"output": {"n": 0, "out": "fixed by hand"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(edited["status"], "edited");
    let accepted = http
        .put(server.url(&format!("/api/records/{second}")))
        .json(&json!({"status": "accepted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    let invalid = http
        .put(server.url(&format!("/api/records/{second}")))
        .json(&json!({"status": "great"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        invalid.json::<Value>().await.unwrap()["detail"]["status"],
        "great"
    );

    let jsonl = http
        .get(server.url(&format!("/api/export?job_id={job_id}&format=jsonl")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0]["accumulated_state"]["out"], "fixed by hand",
        "the edit is in the export"
    );
    let only_edited: Value = http
        .get(server.url("/api/export?status=edited&format=json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(only_edited.as_array().unwrap().len(), 1);
    let download = http
        .get(server.url(&format!(
            "/api/export/download?job_id={job_id}&status=accepted"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        download.headers()["content-disposition"],
        format!("attachment; filename=\"blockforge-records-job{job_id}-accepted.jsonl\"").as_str()
    );
    assert_eq!(download.text().await.unwrap().lines().count(), 1);
    let csv = http
        .get(server.url("/api/export?format=xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_and_markdown_seed_files_start_jobs() {
    let ws = Workspace::new();
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("db.sqlite").display()
        ))
        .await;
    let id = create_pipeline(&server, json!({"name": "m", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"out": "{{ topic | default(file_content) }}"}}}]})).await;
    let csv = "topic,repetitions\n\"a, b\",2\nc,1\n".to_owned();
    let job = generate(&server, id, "seeds.csv", csv, 2)
        .await
        .json::<Value>()
        .await
        .unwrap()["job_id"]
        .as_i64()
        .unwrap();
    let job = wait_for(&server, job, |j| j["status"] == "completed").await;
    assert_eq!(job["records_generated"], 3);
    let md = generate(&server, id, "doc.md", "# Notes\nbody".to_owned(), 1)
        .await
        .json::<Value>()
        .await
        .unwrap()["job_id"]
        .as_i64()
        .unwrap();
    wait_for(&server, md, |j| j["status"] == "completed").await;
    let records: Vec<Value> = client()
        .get(server.url(&format!("/api/records?job_id={md}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(records[0]["output"]["out"], "# Notes\nbody");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_guards_the_api_but_not_health() {
    let mut ws = Workspace::new();
    ws.set_env("API_KEY", "s3cret");
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("db.sqlite").display()
        ))
        .await;
    let http = client();
    let refused = http.get(server.url("/api/pipelines")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "missing or wrong API key"
    );
    let wrong = http
        .get(server.url("/api/pipelines"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = http
        .get(server.url("/api/pipelines"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        http.get(server.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_runs_a_saved_pipeline_once_for_a_preview() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    std::fs::copy(
        blockforge_tests::fixtures::SPLITTER,
        ws.plugins_dir().join("splitter.wasm"),
    )
    .unwrap();
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("db.sqlite").display()
        ))
        .await;
    let http = client();
    let id = create_pipeline(
        &server,
        json!({"name": "t", "blocks": [
        {"type": "TextGenerator", "config": {"user_prompt": "About {{ topic }}"}},
        {"type": "ValidatorBlock", "config": {"min_length": 1}}]}),
    )
    .await;
    let preview: Value = http
        .post(server.url(&format!("/api/pipelines/{id}/execute")))
        .json(&json!({"topic": "wasm"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(preview["result"]["assistant"], "Echo: About wasm");
    assert_eq!(preview["pipeline_output"], "Echo: About wasm");
    assert_eq!(preview["trace"].as_array().unwrap().len(), 2);
    assert!(preview["usage"]["input_tokens"].as_u64().unwrap() > 0);
    // The body is JSON, as the description says.
    let plain = http
        .post(server.url(&format!("/api/pipelines/{id}/execute")))
        .header("content-type", "text/plain")
        .body(r#"{"topic": "wasm"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A failing block answers 400 with the trace.
    let failing = http
        .post(server.url(&format!("/api/pipelines/{id}/execute")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(failing.status(), StatusCode::BAD_REQUEST);
    let body: Value = failing.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("TextGenerator (step 0)"),
        "{body}"
    );
    assert_eq!(body["detail"]["trace"][0]["block_type"], "TextGenerator");
    // A multiplier pipeline answers one result per split.
    let split = create_pipeline(
        &server,
        json!({"name": "s", "blocks": [{"type": "LineSplitter"}]}),
    )
    .await;
    let results: Value = http
        .post(server.url(&format!("/api/pipelines/{split}/execute")))
        .json(&json!({"text": "a\nb"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(results["results"].as_array().unwrap().len(), 2);
    assert_eq!(results["results"][1]["result"]["line"], "b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_leaves_nothing_in_its_job_kv_namespace() {
    let ws = Workspace::new();
    let (server, mut db) = serve_with_dedup(&ws).await;
    for scope in ["job", "pipeline"] {
        let pipeline = json!({"name": scope, "blocks": [
            {"type": "ExactDedup", "config": {"field": "text", "scope": scope}}]});
        let result =
            crate::models_routing::execute(&server, pipeline, json!({"text": "hello"})).await;
        assert_eq!(result["result"]["is_duplicate"], false, "{result}");
    }
    for table in ["kv", "kv_usage"] {
        let previews = namespaces_like(&mut db, table, "job:%").await;
        assert_eq!(previews, 0, "{table}: a preview's job namespace is deleted");
        let pipelines = namespaces_like(&mut db, table, "pipeline:%").await;
        assert_eq!(pipelines, 1, "{table}: the pipeline's namespace stays");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_the_client_gave_up_on_leaves_nothing_in_kv_either() {
    // The model answers after 60 s; the client gives up after 10.
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_secs(60),
        ..Default::default()
    })
    .await;
    let (server, mut db) = serve_with_dedup(&ws).await;
    let id = create_pipeline(
        &server,
        json!({"name": "slow", "blocks": [
            {"type": "ExactDedup", "config": {"field": "text"}},
            {"type": "TextGenerator", "config": {"user_prompt": "{{ text }}"}}]}),
    )
    .await;
    let request = client()
        .post(server.url(&format!("/api/pipelines/{id}/execute")))
        .json(&json!({"text": "hello"}))
        .timeout(Duration::from_secs(10))
        .send();
    let request = tokio::spawn(request);
    // The dedup block has claimed its key while the model is still thinking.
    let deadline = Instant::now() + Duration::from_secs(10);
    while namespaces_like(&mut db, "kv", "job:%").await == 0 {
        assert!(Instant::now() < deadline, "the dedup block never claimed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(request.await.unwrap().is_err(), "the model takes 60 s");
    // The dedup block's claim is deleted once the server sees the client gone.
    let deadline = Instant::now() + Duration::from_secs(40);
    while namespaces_like(&mut db, "kv", "job:%").await > 0 {
        assert!(Instant::now() < deadline, "the preview's kv entry stayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A server on a SQLite file of `ws` with the ExactDedup fixture, and a connection to its
/// database.
async fn serve_with_dedup(ws: &Workspace) -> (Server, sqlx::SqliteConnection) {
    use sqlx::Connection;
    std::fs::copy(
        blockforge_tests::fixtures::DEDUP,
        ws.plugins_dir().join("dedup.wasm"),
    )
    .unwrap();
    let url = format!("sqlite://{}", ws.path().join("db.sqlite").display());
    let server = ws.serve(&url).await;
    let db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    (server, db)
}

/// Rows of `table` whose namespace is `LIKE pattern`.
async fn namespaces_like(db: &mut sqlx::SqliteConnection, table: &str, pattern: &str) -> i64 {
    // `table` is one of the test's own names.
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE namespace LIKE $1");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(pattern)
        .fetch_one(db)
        .await
        .unwrap()
}
