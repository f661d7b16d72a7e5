//! A job's quality report (`quality` in `GET /api/jobs/{id}`): pass rate, score histograms
//! and what each check flagged, fixed or removed, counted as the records are written, on
//! SQLite and PostgreSQL.

use blockforge_tests::harness::Workspace;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, generate, get_json, wait_for};
use crate::chat_quality::{script, verdict};
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
        assert_eq!(response.status(), StatusCode::OK);
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
        assert_eq!(
            quality["failed"], 0,
            "removed records are checked: {quality}"
        );

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
            (&clarity["step"], &clarity["block_type"]),
            (&json!(1), &json!("FieldMapper"))
        );
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
        json!({"checked": 0, "passed": 0, "pass_rate": null, "failed": 0, "scores": [], "blocks": []})
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
        "quality: 6 of 10 checked records passed (60.0%); 0 failed otherwise",
        "  step 0 ValidatorBlock: 10 checked, 2 flagged, 0 fixed, 0 removed",
        "  step 1 FieldMapper: 10 checked, 0 flagged, 1 fixed, 0 removed",
        "  step 3 JSONValidatorBlock: 10 checked, 0 flagged, 0 fixed, 2 removed",
        "  step 1 FieldMapper clarity (0–10): mean 4.50 over 10 scores",
        "  step 2 CoherenceScore coherence_score (0–1): mean 0.28 over 10 scores",
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
        http_calls: Vec::new(),
        logs: Vec::new(),
        logs_dropped: 0,
    };
    let mut finished = crate::store::finished(run, pipeline_id, RunStatus::Completed, 0);
    finished.record.trace = blockforge::engine::record::Trace::own(vec![entry]);
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

/// The score `name` written at step `step`.
fn score_at<'a>(quality: &'a Value, name: &str, step: u64) -> &'a Value {
    quality["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name && s["step"] == step)
        .unwrap_or_else(|| panic!("no score {name} at step {step} in {quality}"))
}

/// Starts a job of `pipeline` on `seeds` and answers its `GET /api/jobs/{id}` once finished.
async fn finished_job(
    server: &blockforge_tests::harness::Server,
    pipeline: Value,
    seeds: Value,
    concurrency: u32,
) -> Value {
    let id = create_pipeline(server, pipeline).await;
    let response = generate(server, id, "seeds.json", seeds.to_string(), concurrency).await;
    assert_eq!(response.status(), StatusCode::OK);
    let job_id = response.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    let job = wait_for(server, job_id, |j| j["status"] == "completed").await;
    assert_eq!(job["status"], "completed", "{job}");
    get_json(server, &format!("/api/jobs/{job_id}")).await
}

