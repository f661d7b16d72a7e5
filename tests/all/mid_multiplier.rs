//! A multiplier after other blocks: a run that reaches it becomes one run per child, each going
//! on from the next step with the state so far and a trace that starts with the steps before
//! (never executed again: the fake LLM counts the requests), through `blockforge run`, the
//! `/execute` preview and stored jobs on SQLite and PostgreSQL, a kill -9 of the server in the
//! middle included.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use blockforge_tests::fixtures;
use blockforge_tests::harness::{Workspace, seeds};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, generate_job, get_json, wait_for};
use crate::llm_cache::records;
use crate::models_routing::call;
use crate::store::cleanup;

/// A generator, a mapper and then the multiplier (one child per line the generator's echo
/// has), then one more step on each child; `second` makes that step a generator too.
fn pipeline(second: bool) -> Value {
    let last = if second {
        json!({"type": "TextGenerator", "config": {"user_prompt": "SECOND {{ line }}"}})
    } else {
        json!({"type": "FieldMapper", "config": {"mappings": {"shout": "{{ line | upper }}"}}})
    };
    json!({"name": "mid", "blocks": [
        {"type": "TextGenerator", "config": {"user_prompt": "FIRST {{ n }}:\nsecond {{ n }}\nthird {{ n }}"}},
        {"type": "FieldMapper", "config": {"mappings": {"text": "{{ assistant }}"}}},
        {"type": "LineSplitter"},
        last
    ]})
}

/// The lines the echoing fake makes of seed `n`'s first prompt, one child each.
fn lines(n: u64) -> [String; 3] {
    [
        format!("Echo: FIRST {n}:"),
        format!("second {n}"),
        format!("third {n}"),
    ]
}

/// A workspace with the fake LLM and the `LineSplitter` fixture; job leases of `lease_secs`
/// when given.
async fn workspace_with(fake: FakeLlmConfig, lease_secs: Option<&str>) -> (FakeLlm, Workspace) {
    let (fake, mut ws) = Workspace::with_fake_llm(fake).await;
    std::fs::copy(fixtures::SPLITTER, ws.plugins_dir().join("splitter.wasm")).unwrap();
    if let Some(secs) = lease_secs {
        ws.set_env("JOB_LEASE_SECS", secs);
    }
    (fake, ws)
}

