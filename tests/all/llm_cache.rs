//! The LLM response cache over the real `blockforge serve` (SQLite and PostgreSQL) and the
//! real CLI: a hit makes no provider call (the fake LLM's counter does not move) and is counted
//! as cached usage, the cache survives a restart, each job's `cache` mode is honoured, a
//! temperature above 0 is not cached by default, and rerunning a pipeline after changing only
//! its last block pays only for the last block.

use blockforge_tests::fake_llm::{FakeLlmConfig, words};
use blockforge_tests::harness::{Server, Workspace, seeds as cli_seeds};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, databases, seeds, wait_for};
use crate::store::cleanup;

/// A pipeline of TextGenerators, one per `(prompt, temperature)`.
fn generators(steps: &[(&str, f64)]) -> Value {
    let blocks: Vec<Value> = steps
        .iter()
        .map(|(prompt, temperature)| {
            json!({"type": "TextGenerator",
                   "config": {"user_prompt": prompt, "temperature": temperature}})
        })
        .collect();
    json!({"name": "cached", "blocks": blocks})
}

/// Starts a job of `pipeline_id` on `n` seeds (`{"n": i}`) with the form's `cache` field (none
/// for the default), `concurrency` runs at once, and waits for it to end.
pub(crate) async fn finished_job(
    server: &Server,
    pipeline_id: i64,
    n: usize,
    cache: Option<&str>,
    concurrency: u32,
) -> Value {
    let mut form = reqwest::multipart::Form::new()
        .text("pipeline_id", pipeline_id.to_string())
        .text("concurrency", concurrency.to_string())
        .part(
            "file",
            reqwest::multipart::Part::text(seeds(n)).file_name("seeds.json"),
        );
    if let Some(cache) = cache {
        form = form.text("cache", cache.to_owned());
    }
    let response = crate::api::post_generate(server, form).await;
    assert_eq!(response.status(), StatusCode::OK);
    let job_id = response.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    wait_for(server, job_id, |j| j["status"] != "running").await
}

/// As [`finished_job`], two runs at once, asserting the job completed.
async fn run_job(server: &Server, pipeline_id: i64, n: usize, cache: Option<&str>) -> Value {
    let job = finished_job(server, pipeline_id, n, cache, 2).await;
    assert_eq!(job["status"], "completed", "{job}");
    job
}