fn qa_seed(answer: &str, extra: Value) -> Value {
    let mut metadata = json!({"question": "What is the boiling point of water at sea level?",
                              "answer": answer, "text": answer});
    if let (Some(m), Value::Object(extra)) = (metadata.as_object_mut(), extra) {
        m.extend(extra);
    }
    json!({"metadata": metadata})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_judges_fix_still_below_its_minimum_is_flagged_and_each_judge_step_has_its_histograms() {
    // Step 0 keeps anything from 3; step 1 rewrites below 7. WEAK-A scores 4 (kept by step 0),
    // its rewrite 6: better, so `fixed`, but still below 7, so `passed: false`.
    let (_fake, ws) = Workspace::with_fake_llm(script(&[
        ("REASON-A", json!({"rewritten": "Near 100 °C. BETTER-A"})),
        ("BETTER-A", verdict(6.0, "closer")),
        ("WEAK-A", verdict(4.0, "REASON-A")),
        ("GOOD-ANSWER", verdict(9.0, "precise")),
    ]))
    .await;
    let server = crate::providers::sqlite_server(&ws).await;
    let pipeline = json!({"name": "two judges", "blocks": [
        {"type": "LLMJudge", "config": {"fields": ["question", "answer"], "min_score": 3, "action": "keep"}},
        {"type": "LLMJudge", "config": {"fields": ["question", "answer"], "min_score": 7,
                                        "action": "fix", "fix_field": "answer"}}
    ]});
    let seeds = json!([
        qa_seed("Hot. WEAK-A", json!({})),
        qa_seed("100 °C. GOOD-ANSWER", json!({}))
    ]);
    let job = finished_job(&server, pipeline, seeds, 2).await;
    assert_eq!(job["records_generated"], 2, "{job}");
    let quality = &job["quality"];
    assert_eq!(
        (
            &quality["checked"],
            &quality["passed"],
            &quality["pass_rate"]
        ),
        (&json!(2), &json!(1), &json!(0.5)),
        "a fix that still fails does not pass: {quality}"
    );
    let keep = block(quality, 0);
    assert_eq!((&keep["checked"], &keep["flagged"]), (&json!(2), &json!(0)));
    let fix = block(quality, 1);
    assert_eq!(
        (&fix["checked"], &fix["fixed"], &fix["flagged"]),
        (&json!(2), &json!(1), &json!(1)),
        "{fix}"
    );
    // One histogram per judge step: 4 and 9 at step 0, the rewrite's 6 and 9 at step 1.
    let first = score_at(quality, "formatting", 0);
    assert_eq!(first["block_type"], "LLMJudge");
    assert_eq!(
        first["bins"],
        json!([0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
        "{first}"
    );
    let second = score_at(quality, "formatting", 1);
    assert_eq!(
        second["bins"],
        json!([0, 0, 0, 0, 0, 0, 1, 0, 0, 1]),
        "{second}"
    );
    assert_eq!(second["mean"], 7.5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_judges_removal_keeps_its_scores_and_a_run_failing_elsewhere_is_not_checked() {
    let (_fake, ws) = Workspace::with_fake_llm(script(&[
        ("GOOD-ANSWER", verdict(9.0, "fine")),
        ("WEAK-ANSWER", verdict(2.5, "wrong")),
    ]))
    .await;
    let server = crate::providers::sqlite_server(&ws).await;
    // The validator checks every record; the mapper then fails the run of the seed with
    // `explode` (a template error, not a check); the judge removes the weak answer.
    let pipeline = json!({"name": "remove", "blocks": [
        {"type": "ValidatorBlock", "config": {"min_length": 1}},
        {"type": "FieldMapper", "config": {"mappings": {"boom": "{{ nothing if explode else 1 }}"}}},
        {"type": "LLMJudge", "config": {"fields": ["question", "answer"], "min_score": 7, "action": "remove"}}
    ]});
    let seeds = json!([
        qa_seed("100 °C. GOOD-ANSWER", json!({"explode": false})),
        qa_seed("50 °C. WEAK-ANSWER", json!({"explode": false})),
        qa_seed("100 °C. GOOD-ANSWER", json!({"explode": true})),
    ]);
    let job = finished_job(&server, pipeline, seeds, 3).await;
    assert_eq!(
        (&job["records_generated"], &job["records_failed"]),
        (&json!(1), &json!(2)),
        "{job}"
    );
    let quality = &job["quality"];
    assert_eq!(
        (&quality["checked"], &quality["passed"], &quality["failed"]),
        (&json!(2), &json!(1), &json!(1)),
        "the failed mapper's run is failed, not checked: {quality}"
    );
    assert_eq!(quality["pass_rate"], 0.5);
    let judge = block(quality, 2);
    assert_eq!(
        (&judge["checked"], &judge["removed"]),
        (&json!(2), &json!(1))
    );
    // The removed record's scores (in its failure's detail) are in the histograms.
    let judged = score_at(quality, "judge_score", 2);
    assert_eq!(judged["count"], 2, "{judged}");
    assert_eq!(judged["bins"], json!([0, 0, 1, 0, 0, 0, 0, 0, 0, 1]));
    assert_eq!(score_at(quality, "formatting", 2)["count"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_outside_their_scale_are_left_out_and_the_records_still_stored() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    let pipeline = json!({"name": "wild scores", "blocks": [
        {"type": "FieldMapper", "config": {"mappings": {
            "x_score": "{{ x }}", "judge_score": "{{ j }}", "valid": "{{ true | tojson }}"}}}
    ]});
    // Huge values would overflow the stored sums; 85 and 11 would skew the means.
    let seeds = json!([
        {"metadata": {"x": "1e300", "j": "1e16"}},
        {"metadata": {"x": "85", "j": "11"}},
        {"metadata": {"x": "0.5", "j": "7"}},
        {"metadata": {"x": "1", "j": "10"}},
        {"metadata": {"x": "1e300", "j": "1e16"}},
    ]);
    for url in urls {
        let server = ws.serve(&url).await;
        // One run at a time: the records are written in several batches, whose sums add up.
        let job = finished_job(&server, pipeline.clone(), seeds.clone(), 1).await;
        assert_eq!(job["records_generated"], 5, "{job}");
        let quality = &job["quality"];
        assert_eq!(
            (&quality["checked"], &quality["passed"]),
            (&json!(5), &json!(5))
        );
        let x = score_at(quality, "x_score", 0);
        assert_eq!((&x["count"], &x["mean"]), (&json!(2), &json!(0.75)), "{x}");
        assert_eq!(x["bins"], json!([0, 0, 0, 0, 0, 1, 0, 0, 0, 1]));
        let judge = score_at(quality, "judge_score", 0);
        assert_eq!(
            (&judge["count"], &judge["mean"]),
            (&json!(2), &json!(8.5)),
            "{judge}"
        );
        let records = get_json(
            &server,
            &format!("/api/records?job_id={}&limit=10", job["id"]),
        )
        .await;
        assert!(records.to_string().contains("1e300"), "{records}");
        drop(server);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blockforge_run_and_a_server_job_report_a_multiplier_pipeline_alike() {
    let ws = Workspace::new();
    std::fs::copy(
        blockforge_tests::fixtures::FANOUT,
        ws.plugins_dir().join("fanout.wasm"),
    )
    .unwrap();
    // The children carry `valid: false` and a score from the multiplier; only step 1 checks.
    let pipeline = json!({"name": "fan", "blocks": [
        {"type": "FanOut", "config": {"children": 3, "fields": {"valid": false, "fan_score": 0.5}}},
        {"type": "FieldMapper", "config": {"mappings": {"passed": "{{ (child != 1) | tojson }}"}}}
    ]});
    let seeds = blockforge_tests::harness::seeds(2, |i| json!({"i": i}));
    let (out, records) = ws.run_pipeline(&pipeline.to_string(), &seeds, &[]).await;
    out.assert_success();
    assert_eq!(records.len(), 6);
    assert_eq!(
        records[0]["trace"][0]["block_type"], "FanOut",
        "{}",
        records[0]
    );
    assert!(
        out.stderr
            .contains("quality: 4 of 6 checked records passed (66.7%); 0 failed otherwise"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("  step 1 FieldMapper: 6 checked, 2 flagged, 0 fixed, 0 removed"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("FanOut:"), "{}", out.stderr);
    assert!(!out.stderr.contains("fan_score"), "{}", out.stderr);

    let server = crate::providers::sqlite_server(&ws).await;
    let job = finished_job(&server, pipeline, seeds, 2).await;
    assert_eq!(job["records_generated"], 6, "{job}");
    let quality = &job["quality"];
    assert_eq!(
        (&quality["checked"], &quality["passed"]),
        (&json!(4 + 2), &json!(4)),
        "{quality}"
    );
    let blocks = quality["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 1, "{quality}");
    assert_eq!(
        (&blocks[0]["step"], &blocks[0]["flagged"]),
        (&json!(1), &json!(2))
    );
    assert_eq!(quality["scores"], json!([]), "{quality}");
}
