//! Hostile blocks through the server, as a user's job meets them: only the offending run
//! fails, with the right failure kind and the limit's numbers; the other runs complete; the
//! server answers `/health` throughout; its memory comes back after the job; and a plugin
//! whose `describe()` misbehaves stalls neither the registry, the API nor shutdown.

use std::time::{Duration, Instant};

use blockforge_tests::fixtures;
use blockforge_tests::harness::{HealthProbe, HealthReport, Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, generate, get_json, wait_for};
use crate::plugins::upload;

/// Limits small enough for a test: 1 s of CPU, 64 MiB, a 20 s wall clock.
pub(crate) fn hostile_server_workspace() -> Workspace {
    let mut ws = Workspace::new();
    ws.set_env("BLOCK_CPU_SECS", "1")
        .set_env("BLOCK_MEMORY_MB", "64")
        .set_env("BLOCK_TIMEOUT_SECS", "20");
    ws
}

/// A server on a fresh SQLite file of `ws`, with `wasm` in its plugins folder as `file`.
pub(crate) async fn serve_with_plugin(ws: &Workspace, wasm: &str, file: &str) -> Server {
    std::fs::copy(wasm, ws.plugins_dir().join(file)).unwrap();
    ws.serve(&format!(
        "sqlite://{}",
        ws.path().join("blockforge.db").display()
    ))
    .await
}

/// What one hostile job left behind.
pub(crate) struct AttackOutcome {
    /// The targeted run's record, with its trace.
    pub failed: Value,
    /// What `/health` did during the job.
    pub health: HealthReport,
    /// Server RSS before the job and after it (once it came back, or a minute later).
    pub rss: (u64, u64),
}

/// Runs `pipeline` over 4 seeds (with `extra` in each seed's metadata), of which the second
/// has `"target": true`, as a job on `server` while probing `/health`. Checks that exactly
/// the targeted run failed and the three others completed; returns the failed record. A
/// first job of untargeted seeds warms the server up, so the RSS baseline is the server at
/// work, not the server at rest.
pub(crate) async fn run_attack(server: &Server, pipeline: Value, extra: Value) -> AttackOutcome {
    let pipeline_id =
        create_pipeline(server, json!({"name": "hostile", "definition": pipeline})).await;
    let seed = |n: usize, target: bool| {
        let mut metadata = json!({"target": target, "n": n});
        if let (Some(metadata), Some(extra)) = (metadata.as_object_mut(), extra.as_object()) {
            metadata.extend(extra.clone());
        }
        json!({"repetitions": 1, "metadata": metadata})
    };
    let warm_up = json!([seed(0, false), seed(1, false)]).to_string();
    let job = start_job(server, pipeline_id, warm_up).await;
    let job = wait_for(server, job, |j| j["status"] == "completed").await;
    assert_eq!(
        job["records_generated"], 2,
        "the warm-up job completes: {job}"
    );
    let rss_before = server.rss_bytes();

    let probe = HealthProbe::start(server);
    let seeds = json!([
        seed(0, false),
        seed(1, true),
        seed(2, false),
        seed(3, false)
    ]);
    let job_id = start_job(server, pipeline_id, seeds.to_string()).await;
    let deadline = Instant::now() + Duration::from_secs(240);
    let job = loop {
        let job = wait_for(server, job_id, |j| {
            j["status"] != "running" && j["status"] != "pending"
        })
        .await;
        if (job["status"] != "running" && job["status"] != "pending") || Instant::now() > deadline {
            break job;
        }
    };
    let health = probe.finish().await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(
        (&job["records_generated"], &job["records_failed"]),
        (&json!(3), &json!(1)),
        "only the targeted run fails: {job}"
    );
    let records = get_json(server, &format!("/api/records?job_id={job_id}&limit=10")).await;
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 4);
    let failed: Vec<&Value> = records
        .iter()
        .filter(|r| r["run_status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{records:?}");
    assert_eq!(
        failed[0]["metadata"]["n"], 1,
        "the targeted run is the failed one"
    );
    let failed = get_json(server, &format!("/api/records/{}", failed[0]["id"])).await;
    let rss_after = server.wait_rss_at_most(rss_before + rss_before / 5).await;
    AttackOutcome {
        failed,
        health,
        rss: (rss_before, rss_after),
    }
}

pub(crate) async fn start_job(server: &Server, pipeline_id: i64, seeds: String) -> i64 {
    let response = generate(server, pipeline_id, "seeds.json", seeds, 4).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap()
}

impl AttackOutcome {
    /// Checks what every hostile job must leave: a responsive server whose memory came back
    /// within 20% of where it was.
    pub(crate) fn assert_contained(&self) {
        self.health.assert_responsive();
        let (before, after) = self.rss;
        assert!(
            after <= before + before / 5,
            "RSS did not come back within 20%: {} MiB before the job, {} MiB after",
            before >> 20,
            after >> 20
        );
    }

