//! Seed files read as streams (issue 17): a big JSON list, JSON Lines or CSV file makes exactly
//! its runs, on SQLite and PostgreSQL; a file beyond the old 32 MiB request limit is taken up
//! to `MAX_SEED_UPLOAD_BYTES` and refused past it (413 naming the setting); a file wrong near
//! its end, or one seed too long to read, creates nothing.

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, generate, get_json, post_generate};
use crate::store::cleanup;

/// `(runs, distinct seeds, sum of repetition indexes)` of job `job_id`, and the metadata of the
/// run of seed `seed_index`'s repetition 0 (when the seed has one).
async fn runs_of(url: &str, job_id: i64, seed_index: i64) -> ((i64, i64, i64), Option<Value>) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT seed_index), CAST(COALESCE(SUM(repetition), 0) AS BIGINT) \
         FROM runs WHERE job_id = $1",
    )
    .bind(job_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let metadata: Option<String> = sqlx::query_scalar(
        "SELECT metadata FROM runs WHERE job_id = $1 AND seed_index = $2 AND repetition = 0",
    )
    .bind(job_id)
    .bind(seed_index)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    (counts, metadata.map(|m| serde_json::from_str(&m).unwrap()))
}

/// Rows in the jobs and runs tables.
async fn rows(url: &str) -> (i64, i64) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    (jobs, runs)
}

/// Seed `n`'s repetitions: 0, 1, 2, 0, 1, 2...
fn repetitions(n: usize) -> usize {
    n % 3
}

/// `seeds` seeds in each format, each `{"topic": "t<n>", "n": "<n>"}` (text, as CSV has it).
fn files(seeds: usize) -> Vec<(&'static str, String)> {
    let objects: Vec<String> = (0..seeds)
        .map(|n| {
            json!({"repetitions": repetitions(n), "metadata": {"topic": format!("t{n}"), "n": n.to_string()}})
                .to_string()
        })
        .collect();
    let list = format!("[\n{}\n]", objects.join(",\n"));
    let lines = objects.join("\n") + "\n";
    let mut csv = String::from("topic,repetitions,n\n");
    for n in 0..seeds {
        csv.push_str(&format!("t{n},{},{n}\n", repetitions(n)));
    }
    vec![
        ("seeds.json", list),
        ("seeds.jsonl", lines),
        ("seeds.csv", csv),
    ]
}

