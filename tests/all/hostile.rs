//! Hostile blocks fail only their own run, with a clear error within their limit; the other
//! runs of the same job complete and the process survives.

use std::time::{Duration, Instant};

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use blockforge_tests::fixtures;
use blockforge_tests::harness::Workspace;
use serde_json::{Value, json};

/// Runs `Hostile` with `attack` over 4 seeds of which one is targeted; returns the failed
/// record after checking the three others completed.
async fn attack(ws: &Workspace, attack: &str) -> Value {
    attack_with(ws, attack, json!({})).await
}

/// [`attack`] with `extra` fields in every seed's metadata.
async fn attack_with(ws: &Workspace, attack: &str, extra: Value) -> Value {
    std::fs::copy(fixtures::HOSTILE, ws.plugins_dir().join("hostile.wasm")).unwrap();
    let pipeline = format!(
        r#"{{"name": "h", "blocks": [{{"type": "Hostile", "config": {{"attack": "{attack}"}}}}]}}"#
    );
    let seed_file = json!([
        {"metadata": {"target": false, "n": 0}},
        {"metadata": {"target": true, "n": 1}},
        {"metadata": {"target": false, "n": 2}},
        {"repetitions": 1, "metadata": {"target": false, "n": 3}}
    ]);
    let mut seed_file = seed_file;
    for seed in seed_file.as_array_mut().into_iter().flatten() {
        if let (Some(metadata), Some(extra)) = (seed["metadata"].as_object_mut(), extra.as_object())
        {
            metadata.extend(extra.clone());
        }
    }
    let (out, records) = ws
        .run_pipeline(&pipeline, &seed_file, &["--concurrency", "4"])
        .await;
    out.assert_success();
    assert_eq!(records.len(), 4, "every run is recorded: {}", out.stderr);
    let (failed, completed): (Vec<_>, Vec<_>) =
        records.into_iter().partition(|r| r["status"] == "failed");
    assert_eq!(completed.len(), 3, "the other runs complete");
    assert!(
        completed
            .iter()
            .all(|r| r["accumulated_state"]["ok"] == true)
    );
    assert_eq!(failed.len(), 1, "only the targeted run fails");
    let failed = failed.into_iter().next().unwrap();
    assert_eq!(failed["metadata"]["n"], 1);
    assert_eq!(failed["trace"][0]["error"], failed["error"]);
    failed
}

fn hostile_workspace() -> Workspace {
    let mut ws = Workspace::new();
    ws.set_env("BLOCK_CPU_SECS", "1")
        .set_env("BLOCK_MEMORY_MB", "64")
        .set_env("BLOCK_TIMEOUT_SECS", "20");
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infinite_loop_hits_the_cpu_time_limit() {
    let ws = hostile_workspace();
    let started = Instant::now();
    let failed = attack(&ws, "loop").await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("Hostile (step 0) exceeded its CPU time limit of 1000 ms"),
        "{error}"
    );
    assert_eq!(failed["trace"][0]["failure"]["kind"], "cpu_time_limit");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_bomb_hits_the_memory_limit_with_numbers() {
    let failed = attack(&hostile_workspace(), "memory").await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("exceeded its memory limit") && error.contains("limit 64.0 MiB"),
        "{error}"
    );
    assert_eq!(failed["trace"][0]["failure"]["kind"], "memory_limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_recursion_overflows_the_stack_cleanly() {
    let failed = attack(&hostile_workspace(), "recursion").await;
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("overflowed its call stack"), "{error}");
    assert_eq!(failed["trace"][0]["failure"]["kind"], "stack_overflow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_reaches_the_user_with_its_message_and_stderr() {
    let failed = attack(&hostile_workspace(), "panic").await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("Hostile (step 0) panicked") && error.contains("boom on purpose"),
        "{error}"
    );
    let failure = &failed["trace"][0]["failure"];
    assert_eq!(failure["kind"], "panic");
    assert!(
        failure["stderr"]
            .as_str()
            .unwrap()
            .contains("boom on purpose")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_names_its_kind() {
    let failed = attack(&hostile_workspace(), "trap").await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("Hostile (step 0) trapped: out of bounds memory access"),
        "{error}"
    );
    assert_eq!(failed["trace"][0]["failure"]["kind"], "trap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_output_is_refused_by_size() {
    let mut ws = hostile_workspace();
    ws.set_env("BLOCK_MEMORY_MB", "512");
    let failed = attack(&ws, "big_output").await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("of output, above the limit of 16.0 MiB"),
        "{error}"
    );
    assert_eq!(failed["trace"][0]["failure"]["kind"], "invalid_output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_output_keys_are_an_error() {
    let failed = attack(&hostile_workspace(), "undeclared").await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("undeclared output keys [secret_field]")
            && error.contains("declared outputs are [ok, found]"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filesystem_is_not_there() {
    let failed = attack(&hostile_workspace(), "fs").await;
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("filesystem access failed"), "{error}");
    assert!(failed["accumulated_state"].get("found").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_are_refused() {
    // A listener the block could reach if sockets were allowed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let failed = attack_with(&hostile_workspace(), "socket", json!({"port": port})).await;
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("socket access failed"), "{error}");
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "nothing connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_capability_is_denied() {
    let fake = FakeLlm::start(FakeLlmConfig::default()).await;
    let mut ws = hostile_workspace();
    ws.with_llm(&fake);
    let failed = attack(&ws, "llm_undeclared").await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("did not declare the `llm` capability"),
        "{error}"
    );
    assert_eq!(fake.chat_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_is_empty_and_a_chatty_block_is_not_killed_by_its_output() {
    let mut ws = hostile_workspace();
    std::fs::copy(fixtures::HOSTILE, ws.plugins_dir().join("hostile.wasm")).unwrap();
    let env = ws
        .run(&[
            "block",
            "test",
            "Hostile",
            "--state",
            r#"{"target": true}"#,
            "--config",
            r#"{"attack": "env"}"#,
        ])
        .await;
    env.assert_success();
    assert_eq!(
        env.json()["output"],
        json!({"found": 0, "ok": true}),
        "no variables reach the block"
    );
    // The flood is 40,000 writes, each host work counted as the block's CPU: a debug host on
    // a loaded machine once passed the 1 s of `hostile_workspace`. The output is what is tested.
    ws.set_env("BLOCK_CPU_SECS", "60");
    let flood = ws
        .run(&[
            "block",
            "test",
            "Hostile",
            "--state",
            r#"{"target": true}"#,
            "--config",
            r#"{"attack": "stdout_flood"}"#,
        ])
        .await;
    flood.assert_success();
    let json = flood.json();
    assert_eq!(json["output"]["ok"], true);
    assert!(
        json["stdout"].as_str().unwrap().len() < 20 * 1024,
        "stdout kept bounded"
    );
    assert!(
        json["stdout"]
            .as_str()
            .unwrap()
            .contains("more bytes not kept")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_clock_limit_covers_time_spent_in_llm_calls() {
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_secs(10),
        ..Default::default()
    })
    .await;
    ws.set_env("BLOCK_TIMEOUT_SECS", "1");
    let pipeline = "name: t\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'slow'}\n";
    let started = Instant::now();
    let (_, records) = ws
        .run_pipeline(pipeline, &json!([{"metadata": {}}]), &[])
        .await;
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(records[0]["status"], "failed");
    let error = records[0]["error"].as_str().unwrap();
    assert!(
        error.contains("TextGenerator (step 0) exceeded its wall-clock limit of 1000 ms"),
        "{error}"
    );
}
