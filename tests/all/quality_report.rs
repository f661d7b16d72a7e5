//! A job's quality report (`quality` in `GET /api/jobs/{id}`): pass rate, score histograms
//! and what each check flagged, fixed or removed, counted as the records are written, on
//! SQLite and PostgreSQL.

use blockforge_tests::harness::Workspace;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, generate, get_json, wait_for};
use crate::store::cleanup;

/// Ten seeds: seed `n` has a text of `n + 1` words in one sentence (2·(n+1) characters), and a
/// payload that is JSON except for seeds 4 and 7.
fn quality_seeds() -> String {
    let seeds: Vec<Value> = (0..10)
        .map(|n: usize| {
            let text = format!("{}.", vec!["w"; n + 1].join(" "));
            let payload = if n == 4 || n == 7 {
                "oops".to_owned()
            } else {
                "{\"ok\": 1}".to_owned()
            };
            json!({"metadata": {"n": n, "text": text, "payload": payload}})
        })
        .collect();
    Value::Array(seeds).to_string()
}

/// A validator (texts under 5 characters flagged: seeds 0 and 1), a judge-like step (the
/// contract LLMJudge writes: `judge_scores` 0–10 per criterion, `judge_score`,
/// `judge_action`; seed 9 "fixed"), a metric (CoherenceScore: (n+1)/20) and a strict JSON
/// check that fails the runs of seeds 4 and 7 as `rejected`.
fn quality_pipeline() -> Value {
    json!({"name": "checked", "blocks": [
        {"type": "ValidatorBlock", "config": {"min_length": 5}},
        {"type": "FieldMapper", "config": {"mappings": {
            "judge_scores": "{\"clarity\": {{ n }}, \"formatting\": {{ 10 - n }}}",
            "judge_score": "{{ n }}",
            "judge_action": "{{ 'fixed' if n == 9 else 'kept' }}"
        }}},
        {"type": "CoherenceScore", "config": {"field_name": "text"}},
        {"type": "JSONValidatorBlock", "config": {"field_name": "payload", "strict": true}}
    ]})
}

fn score<'a>(quality: &'a Value, name: &str) -> &'a Value {
    quality["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no score {name} in {quality}"))
}

