//! `blockforge worker` processes sharing one PostgreSQL with an API-only server: they run the
//! jobs the server stores, claim disjoint runs, and take over the runs of a worker that died.

use std::collections::HashSet;
use std::time::Duration;

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::Workspace;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, databases, generate, seeds, wait_for};
use crate::store::cleanup;
use crate::worker_faults::start_job;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_a_database_and_survive_one_of_them_dying() {
    const RUNS: usize = 600;
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(20),
        ..Default::default()
    })
    .await;
    ws.set_env("JOB_LEASE_SECS", "1")
        .set_env("RUN_JOBS", "false");
    let (urls, stores, schema) = databases(&ws).await;
    let postgres = &urls[1];
    let server = ws.serve(postgres).await;
    let pipeline = create_pipeline(
        &server,
        json!({"name": "shared", "blocks": [
            {"type": "TextGenerator", "config": {"user_prompt": "n {{ n }}"}},
            {"type": "ValidatorBlock"}]}),
    )
    .await;
    let job_id = generate(&server, pipeline, "seeds.json", seeds(RUNS), 8)
        .await
        .json::<Value>()
        .await
        .unwrap()["job_id"]
        .as_i64()
        .unwrap();

    // The API-only server runs nothing.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(fake.chat_requests(), 0, "RUN_JOBS=false ran the job");

    let first = ws.worker(postgres).await;
    let second = ws.worker(postgres).await;
    wait_for(&server, job_id, |j| {
        j["records_generated"].as_i64().unwrap_or(0) >= 100
    })
    .await;
    first.kill9().await;
    let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["records_generated"], RUNS, "{job}");
    let records: Vec<Value> = client()
        .get(server.url(&format!("/api/records?job_id={job_id}&limit={RUNS}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let runs: HashSet<i64> = records
        .iter()
        .map(|r| r["run_id"].as_i64().unwrap())
        .collect();
    assert_eq!(runs.len(), RUNS, "one record per run, none duplicated");
    second.kill9().await;
    server.kill9().await;
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_claims_survive_a_crash_so_dedup_stays_exact() {
    const RUNS: usize = 400;
    const DISTINCT: usize = 50;
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(10),
        ..Default::default()
    })
    .await;
    ws.set_env("JOB_LEASE_SECS", "1");
    std::fs::copy(
        blockforge_tests::fixtures::DEDUP,
        ws.plugins_dir().join("dedup.wasm"),
    )
    .unwrap();
    let (urls, stores, schema) = databases(&ws).await;
    for url in &urls {
        let server = ws.serve(url).await;
        let pipeline = create_pipeline(
            &server,
            json!({"name": "dedup", "blocks": [
                {"type": "TextGenerator", "config": {"user_prompt": "about {{ text }}"}},
                {"type": "ExactDedup", "config": {"field": "text", "scope": "job"}}]}),
        )
        .await;
        let seeds = serde_json::to_string(
            &(0..RUNS)
                .map(|n| json!({"metadata": {"text": format!("t{}", n % DISTINCT)}}))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let job_id = generate(&server, pipeline, "seeds.json", seeds, 4)
            .await
            .json::<Value>()
            .await
            .unwrap()["job_id"]
            .as_i64()
            .unwrap();
        // Every distinct text has been claimed once the first 100 runs are in.
        wait_for(&server, job_id, |j| {
            j["records_generated"].as_i64().unwrap_or(0) >= 100
        })
        .await;
        server.kill9().await;
        let server = ws.serve(url).await;
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(job["records_generated"], RUNS, "{job}");
        let records: Vec<Value> = client()
            .get(server.url(&format!("/api/records?job_id={job_id}&limit={RUNS}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let firsts = records
            .iter()
            .filter(|r| r["output"]["is_duplicate"] == false)
            .count();
        // A claim made in memory would be forgotten at the restart and every text claimed
        // again (about twice as many firsts). A run in flight at the kill may have claimed
        // its text and be run again, so at most DISTINCT, not exactly.
        assert!(
            firsts > 0 && firsts <= DISTINCT,
            "{firsts} records claimed a text first; {DISTINCT} distinct texts"
        );
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_starts_a_new_job_when_it_is_announced_not_at_its_poll() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    // Far longer than the test waits: a worker that only polled would start no job after its
    // first look, at start.
    ws.set_env("JOB_POLL_SECS", "3600")
        .set_env("RUN_JOBS", "false");
    let (urls, stores, schema) = databases(&ws).await;
    let postgres = &urls[1];
    let server = ws.serve(postgres).await;
    let worker = ws.worker(postgres).await;
    // The first job may be found by the worker's first look; the second is submitted once the
    // first has completed, long after that look, so only its announcement can start it.
    for (job, runs) in [(1, 5), (2, 7)] {
        let job_id = start_job(&server, runs, 2).await;
        let done = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(done["status"], "completed", "job {job} never ran: {done}");
        assert_eq!(done["records_generated"], runs, "job {job}: {done}");
    }
    assert_eq!(fake.chat_requests(), 12, "one request per run");
    worker.kill9().await;
    server.kill9().await;
    cleanup(stores, &schema).await;
}
