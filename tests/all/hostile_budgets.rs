//! Blocks that spend what a job shares — its kv namespaces, its token budget, its model's
//! tokens per minute — as an attacker would, with the `Greedy` fixture: only the offending run
//! fails, with the right failure kind and the limit's numbers; the other runs complete; the
//! server answers `/health` throughout; quotas hold under concurrent runs on both backends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use blockforge::kv::{KvError, KvNamespace, KvQuota, KvStore};
use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::fixtures;
use blockforge_tests::harness::{HealthProbe, Workspace};
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, get_json, wait_for};
use crate::hostile_server::{run_attack, start_job};
use crate::store::{cleanup, stores};

fn greedy(config: Value) -> Value {
    json!({"blocks": [{"type": "Greedy", "config": config}]})
}

/// A workspace with the test's block limits, the fake LLM and the `Greedy` plugin.
async fn greedy_workspace(
    config: FakeLlmConfig,
) -> (blockforge_tests::fake_llm::FakeLlm, Workspace) {
    let (fake, mut ws) = Workspace::with_fake_llm(config).await;
    ws.set_env("BLOCK_CPU_SECS", "1")
        .set_env("BLOCK_MEMORY_MB", "64")
        .set_env("BLOCK_TIMEOUT_SECS", "20");
    std::fs::copy(fixtures::GREEDY, ws.plugins_dir().join("greedy.wasm")).unwrap();
    (fake, ws)
}