fn block(quality: &Value, step: u64) -> &Value {
    quality["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["step"] == step)
        .unwrap_or_else(|| panic!("no block at step {step} in {quality}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_quality_report_counts_flags_fixes_removals_and_score_bins() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = create_pipeline(&server, quality_pipeline()).await;
        // Concurrency 3: the records are written in several batches, whose counts add up.
        let response = generate(&server, id, "seeds.json", quality_seeds(), 3).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let job_id = response.json::<Value>().await.unwrap()["job_id"]
            .as_i64()
            .unwrap();
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(
            (&job["records_generated"], &job["records_failed"]),
            (&json!(8), &json!(2)),
            "{job}"
        );
        let job = get_json(&server, &format!("/api/jobs/{job_id}")).await;
        let quality = &job["quality"];
        // Seeds 0 and 1 flagged, 4 and 7 removed; seed 9 fixed still passes.
        assert_eq!(quality["checked"], 10, "{quality}");
        assert_eq!(quality["passed"], 6, "{quality}");
        assert_eq!(quality["pass_rate"], 0.6, "{quality}");

        let validator = block(quality, 0);
        assert_eq!(validator["block_type"], "ValidatorBlock");
        assert_eq!(
            [
                &validator["checked"],
                &validator["flagged"],
                &validator["fixed"],
                &validator["removed"]
            ],
            [&json!(10), &json!(2), &json!(0), &json!(0)],
            "{validator}"
        );
        let judge = block(quality, 1);
        assert_eq!(
            (&judge["checked"], &judge["fixed"]),
            (&json!(10), &json!(1))
        );
        let strict = block(quality, 3);
        assert_eq!(strict["block_type"], "JSONValidatorBlock");
        assert_eq!(
            (&strict["checked"], &strict["removed"], &strict["flagged"]),
            (&json!(10), &json!(2), &json!(0))
        );
        assert_eq!(
            quality["blocks"].as_array().unwrap().len(),
            3,
            "the metric checks nothing: {quality}"
        );

        // Judge scores on 0–10 in ten bins (10 in the last); the metric on 0–1.
        let clarity = score(quality, "clarity");
        assert_eq!(clarity["scale"], "judge");
        assert_eq!(
            (&clarity["min"], &clarity["max"]),
            (&json!(0.0), &json!(10.0))
        );
        assert_eq!(clarity["bins"], json!([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
        assert_eq!(clarity["mean"], 4.5);
        assert_eq!(
            score(quality, "formatting")["bins"],
            json!([0, 1, 1, 1, 1, 1, 1, 1, 1, 2])
        );
        assert_eq!(score(quality, "judge_score")["count"], 10);
        let coherence = score(quality, "coherence_score");
        assert_eq!(coherence["scale"], "metric");
        assert_eq!(coherence["max"], 1.0);
        assert_eq!(coherence["bins"], json!([1, 2, 2, 2, 2, 1, 0, 0, 0, 0]));

        // The job's other keys are unchanged beside it.
        for key in [
            "usage",
            "llm_calls",
            "records_generated",
            "progress",
            "cache",
        ] {
            assert!(job.get(key).is_some(), "{key} in {job}");
        }
        drop(server);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_without_checks_reports_no_pass_rate() {
    let ws = Workspace::new();
    let server = crate::providers::sqlite_server(&ws).await;
    let id = create_pipeline(
        &server,
        json!({"name": "plain", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"a": "{{ n }}"}}}]}),
    )
    .await;
    let response = generate(&server, id, "seeds.json", crate::api::seeds(4), 2).await;
    let job_id = response.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    wait_for(&server, job_id, |j| j["status"] == "completed").await;
    let job = get_json(&server, &format!("/api/jobs/{job_id}")).await;
    assert_eq!(
        job["quality"],
        json!({"checked": 0, "passed": 0, "pass_rate": null, "scores": [], "blocks": []})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blockforge_run_prints_the_quality_report_with_its_summary() {
    let ws = Workspace::new();
    let seeds: Value = serde_json::from_str(&quality_seeds()).unwrap();
    let (out, records) = ws
        .run_pipeline(
            &quality_pipeline().to_string(),
            &seeds,
            &["--concurrency", "3"],
        )
        .await;
    out.assert_success();
    assert_eq!(records.len(), 10);
    for line in [
        "quality: 6 of 10 checked records passed (60.0%)",
        "  step 0 ValidatorBlock: 10 checked, 2 flagged, 0 fixed, 0 removed",
        "  step 1 FieldMapper: 10 checked, 0 flagged, 1 fixed, 0 removed",
        "  step 3 JSONValidatorBlock: 10 checked, 0 flagged, 0 fixed, 2 removed",
        "  clarity (0–10): mean 4.50 over 10 scores",
        "  coherence_score (0–1): mean 0.28 over 10 scores",
    ] {
        assert!(out.stderr.contains(line), "{line:?} in:\n{}", out.stderr);
    }
}

/// A finished run whose one trace entry is a judge's output with `criteria` scores of `score`.
fn judged(
    run: &blockforge::store::runs::ClaimedRun,
    pipeline_id: i64,
    criteria: usize,
    score: u32,
) -> blockforge::store::runs::FinishedRun {
    use blockforge::engine::record::{RunStatus, TraceEntry};
    let scores: serde_json::Map<String, Value> = (0..criteria)
        .map(|c| (format!("criterion_{c:02}"), json!((score + c as u32) % 11)))
        .collect();
    let output = json!({"judge_scores": scores, "judge_score": score, "judge_action": "kept"});
    let entry = TraceEntry {
        block_type: "LLMJudge".to_owned(),
        step: 1,
        input: serde_json::Map::new(),
        output: Some(output),
        accumulated_state: serde_json::Map::new(),
        execution_time: 0.0,
        import_time: 0.0,
        cpu_time: 0.0,
        error: None,
        failure: None,
        usage: Default::default(),
        llm_calls: Vec::new(),
        logs: Vec::new(),
        logs_dropped: 0,
    };
    let mut finished = crate::store::finished(run, pipeline_id, RunStatus::Completed, 0);
    finished.record.trace = vec![entry];
    finished
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_counters_equal_the_records_counts_across_batches_and_repeated_finishes() {
    use blockforge::engine::quality::QualityCounts;
    use blockforge::store::jobs::NewRun;
    let (_dir, stores, schema) = crate::store::stores().await;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("judged", &json!({"blocks": []}))
            .await
            .unwrap();
        let runs: Vec<NewRun> = (0..6)
            .map(|i| NewRun {
                seed_index: i,
                repetition: 0,
                split_index: -1,
                metadata: json!({"n": i}).to_string().into(),
            })
            .collect();
        let job = store
            .create_job(pipeline.id, &runs, &json!({}))
            .await
            .unwrap();
        let claimed = store
            .claim_runs("w", 6, std::time::Duration::from_secs(60), Some(job.id))
            .await
            .unwrap();
        // 60 criteria with three scores each: more counters than one statement writes.
        let finished: Vec<_> = claimed
            .iter()
            .enumerate()
            .map(|(i, run)| judged(run, pipeline.id, 60, (i % 3) as u32 * 4))
            .collect();
        let mut expected = QualityCounts::default();
        finished.iter().for_each(|f| expected.add_record(&f.record));
        assert_eq!(store.finish_runs(&finished[..4]).await.unwrap(), 4);
        assert_eq!(store.finish_runs(&finished[4..]).await.unwrap(), 2);
        // A run finished again (a late worker) writes nothing and counts nothing.
        assert_eq!(store.finish_runs(&finished[..1]).await.unwrap(), 0);
        let stored = store.job_quality(job.id).await.unwrap();
        assert_eq!(stored, expected, "{:?}", store.backend());
        let report = stored.report();
        assert_eq!((report.checked, report.passed), (6, 6));
        assert_eq!(report.scores.len(), 61);
        assert_eq!(report.scores.iter().map(|s| s.count).sum::<u64>(), 61 * 6);
    }
    crate::store::cleanup(stores, &schema).await;
}