    /// The failed run's error and its failure kind.
    pub(crate) fn error_and_kind(&self) -> (&str, &str) {
        (
            self.failed["error"].as_str().unwrap_or_default(),
            self.failed["trace"][0]["failure"]["kind"]
                .as_str()
                .unwrap_or_default(),
        )
    }

    /// Checks the failed run failed as `kind` with an error containing `message`, and that
    /// the job was contained.
    pub(crate) fn assert_failed_as(&self, kind: &str, message: &str) {
        let (error, found) = self.error_and_kind();
        assert_eq!(found, kind, "{error}");
        assert!(error.contains(message), "{error}");
        self.assert_contained();
    }
}

fn hostile_pipeline(attack: &str) -> Value {
    json!({"blocks": [{"type": "Hostile", "config": {"attack": attack}}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_renders_in_a_loop_stop_at_the_cpu_limit() {
    let ws = hostile_server_workspace();
    let server = serve_with_plugin(&ws, fixtures::HOSTILE, "hostile.wasm").await;
    for attack in ["template_loop", "template_spin"] {
        run_attack(&server, hostile_pipeline(attack), json!({}))
            .await
            .assert_failed_as(
                "cpu_time_limit",
                "Hostile (step 0) exceeded its CPU time limit of 1000 ms",
            );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_that_only_waits_hits_the_wall_clock_not_the_cpu_limit() {
    let mut ws = hostile_server_workspace();
    ws.set_env("BLOCK_TIMEOUT_SECS", "3");
    let server = serve_with_plugin(&ws, fixtures::HOSTILE, "hostile.wasm").await;
    run_attack(&server, hostile_pipeline("sleep"), json!({}))
        .await
        .assert_failed_as(
            "wall_clock_limit",
            "Hostile (step 0) exceeded its wall-clock limit of 3000 ms",
        );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_log_lines_are_cut_before_the_host_copies_them() {
    let mut ws = hostile_server_workspace();
    ws.set_env("BLOCK_MEMORY_MB", "512");
    let server = serve_with_plugin(&ws, fixtures::HOSTILE, "hostile.wasm").await;
    // The attack succeeds as a block (logging is allowed); here every run is targeted and
    // completes, so check the lines it kept and the server's memory instead.
    let pipeline_id = create_pipeline(
        &server,
        json!({"name": "logs", "definition": hostile_pipeline("log_huge")}),
    )
    .await;
    let warm_up = start_job(
        &server,
        pipeline_id,
        json!([{"metadata": {"target": false}}]).to_string(),
    )
    .await;
    wait_for(&server, warm_up, |j| j["status"] == "completed").await;
    let rss_before = server.rss_bytes();
    let probe = HealthProbe::start(&server);
    let seeds: Vec<Value> = (0..4)
        .map(|_| json!({"metadata": {"target": true}}))
        .collect();
    let job_id = start_job(&server, pipeline_id, Value::Array(seeds).to_string()).await;
    let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
    let health = probe.finish().await;
    assert_eq!(job["records_generated"], 4, "{job}");
    let records = get_json(&server, &format!("/api/records?job_id={job_id}&limit=10")).await;
    let record = get_json(&server, &format!("/api/records/{}", records[0]["id"])).await;
    let logs = record["trace"][0]["logs"]
        .as_array()
        .expect("logs in the trace");
    assert_eq!(logs.len(), 5);
    let line = logs[0]["message"].as_str().unwrap();
    assert!(
        line.len() < 9 * 1024,
        "a line is kept cut: {} bytes",
        line.len()
    );
    assert!(
        line.ends_with("[truncated: 104857600 bytes]"),
        "{}",
        &line[line.len() - 40..]
    );
    health.assert_responsive();
    let rss_after = server.wait_rss_at_most(rss_before + rss_before / 5).await;
    assert!(
        rss_after <= rss_before + rss_before / 5,
        "RSS {} MiB before, {} MiB after",
        rss_before >> 20,
        rss_after >> 20
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_line_that_is_not_utf8_is_a_clear_invalid_host_call() {
    let ws = hostile_server_workspace();
    let server = serve_with_plugin(&ws, fixtures::HOSTILE, "hostile.wasm").await;
    let outcome = run_attack(&server, hostile_pipeline("log_not_utf8"), json!({})).await;
    let (error, kind) = outcome.error_and_kind();
    assert_eq!(kind, "invalid_host_call", "{error}");
    assert!(
        error.contains("Hostile (step 0) passed a log line that is not valid UTF-8 to `log`"),
        "{error}"
    );
    assert!(
        !error.contains("backtrace") && !error.contains("0x"),
        "{error}"
    );
    outcome.assert_contained();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_error_names_the_undefined_variable() {
    let ws = hostile_server_workspace();
    let server = serve_with_plugin(&ws, fixtures::HOSTILE, "hostile.wasm").await;
    run_attack(&server, hostile_pipeline("template_undefined"), json!({}))
        .await
        .assert_failed_as("block_error", "`audience` not in the context");
}

/// Waits (up to two minutes) until `GET /api/plugins` lists `file` with a status `wanted`
/// accepts; returns its entry.
async fn plugin_when(server: &Server, file: &str, wanted: impl Fn(&str) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let plugins = get_json(server, "/api/plugins").await;
        if let Some(plugin) = plugins
            .as_array()
            .and_then(|list| list.iter().find(|p| p["file"] == file).cloned())
            && wanted(plugin["status"].as_str().unwrap_or_default())
        {
            return plugin;
        }
        assert!(
            Instant::now() < deadline,
            "{file} never got there: {plugins}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `GET /api/plugins` shows `file` loaded or failed.
pub(crate) async fn plugin_status(server: &Server, file: &str) -> Value {
    plugin_when(server, file, |status| {
        status == "loaded" || status == "failed"
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_describe_that_never_returns_stalls_nothing() {
    let mut ws = hostile_server_workspace();
    // Limits far beyond the test's length: the slow plugin stays loading throughout.
    ws.set_env("BLOCK_CPU_SECS", "600")
        .set_env("BLOCK_TIMEOUT_SECS", "600")
        .set_env("BLOCK_DESCRIBE_SECS", "600");
    let server = serve_with_plugin(&ws, fixtures::HOSTILE, "hostile.wasm").await;
    let probe = HealthProbe::start(&server);
    std::fs::copy(
        fixtures::SLOW_DESCRIBE,
        ws.plugins_dir().join("slow_describe.wasm"),
    )
    .unwrap();
    let slow = plugin_when(&server, "slow_describe.wasm", |status| status == "loading").await;
    assert!(slow["type"].is_null() && slow["error"].is_null(), "{slow}");

    // Another plugin dropped in meanwhile is picked up, and an upload is answered.
    std::fs::copy(fixtures::STAMP_V1, ws.plugins_dir().join("stamp.wasm")).unwrap();
    let stamp = plugin_status(&server, "stamp.wasm").await;
    assert_eq!(stamp["status"], "loaded", "{stamp}");
    let (status, body) = crate::plugins::upload_form(
        &server,
        "stamp.wasm",
        std::fs::read(fixtures::STAMP_V2).unwrap(),
        Some("true"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["plugin"]["status"], "loaded", "{body}");
    let blocks = get_json(&server, "/api/blocks").await;
    assert!(blocks.to_string().contains("Stamp"), "{blocks}");
    let slow = plugin_when(&server, "slow_describe.wasm", |_| true).await;
    assert_eq!(slow["status"], "loading", "still describing: {slow}");
    // A file being reloaded keeps its block published until the new bytes are loaded.
    std::fs::copy(fixtures::SLOW_DESCRIBE, ws.plugins_dir().join("stamp.wasm")).unwrap();
    plugin_when(&server, "stamp.wasm", |status| status == "loading").await;
    let blocks = get_json(&server, "/api/blocks").await;
    assert!(blocks.to_string().contains("Stamp"), "{blocks}");
    probe.finish().await.assert_responsive();

    // SIGTERM stops the server without waiting for the describe (600 s) to end.
    let stopping = Instant::now();
    let exit = server.terminate().await;
    assert!(exit.success(), "{exit}");
    assert!(
        stopping.elapsed() < Duration::from_secs(120),
        "shutdown waited for the describe: {:?}",
        stopping.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_describe_that_never_returns_fails_at_its_limit() {
    let mut ws = hostile_server_workspace();
    ws.set_env("BLOCK_CPU_SECS", "2");
    let server = serve_with_plugin(&ws, fixtures::HOSTILE, "hostile.wasm").await;
    let probe = HealthProbe::start(&server);
    let started = Instant::now();
    std::fs::copy(
        fixtures::SLOW_DESCRIBE,
        ws.plugins_dir().join("slow_describe.wasm"),
    )
    .unwrap();
    let slow = plugin_status(&server, "slow_describe.wasm").await;
    assert_eq!(slow["status"], "failed", "{slow}");
    let error = slow["error"].as_str().unwrap();
    assert!(
        error.contains("describe() failed")
            && error.contains("exceeded its CPU time limit of 2000 ms"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the load stopped at its limit, not minutes later"
    );
    // An upload of the same component answers with the same error.
    let (status, body) = upload(
        &server,
        "slow2.wasm",
        std::fs::read(fixtures::SLOW_DESCRIBE).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.to_string().contains("exceeded its CPU time limit"),
        "{body}"
    );
    probe.finish().await.assert_responsive();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_describe_is_refused_at_load_naming_the_bound() {
    let ws = Workspace::new();
    let server = serve_with_plugin(&ws, fixtures::HUGE_DESCRIBE, "huge.wasm").await;
    let huge = plugin_status(&server, "huge.wasm").await;
    assert_eq!(huge["status"], "failed", "{huge}");
    let error = huge["error"].as_str().unwrap();
    assert!(
        error.contains(
            "describe() returned a description of 31457280 bytes, above the limit of 16384 bytes"
        ),
        "{error}"
    );
    let blocks = client()
        .get(server.url("/api/blocks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!blocks.contains("HugeDescribe"));
    assert!(blocks.len() < 1024 * 1024, "the block list stays small");
}