/// The user prompts the fake received, in order.
fn prompts(fake: &FakeLlm) -> Vec<String> {
    fake.request_bodies()
        .iter()
        .filter_map(|body| {
            body["messages"]
                .as_array()?
                .iter()
                .rev()
                .find(|m| m["role"] == "user")
                .and_then(|m| m["content"].as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// Checks one child's trace: the four steps once each, the steps before the multiplier as the
/// parent made them, and the multiplier's call showing this child's own line.
fn check_trace(how: &str, trace: &Value, state: &Value) {
    let entries = trace.as_array().unwrap_or_else(|| panic!("{how}: {trace}"));
    let steps: Vec<(u64, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["step"].as_u64().unwrap(),
                e["block_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps[..3],
        [
            (0, "TextGenerator"),
            (1, "FieldMapper"),
            (2, "LineSplitter")
        ],
        "{how}"
    );
    assert_eq!(steps.len(), 4, "{how}: {steps:?}");
    let n = state["n"].as_u64().unwrap();
    assert_eq!(
        entries[0]["output"]["assistant"],
        lines(n).join("\n"),
        "{how}"
    );
    assert_eq!(entries[0]["llm_calls"].as_array().map(Vec::len), Some(1));
    let call = &entries[2];
    assert_eq!(
        call["output"],
        json!({"line": state["line"], "line_index": state["line_index"]}),
        "{how}: the multiplier's entry shows this child's part"
    );
    assert_eq!(call["accumulated_state"]["line"], state["line"], "{how}");
    assert_eq!(call["input"]["text"], lines(n).join("\n"), "{how}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blockforge_run_splits_runs_mid_pipeline_without_repeating_the_steps_before() {
    let (fake, ws) = workspace_with(FakeLlmConfig::default(), None).await;
    let (out, records) = ws
        .run_pipeline(
            &pipeline(false).to_string(),
            &seeds(3, |i| json!({"n": i})),
            &[],
        )
        .await;
    out.assert_success();
    assert_eq!(
        fake.chat_requests(),
        3,
        "one generator call per seed, not per child"
    );
    assert_eq!(records.len(), 9, "{}", out.stderr);
    let mut seen = BTreeSet::new();
    let mut tokens: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        let state = &record["accumulated_state"];
        let n = state["n"].as_u64().unwrap();
        let index = state["line_index"].as_u64().unwrap();
        assert_eq!(state["line"], lines(n)[index as usize]);
        assert_eq!(
            state["shout"],
            lines(n)[index as usize].to_uppercase(),
            "{record}"
        );
        assert_eq!(record["split_index"], index, "{record}");
        assert_eq!(record["metadata"], json!({"n": n}), "the seed's metadata");
        check_trace("blockforge run", &record["trace"], state);
        seen.insert((n, index));
        // The generator's usage goes with the seed's first child only.
        let own = record["usage"]["input_tokens"].as_u64().unwrap();
        let call = record["trace"][0]["usage"]["input_tokens"]
            .as_u64()
            .unwrap();
        assert!(call > 0);
        assert_eq!(own, if index == 0 { call } else { 0 }, "{record}");
        let entry = tokens.entry(n).or_default();
        entry.0 += own;
        entry.1 = call;
    }
    assert_eq!(seen.len(), 9);
    assert!(tokens.values().all(|(sum, call)| sum == call), "{tokens:?}");

    // A multiplier may be the last block: each child's output is its own part.
    let last = json!({"name": "last", "blocks": [
        {"type": "FieldMapper", "config": {"mappings": {"text": "x {{ n }}\ny {{ n }}"}}},
        {"type": "LineSplitter"}]});
    let (out, records) = ws
        .run_pipeline(&last.to_string(), &seeds(2, |i| json!({"n": i})), &[])
        .await;
    out.assert_success();
    let outputs: BTreeSet<String> = records
        .iter()
        .map(|r| r["pipeline_output"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        outputs,
        ["x 0", "x 1", "y 0", "y 1"].map(str::to_owned).into()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_output_set_before_the_multiplier_is_each_childs_result() {
    let (_fake, ws) = workspace_with(FakeLlmConfig::default(), None).await;
    let pipeline = json!({"name": "mid-output", "blocks": [
        {"type": "TextGenerator", "config": {"user_prompt": "FIRST {{ n }}:\nsecond {{ n }}"}},
        {"type": "FieldMapper", "config": {"mappings": {
            "text": "{{ assistant }}", "pipeline_output": "kept {{ n }}"}}},
        {"type": "LineSplitter"},
        {"type": "FieldMapper", "config": {"mappings": {"shout": "{{ line | upper }}"}}}
    ]});
    let (out, records) = ws
        .run_pipeline(&pipeline.to_string(), &seeds(2, |i| json!({"n": i})), &[])
        .await;
    out.assert_success();
    assert_eq!(records.len(), 4, "{}", out.stderr);
    for record in &records {
        let n = &record["accumulated_state"]["n"];
        assert_eq!(
            record["pipeline_output"],
            json!(format!("kept {n}")),
            "{record}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_multiplier_is_refused_naming_the_first() {
    let (_fake, ws) = workspace_with(FakeLlmConfig::default(), None).await;
    let twice = json!({"name": "twice", "blocks": [
        {"type": "LineSplitter"},
        {"type": "FieldMapper", "config": {"mappings": {"text": "{{ line }}"}}},
        {"type": "LineSplitter"}]});
    let (out, records) = ws
        .run_pipeline(&twice.to_string(), &seeds(1, |_| json!({"text": "a"})), &[])
        .await;
    out.assert_failure();
    assert!(
        out.stderr.contains(
            "step 2 (LineSplitter): a pipeline may have one multiplier block, and step 0 \
             (LineSplitter) is one already"
        ),
        "{}",
        out.stderr
    );
    assert!(records.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_job_and_a_preview_split_runs_mid_pipeline_on_both_stores() {
    let (fake, ws) = workspace_with(FakeLlmConfig::default(), None).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = create_pipeline(&server, pipeline(false)).await;
        let saved = get_json(&server, &format!("/api/pipelines/{id}")).await;
        assert_eq!(saved["first_block_type"], "TextGenerator");
        assert_eq!(saved["first_block_is_multiplier"], false);

        let before = fake.chat_requests();
        let (status, preview) = call(
            &server,
            Method::POST,
            &format!("/api/pipelines/{id}/execute"),
            Some(json!({"n": 7})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        let results = preview["results"].as_array().unwrap();
        assert_eq!(results.len(), 3, "{preview}");
        for result in results {
            check_trace("the preview", &result["trace"], &result["result"]);
        }
        assert_eq!(fake.chat_requests() - before, 1, "one call for the preview");

        let before = fake.chat_requests();
        let seed_file = seeds(4, |i| json!({"n": i})).to_string();
        let job_id = generate_job(&server, id, "seeds.json", seed_file, 3).await;
        let job = wait_for(&server, job_id, |j| j["status"] != "running").await;
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(
            (&job["total_seeds"], &job["records_generated"]),
            (&json!(12), &json!(12)),
            "{job}"
        );
        assert_eq!(fake.chat_requests() - before, 4, "one call per seed");
        assert_eq!(job["llm_calls"]["requests"], 4, "{job}");
        let records = records(&server, &job_id.into()).await;
        assert_eq!(records.len(), 12);
        let mut seen = HashSet::new();
        let mut trace_tokens = 0;
        for record in &records {
            let state = &record["output"];
            check_trace("a stored job", &record["trace"], state);
            assert_eq!(
                record["metadata"],
                json!({"n": state["n"]}),
                "the seed's metadata, not the split run's starting state"
            );
            assert_eq!(
                state["shout"],
                state["line"].as_str().unwrap().to_uppercase()
            );
            seen.insert((state["n"].as_u64(), state["line_index"].as_u64()));
            if state["line_index"] == 0 {
                trace_tokens += record["trace"][0]["usage"]["input_tokens"]
                    .as_u64()
                    .unwrap();
            }
        }
        assert_eq!(seen.len(), 12);
        // The generators' usage counts once, with the expansion.
        assert_eq!(job["usage"]["input_tokens"], trace_tokens, "{job}");
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_killed_after_expansions_resumes_without_repeating_them() {
    const SEEDS: u64 = 60;
    let slow = FakeLlmConfig {
        latency: Duration::from_millis(100),
        ..Default::default()
    };
    // Short leases: the restarted server takes the dead one's runs over at once.
    let (fake, ws) = workspace_with(slow, Some("1")).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = create_pipeline(&server, pipeline(true)).await;
        let asked_before = prompts(&fake).len();
        let seed_file = seeds(SEEDS as usize, |i| json!({"n": i})).to_string();
        let job_id = generate_job(&server, id, "seeds.json", seed_file, 4).await;
        wait_for(&server, job_id, |j| {
            j["records_generated"].as_i64().unwrap_or(0) >= 30
        })
        .await;
        // Seeds with a child's record before the kill were expanded and stored before it.
        let expanded: BTreeSet<u64> = records(&server, &job_id.into())
            .await
            .iter()
            .filter_map(|r| r["output"]["n"].as_u64())
            .collect();
        server.kill9().await;
        assert!(!expanded.is_empty());

        let server = ws.serve(&url).await;
        let job = wait_for(&server, job_id, |j| j["status"] != "running").await;
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(job["records_generated"], 3 * SEEDS, "{job}");
        let records = records(&server, &job_id.into()).await;
        let children: Vec<(u64, u64)> = records
            .iter()
            .map(|r| {
                let state = &r["output"];
                (
                    state["n"].as_u64().unwrap(),
                    state["line_index"].as_u64().unwrap(),
                )
            })
            .collect();
        let unique: BTreeSet<&(u64, u64)> = children.iter().collect();
        assert_eq!(
            (children.len(), unique.len()),
            (3 * SEEDS as usize, 3 * SEEDS as usize),
            "each child's record exactly once"
        );
        for record in &records {
            check_trace("after a restart", &record["trace"], &record["output"]);
        }
        let asked = prompts(&fake).split_off(asked_before);
        for n in &expanded {
            let first = format!("FIRST {n}:\n");
            let calls = asked.iter().filter(|p| p.starts_with(&first)).count();
            assert_eq!(calls, 1, "seed {n}, expanded before the kill, asked again");
        }
        let firsts = asked.iter().filter(|p| p.starts_with("FIRST ")).count();
        // Only parents in flight at the kill (at most the concurrency) ran again.
        assert!(
            (SEEDS as usize..=SEEDS as usize + 4).contains(&firsts),
            "{firsts} first-step calls for {SEEDS} seeds"
        );
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_that_would_copy_too_much_state_fail_their_parent_run() {
    let (_fake, mut ws) = workspace_with(FakeLlmConfig::default(), None).await;
    // A seed of about 3 KB passes the job's planning (8 KB); its five children would each
    // start from a copy of it, about 15 KB in all.
    ws.set_env("MAX_JOB_STATE_BYTES", "8000");
    let pipeline = json!({"name": "copies", "blocks": [
        {"type": "FieldMapper", "config": {"mappings": {"marked": "yes"}}},
        {"type": "LineSplitter"},
        {"type": "FieldMapper", "config": {"mappings": {"shout": "{{ line | upper }}"}}}
    ]});
    let seed = json!({"text": "a\nb\nc\nd\ne", "pad": "x".repeat(3000)});
    // `blockforge run` writes the run's status as `status`; a stored record keeps it as
    // `run_status` (its `status` is the review's).
    let check = |how: &str, record: &Value, status_key: &str| {
        assert_eq!(record[status_key], "failed", "{how}");
        let error = record["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("LineSplitter (step 1) returned 5 children")
                && error.contains("MAX_JOB_STATE_BYTES"),
            "{how}: {error}"
        );
    };
    let (_out, ran) = ws
        .run_pipeline(&pipeline.to_string(), &seeds(1, |_| seed.clone()), &[])
        .await;
    assert_eq!(ran.len(), 1, "one failed record, no child: {ran:?}");
    check("blockforge run", &ran[0], "status");

    let url = format!(
        "sqlite://{}",
        ws.path().join("data/blockforge.db").display()
    );
    let server = ws.serve(&url).await;
    let id = create_pipeline(&server, pipeline).await;
    let seed_file = seeds(1, |_| seed.clone()).to_string();
    let job_id = generate_job(&server, id, "seeds.json", seed_file, 2).await;
    let job = wait_for(&server, job_id, |j| j["status"] != "running").await;
    assert_eq!(
        (&job["records_generated"], &job["records_failed"]),
        (&json!(0), &json!(1)),
        "{job}"
    );
    let stored = records(&server, &job_id.into()).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    check("a stored job", &stored[0], "run_status");
}