/// The number after `job:` in a kv quota message.
fn job_namespace(error: &str) -> KvNamespace {
    let id: String = error
        .split("namespace job:")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(!id.is_empty(), "no job namespace in {error}");
    KvNamespace::Job(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_flooding_kv_is_stopped_at_the_namespace_quota_on_sqlite_and_postgres() {
    const LIMIT: u64 = 200;
    let (_fake, mut ws) = greedy_workspace(FakeLlmConfig::default()).await;
    ws.set_env("KV_MAX_KEYS_PER_NAMESPACE", &LIMIT.to_string());
    let (urls, stores, schema) = databases(&ws).await;
    let quota = KvQuota {
        max_keys: LIMIT,
        ..KvQuota::default()
    };
    for url in &urls {
        let server = ws.serve(url).await;
        // The server's own database, read beside it.
        let store = blockforge::store::Store::connect(url).await.unwrap();
        // One run floods its job's namespace; the job's other runs complete.
        let outcome = run_attack(
            &server,
            greedy(json!({"attack": "kv_flood", "value_bytes": 16})),
            json!({}),
        )
        .await;
        let expected = format!("holds {LIMIT} keys, the limit is {LIMIT}");
        outcome.assert_failed_as(
            "kv_quota",
            "Greedy (step 0) was refused: kv quota: namespace job:",
        );
        let (error, _) = outcome.error_and_kind();
        assert!(error.contains(&expected), "{error}");
        // Exactly the quota was written, and the usage row says so.
        let kv = store.kv(quota);
        let ns = job_namespace(error);
        assert_eq!(kv.keys(&ns, "", 10_000).await.unwrap().len() as u64, LIMIT);
        assert_eq!(kv.usage(&ns).await.unwrap().keys, LIMIT, "{url}");

        // Every run of a job floods at once: together they stop at the quota, not past it.
        let pipeline_id = create_pipeline(
            &server,
            json!({"name": "flood", "definition": greedy(json!({"attack": "kv_flood", "claim": true}))}),
        )
        .await;
        let seeds: Vec<Value> = (0..6)
            .map(|n| json!({"metadata": {"target": true, "n": n}}))
            .collect();
        let job_id = start_job(&server, pipeline_id, Value::Array(seeds).to_string()).await;
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(job["records_failed"], 6, "{job}");
        let ns = KvNamespace::Job(job_id.to_string());
        assert_eq!(
            kv.keys(&ns, "", 10_000).await.unwrap().len() as u64,
            LIMIT,
            "{url}"
        );
        assert_eq!(kv.usage(&ns).await.unwrap().keys, LIMIT, "{url}");
        let records = get_json(&server, &format!("/api/records?job_id={job_id}&limit=10")).await;
        for record in records.as_array().unwrap() {
            let record = get_json(&server, &format!("/api/records/{}", record["id"])).await;
            assert_eq!(
                record["trace"][0]["failure"]["kind"], "kv_quota",
                "{record}"
            );
        }
        server.kill9().await;
        store.close().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_never_pass_the_kv_quota_on_either_backend() {
    let (_dir, stores, schema) = stores().await;
    for store in &stores {
        let quota = KvQuota {
            max_keys: 250,
            max_bytes: 4000,
        };
        let kv = Arc::new(store.kv(quota));
        let ns = KvNamespace::Pipeline(format!("p{}", uuid::Uuid::new_v4().simple()));
        // 8 writers × 60 new keys of 10 bytes: the key quota (250) refuses the rest.
        let tasks: Vec<_> = (0..8)
            .map(|w| {
                let (kv, ns) = (kv.clone(), ns.clone());
                tokio::spawn(async move {
                    let mut stored = 0u64;
                    for i in 0..60 {
                        let key = format!("w{w}:{i:03}");
                        let written = if i % 2 == 0 {
                            kv.set(&ns, &key, "vv").await.map(|()| true)
                        } else {
                            kv.set_if_absent(&ns, &key, "vv").await
                        };
                        match written {
                            Ok(true) => stored += 1,
                            Err(KvError::Quota(exceeded)) => assert_eq!(exceeded.limit, 250),
                            other => panic!("{other:?}"),
                        }
                    }
                    stored
                })
            })
            .collect();
        let mut stored = 0;
        for task in tasks {
            stored += task.await.unwrap();
        }
        assert_eq!(stored, 250, "{:?}", store.backend());
        // Keys are 6 bytes ("w0:000"), values 2.
        let usage = kv.usage(&ns).await.unwrap();
        assert_eq!((usage.keys, usage.bytes), (250, 2000));
        assert_eq!(kv.keys(&ns, "", 10_000).await.unwrap().len(), 250);
        // A deleted key gives its room back.
        assert!(kv.delete(&ns, "w0:000").await.unwrap());
        kv.set(&ns, "big1", &"b".repeat(1000)).await.unwrap();
        let full = kv.set(&ns, "w0:000", "vv").await.unwrap_err();
        assert_eq!(
            full.to_string(),
            format!(
                "kv quota: namespace {} holds 250 keys, the limit is 250",
                ns.stored_name()
            )
        );
        // Bytes: replacing a value counts the difference; 2996 + 1010 passes 4000.
        let refused = kv.set(&ns, "big1", &"b".repeat(2010)).await.unwrap_err();
        assert_eq!(
            refused.to_string(),
            format!(
                "kv quota: namespace {} holds 2996 bytes, writing 1010 more would pass the limit of 4000 bytes",
                ns.stored_name()
            )
        );
        // Nothing half-written: the refused writes left the values and the usage as they were.
        assert_eq!(kv.get(&ns, "w0:000").await.unwrap(), None);
        assert_eq!(
            kv.get(&ns, "big1").await.unwrap().map(|v| v.len()),
            Some(1000)
        );
        let usage = kv.usage(&ns).await.unwrap();
        assert_eq!((usage.keys, usage.bytes), (250, 2996));
        kv.set(&ns, "big1", "small").await.unwrap();
        assert_eq!(kv.usage(&ns).await.unwrap().bytes, 2996 - 1004 + 9);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_calling_llm_in_a_loop_is_denied_once_the_job_budget_is_spent() {
    let (_fake, ws) = greedy_workspace(FakeLlmConfig::default()).await;
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("blockforge.db").display()
        ))
        .await;
    let mut pipeline = greedy(json!({"attack": "llm_loop"}));
    pipeline["constraints"] = json!({"max_total_tokens": 100});
    let pipeline_id =
        create_pipeline(&server, json!({"name": "budget", "definition": pipeline})).await;
    let probe = HealthProbe::start(&server);
    let seeds: Vec<Value> = (0..4)
        .map(|n| json!({"metadata": {"target": n == 1, "n": n}}))
        .collect();
    let job_id = start_job(&server, pipeline_id, Value::Array(seeds).to_string()).await;
    let job = wait_for(&server, job_id, |j| {
        j["status"] != "running" && j["status"] != "pending"
    })
    .await;
    probe.finish().await.assert_responsive();
    // The budget stops the job once the refused run's usage is in.
    assert!(
        job["status"] == "stopped" || job["status"] == "completed",
        "{job}"
    );
    let records = get_json(&server, &format!("/api/records?job_id={job_id}&limit=10")).await;
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 4, "{records:?}");
    let failed: Vec<&Value> = records
        .iter()
        .filter(|r| r["run_status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "only the looping run fails: {records:?}");
    assert_eq!(failed[0]["metadata"]["n"], 1);
    let failed = get_json(&server, &format!("/api/records/{}", failed[0]["id"])).await;
    let error = failed["error"].as_str().unwrap_or_default();
    assert_eq!(failed["trace"][0]["failure"]["kind"], "denied", "{error}");
    assert!(
        error.contains("Greedy (step 0) was refused: the job's budget max_total_tokens is spent: ")
            && error.contains(" of 100"),
        "{error}"
    );
    // Refused inside the run: one call's worth past the budget at most, not 500 calls.
    let tokens = failed["trace"][0]["usage"]["input_tokens"]
        .as_u64()
        .unwrap_or(0)
        + failed["trace"][0]["usage"]["output_tokens"]
            .as_u64()
            .unwrap_or(0);
    assert!((100..=110).contains(&tokens), "{tokens} tokens: {failed}");
    let calls = failed["trace"][0]["llm_calls"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(calls < 40, "{calls} model calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_larger_than_the_token_rate_is_refused_and_starves_no_one() {
    let (_fake, mut ws) = greedy_workspace(FakeLlmConfig::default()).await;
    ws.set_env("LLM_TPM", "60000").set_env("LLM_RPM", "60");
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("blockforge.db").display()
        ))
        .await;
    let started = Instant::now();
    let outcome = run_attack(&server, greedy(json!({"attack": "huge_prompt"})), json!({})).await;
    // 1 MiB is about 262,145 tokens by the gateway's estimate: refused unsent.
    outcome.assert_failed_as(
        "block_error",
        "the request needs about 262145 tokens, more than the model's limit of 60000 tokens per minute",
    );
    let calls = outcome.failed["trace"][0]["llm_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        (&calls[0]["status"], &calls[0]["attempts"]),
        (&json!("failed"), &json!(0))
    );
    // The bucket was not taken: the other runs waited for 60 requests per minute only.
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "{:?}",
        started.elapsed()
    );
    let records = get_json(&server, "/api/records?limit=20").await;
    let waits: Vec<u64> = rate_waits(&server, &records).await;
    assert!(
        waits.iter().any(|&w| w >= 500),
        "under 60 requests per minute some call waited for the rate limit: {waits:?}"
    );
}

/// `rate_wait_ms` of the completed records' model calls.
async fn rate_waits(server: &blockforge_tests::harness::Server, records: &Value) -> Vec<u64> {
    let mut waits = Vec::new();
    for record in records.as_array().unwrap() {
        if record["run_status"] != "completed" {
            continue;
        }
        let record = get_json(server, &format!("/api/records/{}", record["id"])).await;
        for call in record["trace"][0]["llm_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            waits.push(
                call["rate_wait_ms"]
                    .as_u64()
                    .expect("rate_wait_ms on every call"),
            );
        }
    }
    waits
}