async fn job_id(response: reqwest::Response) -> i64 {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body["job_id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_list_jsonl_and_csv_files_make_exactly_their_runs_on_sqlite_and_postgres() {
    const SEEDS: usize = 30_000;
    let mut ws = Workspace::new();
    // Only the API: the runs stay as they were planned.
    ws.set_env("RUN_JOBS", "false");
    let (urls, stores, schema) = databases(&ws).await;
    let expected_runs: usize = (0..SEEDS).map(repetitions).sum();
    // Repetition indexes: 0 for each seed of 1, 0 + 1 for each seed of 2.
    let expected_sum = (0..SEEDS).filter(|n| repetitions(*n) == 2).count() as i64;
    let seeds_with_runs = (0..SEEDS).filter(|n| repetitions(*n) > 0).count() as i64;
    for url in &urls {
        let server = ws.serve(url).await;
        let pipeline = create_pipeline(
            &server,
            json!({"name": "p", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"x": "1"}}}]}),
        )
        .await;
        for (name, text) in files(SEEDS) {
            let id = job_id(generate(&server, pipeline, name, text, 4).await).await;
            let job = get_json(&server, &format!("/api/jobs/{id}")).await;
            assert_eq!(job["total_seeds"], json!(expected_runs), "{name}: {job}");
            let (counts, metadata) = runs_of(url, id, 29_998).await;
            assert_eq!(
                counts,
                (expected_runs as i64, seeds_with_runs, expected_sum),
                "{name} on {url}"
            );
            assert_eq!(
                metadata,
                Some(json!({"topic": "t29998", "n": "29998"})),
                "{name}"
            );
        }
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_wrong_near_its_end_creates_no_job_and_no_run() {
    const SEEDS: usize = 100_000;
    let mut ws = Workspace::new();
    ws.set_env("RUN_JOBS", "false");
    let (server, pipeline, url) = serve_sqlite(&ws).await;
    let mut lines: Vec<String> = (0..SEEDS)
        .map(|n| json!({"metadata": {"n": n}}).to_string())
        .collect();
    lines[99_990] = r#"{"repetitions": "many", "metadata": {}}"#.to_owned();
    let response = generate(&server, pipeline, "seeds.jsonl", lines.join("\n"), 1).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    let message = body["detail"]["message"].as_str().unwrap();
    assert!(
        message.contains("seed 99991") && message.contains("repetitions"),
        "{body}"
    );
    // A syntax error at the very end of a list, after every seed was read.
    let list = format!(
        "[{}",
        (0..SEEDS)
            .map(|n| json!({"metadata": {"n": n}}).to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let response = generate(&server, pipeline, "seeds.json", list, 1).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["detail"]["message"].as_str().unwrap().contains("EOF"),
        "{body}"
    );
    assert_eq!(rows(&url).await, (0, 0), "nothing was created");
    assert_eq!(get_json(&server, "/api/jobs").await, json!([]));
    server.kill9().await;
}

/// A seed of about `bytes` bytes of text.
fn seed_of(bytes: usize) -> String {
    json!({"metadata": {"text": "s".repeat(bytes)}}).to_string()
}

async fn serve_sqlite(ws: &Workspace) -> (Server, i64, String) {
    let url = format!("sqlite://{}", ws.path().join("db.sqlite").display());
    let server = ws.serve(&url).await;
    let pipeline = create_pipeline(
        &server,
        json!({"name": "p", "blocks": [{"type": "FieldMapper"}]}),
    )
    .await;
    (server, pipeline, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_above_the_old_request_limit_is_taken_up_to_its_own_limit() {
    let mut ws = Workspace::new();
    ws.set_env("RUN_JOBS", "false");
    let (server, pipeline, _) = serve_sqlite(&ws).await;
    // 12 seeds of 3 MiB: 36 MiB, above the 32 MiB every other request body is held to.
    let big: Vec<String> = (0..12).map(|_| seed_of(3 << 20)).collect();
    let big = big.join("\n");
    assert!(big.len() > 32 << 20);
    let id = job_id(generate(&server, pipeline, "big.jsonl", big.clone(), 1).await).await;
    let job = get_json(&server, &format!("/api/jobs/{id}")).await;
    assert_eq!(job["total_seeds"], 12, "{job}");
    server.kill9().await;

    ws.set_env("MAX_SEED_UPLOAD_BYTES", &(8 << 20).to_string());
    let (server, pipeline, _) = serve_sqlite(&ws).await;
    let small = [seed_of(1 << 20), seed_of(1 << 20)].join("\n");
    job_id(generate(&server, pipeline, "small.jsonl", small, 1).await).await;
    // Past the limit: 413 naming it, or the connection closed while the client still sends.
    match crate::api::client()
        .post(server.url("/api/generate"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("pipeline_id", pipeline.to_string())
                .part(
                    "file",
                    reqwest::multipart::Part::text(big).file_name("big.jsonl"),
                ),
        )
        .send()
        .await
    {
        Ok(response) => {
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["detail"]["setting"], "MAX_SEED_UPLOAD_BYTES", "{body}");
            assert_eq!(body["detail"]["limit"], 8 << 20, "{body}");
        }
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    let jobs: Value = get_json(&server, "/api/jobs").await;
    assert_eq!(jobs.as_array().map(Vec::len), Some(2), "{jobs}");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_too_long_to_read_is_refused_naming_the_limit() {
    let mut ws = Workspace::new();
    ws.set_env("RUN_JOBS", "false");
    ws.set_env("MAX_STATE_BYTES", "65536");
    let (server, pipeline, _) = serve_sqlite(&ws).await;
    // Four times MAX_STATE_BYTES is the most one seed's text may take.
    for name in ["s.json", "s.jsonl"] {
        let seeds = [seed_of(10), seed_of(300_000)];
        let text = if name == "s.json" {
            format!("[{}]", seeds.join(","))
        } else {
            seeds.join("\n")
        };
        let response = generate(&server, pipeline, name, text, 1).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("seed 2 of the seed file is longer than 262144 bytes"),
            "{body}"
        );
        assert_eq!(body["detail"]["setting"], "MAX_STATE_BYTES", "{body}");
        assert_eq!(body["detail"]["file"], name, "{body}");
    }
    assert_eq!(get_json(&server, "/api/jobs").await, json!([]));
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_with_two_files_or_too_many_other_bytes_is_refused_naming_the_limit() {
    let mut ws = Workspace::new();
    ws.set_env("RUN_JOBS", "false");
    let (server, pipeline, _url) = serve_sqlite(&ws).await;
    let file = |name: &str| reqwest::multipart::Part::text(seed_of(10)).file_name(name.to_owned());
    // Two seed files: the second would be spooled to disk as well.
    let form = reqwest::multipart::Form::new()
        .text("pipeline_id", pipeline.to_string())
        .part("file", file("a.jsonl"))
        .part("file", file("b.jsonl"));
    let response = post_generate(&server, form).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["field"], "file", "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("more than one"),
        "{body}"
    );
    // Parts the form does not use are read past, but not without end: their bytes and the
    // small fields' count together against one bound.
    let mut form = reqwest::multipart::Form::new()
        .text("pipeline_id", pipeline.to_string())
        .part("file", file("a.jsonl"));
    for i in 0..8 {
        form = form.text(format!("extra{i}"), "x".repeat(40 * 1024));
    }
    let response = post_generate(&server, form).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["limit"], 256 * 1024, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("262144 bytes"),
        "{body}"
    );
    // Within the bound, an unknown part is ignored as before.
    let form = reqwest::multipart::Form::new()
        .text("pipeline_id", pipeline.to_string())
        .text("note", "x".repeat(1024))
        .part("file", file("a.jsonl"));
    assert_eq!(post_generate(&server, form).await.status(), StatusCode::OK);
    assert_eq!(
        get_json(&server, "/api/jobs")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    server.kill9().await;
}