/// The records of job `job_id`.
pub(crate) async fn records(server: &Server, job_id: &Value) -> Vec<Value> {
    client()
        .get(server.url(&format!("/api/records?job_id={job_id}&limit=1000")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cache_hits_make_no_call_count_as_cached_usage_and_survive_a_restart() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = create_pipeline(&server, generators(&[("Describe {{ n }} briefly", 0.0)])).await;
        let before = fake.chat_requests();
        let first = run_job(&server, id, 3, None).await;
        assert_eq!(
            fake.chat_requests() - before,
            3,
            "temperature 0 misses first"
        );
        assert_eq!(first["cache"], "auto");
        assert_eq!(first["usage"]["cache_hits"], 0);
        // "Describe 0 briefly" is 3 words, "Echo: Describe 0 briefly" 4.
        assert_eq!(
            (
                first["usage"]["input_tokens"].as_u64(),
                first["usage"]["output_tokens"].as_u64()
            ),
            (Some(9), Some(12))
        );

        let second = run_job(&server, id, 3, None).await;
        assert_eq!(fake.chat_requests() - before, 3, "every call was a hit");
        let usage = &second["usage"];
        assert_eq!(usage["input_tokens"], 0, "{usage}");
        assert_eq!(usage["output_tokens"], 0, "{usage}");
        assert_eq!(
            usage["cached_tokens"], 21,
            "the original calls' input + output"
        );
        assert_eq!(usage["cache_hits"], 3);
        assert_eq!(usage["cost"], 0.0, "a hit costs nothing");
        // The trace shows the call was answered from the cache, and the answer is the same.
        let hits = records(&server, &second["id"]).await;
        let originals = records(&server, &first["id"]).await;
        assert_eq!(hits.len(), 3);
        for record in &hits {
            assert_eq!(record["trace"][0]["usage"]["cache_hits"], 1, "{record}");
            assert_eq!(record["usage"]["cached_tokens"], 7, "{record}");
            let n = record["metadata"]["n"].as_i64().unwrap();
            assert_eq!(
                record["output"]["assistant"],
                format!("Echo: Describe {n} briefly")
            );
        }
        assert!(
            originals
                .iter()
                .all(|r| r["trace"][0]["usage"]["cache_hits"] == 0)
        );

        // Kept in the database: a new server process answers from it.
        server.kill9().await;
        let server = ws.serve(&url).await;
        let third = run_job(&server, id, 3, None).await;
        assert_eq!(fake.chat_requests() - before, 3, "hits after a restart");
        assert_eq!(third["usage"]["cache_hits"], 3);
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cache_modes_per_job_and_no_caching_above_temperature_zero_by_default() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let calls = |before: u32| fake.chat_requests() - before;

        // Temperature 0.7 (the block's default): neither read nor written by default.
        let warm = create_pipeline(&server, generators(&[("Warm {{ n }}", 0.7)])).await;
        let before = fake.chat_requests();
        run_job(&server, warm, 2, None).await;
        let job = run_job(&server, warm, 2, None).await;
        assert_eq!(calls(before), 4, "0.7 is not cached by default");
        assert_eq!(job["usage"]["cache_hits"], 0);

        // read-only: reads, never writes (nothing kept for 0.7, so it calls every time).
        let before = fake.chat_requests();
        let job = run_job(&server, warm, 2, Some("read-only")).await;
        assert_eq!(job["cache"], "read-only");
        run_job(&server, warm, 2, Some("read-only")).await;
        assert_eq!(calls(before), 4, "read-only wrote nothing");

        // on: reads and writes at every temperature; read-only then reads what on wrote.
        let before = fake.chat_requests();
        run_job(&server, warm, 2, Some("on")).await;
        let job = run_job(&server, warm, 2, Some("on")).await;
        assert_eq!(calls(before), 2, "on cached 0.7");
        assert_eq!(job["usage"]["cache_hits"], 2);
        let job = run_job(&server, warm, 2, Some("read-only")).await;
        assert_eq!(calls(before), 2, "read-only read the kept answers");
        assert_eq!(job["usage"]["cache_hits"], 2);
        // ...but not at the default, which does not read at 0.7.
        run_job(&server, warm, 2, None).await;
        assert_eq!(calls(before), 4);

        // off: a temperature-0 prompt that is cached is asked again.
        let cold = create_pipeline(&server, generators(&[("Cold {{ n }}", 0.0)])).await;
        let before = fake.chat_requests();
        run_job(&server, cold, 2, None).await;
        let job = run_job(&server, cold, 2, Some("off")).await;
        assert_eq!(calls(before), 4, "off reads nothing");
        assert_eq!(job["cache"], "off");
        assert_eq!(job["usage"]["cache_hits"], 0);

        // An unknown mode is refused with the accepted ones.
        let form = reqwest::multipart::Form::new()
            .text("pipeline_id", cold.to_string())
            .text("cache", "sometimes")
            .part(
                "file",
                reqwest::multipart::Part::text(seeds(1)).file_name("seeds.json"),
            );
        let response = client()
            .post(server.url("/api/generate"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("read-only"),
            "{body}"
        );
        assert_eq!(body["detail"]["cache"], "sometimes");
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cache_rerun_after_changing_the_last_block_pays_only_for_the_last_block() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let first_block = ("Write about {{ n }}", 0.0);
        let id = create_pipeline(
            &server,
            generators(&[first_block, ("Summarise: {{ assistant }}", 0.0)]),
        )
        .await;
        let before = fake.chat_requests();
        run_job(&server, id, 4, None).await;
        assert_eq!(fake.chat_requests() - before, 8);

        // Only the last block changes.
        let response = client()
            .put(server.url(&format!("/api/pipelines/{id}")))
            .json(&generators(&[
                first_block,
                ("Shorten: {{ assistant }}", 0.0),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let before = fake.chat_requests();
        let job = run_job(&server, id, 4, None).await;
        assert_eq!(
            fake.chat_requests() - before,
            4,
            "the first block's calls were hits; only the changed block called the provider"
        );
        assert_eq!(job["usage"]["cache_hits"], 4);
        let prompts: Vec<String> = fake
            .request_bodies()
            .iter()
            .rev()
            .take(4)
            .map(|b| {
                b["messages"][0]["content"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        assert!(
            prompts
                .iter()
                .all(|p| p.starts_with("Shorten: Echo: Write about")),
            "{prompts:?}"
        );
        for record in records(&server, &job["id"]).await {
            let n = record["metadata"]["n"].as_i64().unwrap();
            assert_eq!(
                record["output"]["assistant"],
                format!("Echo: Shorten: Echo: Write about {n}")
            );
            assert_eq!(record["trace"][0]["usage"]["cache_hits"], 1);
            assert_eq!(record["trace"][1]["usage"]["cache_hits"], 0);
        }
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_cache_in_the_cli_lives_in_memory_or_in_the_cache_db() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    // Two seeds with the same prompt: within one invocation the second is a hit.
    let pipeline = "name: c\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'same words', temperature: 0}\n";
    let two = cli_seeds(2, |_| json!({}));
    let (out, records) = ws
        .run_pipeline(pipeline, &two, &["--concurrency", "1"])
        .await;
    out.assert_success();
    assert_eq!(
        fake.chat_requests(),
        1,
        "the second run hit the in-memory cache"
    );
    let hits: u64 = records
        .iter()
        .map(|r| r["usage"]["cache_hits"].as_u64().unwrap())
        .sum();
    assert_eq!(hits, 1);
    assert!(out.stderr.contains("1 cache hits"), "{}", out.stderr);
    // Memory is gone with the process: a new invocation calls again.
    ws.run_pipeline(pipeline, &two, &["--concurrency", "1"])
        .await
        .0
        .assert_success();
    assert_eq!(fake.chat_requests(), 2);
    // --cache off: every run calls.
    ws.run_pipeline(pipeline, &two, &["--cache", "off"])
        .await
        .0
        .assert_success();
    assert_eq!(fake.chat_requests(), 4);
    // --cache-db keeps answers across invocations.
    let db = ws.path().join("llm-cache.db").display().to_string();
    let args = ["--concurrency", "1", "--cache-db", db.as_str()];
    ws.run_pipeline(pipeline, &two, &args)
        .await
        .0
        .assert_success();
    assert_eq!(fake.chat_requests(), 5);
    let (out, records) = ws.run_pipeline(pipeline, &two, &args).await;
    out.assert_success();
    assert_eq!(fake.chat_requests(), 5, "both runs hit the kept answer");
    assert!(records.iter().all(|r| r["usage"]["cached_tokens"]
        == words("same words") + words("Echo: same words")));
    // --cache on caches a temperature above 0 too; a bad mode is refused.
    let warm =
        "name: w\nblocks:\n  - type: TextGenerator\n    config: {user_prompt: 'warm words'}\n";
    ws.run_pipeline(warm, &two, &["--concurrency", "1", "--cache", "on"])
        .await
        .0
        .assert_success();
    assert_eq!(fake.chat_requests(), 6);
    let (out, _) = ws.run_pipeline(warm, &two, &["--cache", "sometimes"]).await;
    out.assert_failure();
    assert!(out.stderr.contains("read-only"), "{}", out.stderr);
}
