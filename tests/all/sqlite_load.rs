//! SQLite while a job runs: writes from outside the job (the model registry, settings) wait
//! for the lock instead of failing, and readers of records have connections of their own, so
//! neither they nor another process holding the lock for a while stop the job or get errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, generate, seeds};

/// Seeds of the job the load runs beside.
const SEEDS: usize = 3000;

/// Starts `blockforge serve` on a SQLite file with a fake LLM answering at once, and a job of
/// `seeds` seeds through TextGenerator; answers the server, the database URL and the job.
pub(crate) async fn serve_with_a_job(ws: &Workspace, seeds_in_job: usize) -> (Server, String, i64) {
    let url = format!(
        "sqlite://{}",
        ws.path().join("data/blockforge.db").display()
    );
    let server = ws.serve(&url).await;
    let pipeline = create_pipeline(
        &server,
        json!({"name": "load", "blocks": [
            {"type": "TextGenerator", "config": {"user_prompt": "n {{ n }}"}}]}),
    )
    .await;
    let response = generate(&server, pipeline, "seeds.json", seeds(seeds_in_job), 32).await;
    assert_eq!(response.status(), StatusCode::OK);
    let job_id = response.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    (server, url, job_id)
}

/// The job, read over HTTP.
async fn job(server: &Server, job_id: i64) -> Value {
    let response = client()
        .get(server.url(&format!("/api/jobs/{job_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Waits (without a tight bound: the machine may be loaded) until the job has ended.
async fn wait_until_ended(server: &Server, job_id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let job = job(server, job_id).await;
        if job["status"] != "running" {
            return job;
        }
        assert!(Instant::now() < deadline, "the job never ended: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the job has written `n` records (and is still running, or the test is moot).
async fn wait_for_records(server: &Server, job_id: i64, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let job = job(server, job_id).await;
        assert_eq!(job["status"], "running", "{job}");
        if job["records_generated"].as_i64().unwrap_or(0) >= n {
            return;
        }
        assert!(Instant::now() < deadline, "no progress: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a load task saw: requests sent, and every answer that was not a success.
#[derive(Default)]
struct Seen {
    sent: usize,
    failures: Vec<String>,
}

impl Seen {
    async fn check(&mut self, what: String, response: reqwest::Response) {
        self.sent += 1;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            self.failures.push(format!("{what}: {status} {body}"));
        }
    }
}

/// Waits for the load `tasks` and asserts every request they sent succeeded; answers how many.
async fn all_succeeded(tasks: Vec<tokio::task::JoinHandle<Seen>>, what: &str) -> usize {
    let mut sent = 0;
    let mut failures = Vec::new();
    for task in tasks {
        let seen = task.await.unwrap();
        sent += seen.sent;
        failures.extend(seen.failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} {what} failed, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_and_settings_writes_wait_for_a_running_job_on_sqlite() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (server, _, job_id) = serve_with_a_job(&ws, SEEDS).await;
    wait_for_records(&server, job_id, 50).await;
    let server = Arc::new(server);
    let ended = Arc::new(AtomicBool::new(false));
    let during_job = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..6)
        .map(|task| {
            let (server, ended, during_job) = (server.clone(), ended.clone(), during_job.clone());
            tokio::spawn(async move {
                let http = client();
                let mut seen = Seen::default();
                let mut round = 0;
                // At least a few rounds, and on until the job has ended.
                while round < 5 || !ended.load(Ordering::SeqCst) {
                    let name = format!("w{task}-{round}");
                    let created = http
                        .post(server.url("/api/llm-models"))
                        .json(&json!({"name": name, "provider": "openai",
                            "endpoint": "http://127.0.0.1:9/v1", "model_name": "m"}))
                        .send()
                        .await
                        .unwrap();
                    seen.check(format!("POST {name}"), created).await;
                    let updated = http
                        .put(server.url(&format!("/api/llm-models/{name}")))
                        .json(&json!({"model_name": format!("m{round}")}))
                        .send()
                        .await
                        .unwrap();
                    seen.check(format!("PUT {name}"), updated).await;
                    let settings = http
                        .put(server.url("/api/settings"))
                        .json(&json!({"default_concurrency": 1 + (task * 100 + round) % 1000}))
                        .send()
                        .await
                        .unwrap();
                    seen.check("PUT /api/settings".to_owned(), settings).await;
                    if !ended.load(Ordering::SeqCst) {
                        during_job.fetch_add(3, Ordering::SeqCst);
                    }
                    round += 1;
                }
                seen
            })
        })
        .collect();
    let job = wait_until_ended(&server, job_id).await;
    ended.store(true, Ordering::SeqCst);
    all_succeeded(writers, "writes").await;
    assert!(
        during_job.load(Ordering::SeqCst) > 0,
        "no write happened while the job ran"
    );
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["records_generated"], SEEDS as i64, "{job}");
}

/// One reader's request: pages of records under the filters the review page uses, the job's
/// progress and the jobs list.
fn read_path(reader: usize, round: usize, job_id: i64) -> String {
    match (reader + round) % 6 {
        0 => "/api/records?limit=100".to_owned(),
        1 => format!("/api/records?limit=100&job_id={job_id}"),
        2 => "/api/records?limit=100&status=pending".to_owned(),
        3 => format!("/api/records?limit=100&offset=200&job_id={job_id}&status=pending"),
        4 => format!("/api/jobs/{job_id}"),
        _ => "/api/jobs".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_during_a_job_get_answers_and_the_job_completes_on_sqlite() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (server, url, job_id) = serve_with_a_job(&ws, SEEDS).await;
    let server = Arc::new(server);
    let ended = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..20)
        .map(|reader| {
            let (server, ended) = (server.clone(), ended.clone());
            tokio::spawn(async move {
                let http = client();
                let mut seen = Seen::default();
                let mut round = 0;
                while !ended.load(Ordering::SeqCst) {
                    let path = read_path(reader, round, job_id);
                    let response = http.get(server.url(&path)).send().await.unwrap();
                    seen.check(format!("GET {path}"), response).await;
                    round += 1;
                }
                seen
            })
        })
        .collect();

    // Another process holds SQLite's write lock for longer than a default busy timeout (5 s):
    // the job's writes wait for it, and reads go on meanwhile.
    wait_for_records(&server, job_id, 100).await;
    {
        use sqlx::Connection;
        let mut outside = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut outside)
            .await
            .unwrap();
        let held = job(&server, job_id).await;
        tokio::time::sleep(Duration::from_secs(8)).await;
        let after = job(&server, job_id).await;
        sqlx::query("COMMIT").execute(&mut outside).await.unwrap();
        assert_eq!(
            held["records_generated"], after["records_generated"],
            "no record is written while another process holds the lock"
        );
    }

    let job = wait_until_ended(&server, job_id).await;
    ended.store(true, Ordering::SeqCst);
    let sent = all_succeeded(readers, "reads").await;
    assert!(sent >= 20, "the readers read");
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["records_generated"], SEEDS as i64, "{job}");
    assert_eq!(
        fake.chat_requests() as usize,
        SEEDS,
        "every run was executed once: none was lost to a write that gave up and run again"
    );
}
