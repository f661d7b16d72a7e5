//! The non-LLM quality blocks through the real binary: Readability (against textstat's
//! figures), MinHashDedup (job-wide near-duplicates under concurrent runs, on SQLite and
//! PostgreSQL, with two workers, and a run executed again after a crash), TokenChunker (tiktoken's counts, one run per chunk),
//! LanguageDetect and Toxicity.

use std::collections::{HashMap, HashSet};

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Server, Workspace};
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, generate_job, get_json, job_records, wait_for};
use crate::builtins::{call, output};
use crate::metrics::testdata;
use crate::store::cleanup;
use crate::worker_faults::wait_until;

const FIGURES: [&str; 5] = [
    "flesch_reading_ease",
    "flesch_kincaid_grade",
    "gunning_fog",
    "smog_index",
    "coleman_liau_index",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readability_through_the_host_agrees_with_textstat_and_applies_the_bounds() {
    let ws = Workspace::new();
    let pipeline = json!({"name": "readability", "blocks": [{"type": "Readability", "config": {
        "field_name": "text", "thresholds": {"flesch_reading_ease": {"min": 60}}}}]})
    .to_string();
    let expected = testdata("readability");
    let cases = expected["cases"].as_array().unwrap();
    let seeds: Vec<Value> = cases
        .iter()
        .map(|case| json!({"repetitions": 1, "metadata": {"text": case["text"]}}))
        .collect();
    let (out, records) = ws.run_pipeline(&pipeline, &json!(seeds), &[]).await;
    out.assert_success();
    assert_eq!(records.len(), cases.len());
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        let case = &cases[record["seed_index"].as_u64().unwrap() as usize];
        let state = &record["accumulated_state"];
        for figure in FIGURES {
            let got = state["readability"][figure].as_f64().unwrap();
            let want = case["figures"][figure].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 0.5,
                "{figure} of {}: {got} against textstat's {want}",
                case["text"]
            );
        }
        let ease = case["figures"]["flesch_reading_ease"].as_f64().unwrap();
        if (ease - 60.0).abs() > 0.5 {
            assert_eq!(state["valid"], ease >= 60.0, "{}", case["text"]);
        }
    }

    // A bound on a figure that does not exist is refused before any run, naming it.
    let bad = json!({"name": "bad", "blocks": [{"type": "Readability", "config": {
        "thresholds": {"fog": {"max": 12}}}}]})
    .to_string();
    let (out, records) = ws.run_pipeline(&bad, &json!(seeds[..1]), &[]).await;
    out.assert_failure();
    assert!(records.is_empty());
    assert!(out.stderr.contains("fog"), "{}", out.stderr);

    // A text that is not text fails its run saying so.
    let out = call(&ws, "Readability", json!({"assistant": 42}), json!({})).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("'assistant' must be text"),
        "{}",
        out.stderr
    );
}

/// Near-duplicate clusters: `CLUSTERS` unrelated 80-word texts, each in `VARIANTS` versions
/// differing from the base in at most one word (version 0 is the base itself).
const CLUSTERS: usize = 4;
const VARIANTS: usize = 4;

fn variant(cluster: usize, version: usize) -> String {
    (0..80)
        .map(|i| {
            if version > 0 && i == 10 + 15 * version {
                format!("edited{version}")
            } else {
                format!("c{cluster}word{i}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn dedup_seeds() -> Value {
    let mut seeds = Vec::new();
    for version in 0..VARIANTS {
        for cluster in 0..CLUSTERS {
            seeds.push(json!({"repetitions": 1, "metadata": {
                "cluster": cluster, "text": variant(cluster, version)}}));
        }
    }
    json!(seeds)
}

fn dedup_pipeline() -> Value {
    json!({"name": "minhash", "blocks": [{"type": "MinHashDedup", "config": {
        "field_name": "text", "threshold": 0.8}}]})
}

/// Checks a job's final states (with each record's trace id): exactly one record of each
/// cluster is not a duplicate, every other one names an earlier record of its own cluster, and
/// the Jaccard similarities are those of the texts.
fn check_dedup(records: &[(String, Value)]) {
    assert_eq!(records.len(), CLUSTERS * VARIANTS);
    let cluster_of: HashMap<&str, u64> = records
        .iter()
        .map(|(trace, state)| (trace.as_str(), state["cluster"].as_u64().unwrap()))
        .collect();
    let mut originals = HashSet::new();
    for (trace, state) in records {
        let cluster = state["cluster"].as_u64().unwrap();
        let jaccard = state["jaccard"].as_f64().unwrap();
        if state["is_duplicate"] == false {
            assert!(
                originals.insert(cluster),
                "two originals in cluster {cluster}"
            );
            assert_eq!(state["duplicate_of"], Value::Null);
            assert!(jaccard < 0.8, "{state}");
        } else {
            let of = state["duplicate_of"].as_str().unwrap();
            assert_ne!(of, trace);
            assert_eq!(cluster_of[of], cluster, "a duplicate of its own cluster");
            // 78 shingles of 3 words; one word changed in one or both texts.
            let allowed = [1.0, 75.0 / 81.0, 72.0 / 84.0];
            assert!(
                allowed.iter().any(|a| (a - jaccard).abs() < 1e-9),
                "jaccard {jaccard}"
            );
        }
    }
    assert_eq!(originals.len(), CLUSTERS);
}

async fn dedup_job(server: &Server, pipeline_id: i64, concurrency: u32) -> Vec<(String, Value)> {
    job_records(
        server,
        pipeline_id,
        "seeds.json",
        dedup_seeds().to_string(),
        concurrency,
    )
    .await
    .iter()
    .map(|r| {
        (
            r["trace_id"].as_str().unwrap().to_owned(),
            r["output"].clone(),
        )
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minhash_dedup_flags_one_of_each_near_copy_across_concurrent_runs() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let pipeline_id = create_pipeline(&server, dedup_pipeline()).await;
        check_dedup(&dedup_job(&server, pipeline_id, 8).await);
        // A second job starts from an empty log: its records are not duplicates of the first's.
        check_dedup(&dedup_job(&server, pipeline_id, 8).await);
        server.kill9().await;
    }
    cleanup(stores, &schema).await;

    // `blockforge run` keeps the job's kv for the invocation.
    let (out, records) = ws
        .run_pipeline(
            &dedup_pipeline().to_string(),
            &dedup_seeds(),
            &["--concurrency", "6"],
        )
        .await;
    out.assert_success();
    let records: Vec<(String, Value)> = records
        .iter()
        .map(|r| {
            (
                r["trace_id"].as_str().unwrap().to_owned(),
                r["accumulated_state"].clone(),
            )
        })
        .collect();
    check_dedup(&records);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_postgresql_share_the_minhash_log() {
    let mut ws = Workspace::new();
    ws.set_env("RUN_JOBS", "false");
    let (urls, stores, schema) = databases(&ws).await;
    let postgres = &urls[1];
    let server = ws.serve(postgres).await;
    let pipeline_id = create_pipeline(&server, dedup_pipeline()).await;
    let first = ws.worker(postgres).await;
    let second = ws.worker(postgres).await;
    check_dedup(&dedup_job(&server, pipeline_id, 8).await);
    first.kill9().await;
    second.kill9().await;
    server.kill9().await;
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_chunker_counts_as_tiktoken_and_starts_one_run_per_chunk() {
    let ws = Workspace::new();
    let expected = testdata("token_chunker");
    // Texts without surrounding white space and under the budget are one chunk each, with
    // tiktoken's count.
    let cases: Vec<&Value> = expected["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            let text = c["text"].as_str().unwrap();
            !text.is_empty() && text.trim() == text
        })
        .collect();
    for encoding in ["cl100k_base", "o200k_base"] {
        let pipeline = json!({"name": "chunks", "blocks": [{"type": "TokenChunker", "config": {
            "field_name": "doc", "chunk_size": 512, "encoding": encoding}}]})
        .to_string();
        let seeds: Vec<Value> = cases
            .iter()
            .map(|c| json!({"repetitions": 1, "metadata": {"doc": c["text"]}}))
            .collect();
        let (out, records) = ws.run_pipeline(&pipeline, &json!(seeds), &[]).await;
        out.assert_success();
        assert_eq!(records.len(), cases.len());
        for record in &records {
            let state = &record["accumulated_state"];
            let case = cases[record["seed_index"].as_u64().unwrap() as usize];
            assert_eq!(state["chunk_index"], 0);
            assert_eq!(state["chunk_text"], case["text"]);
            assert_eq!(
                state["chunk_tokens"], case[encoding],
                "{encoding} of {}",
                case["text"]
            );
        }
    }

    // A Markdown document (`file_content`) of many paragraphs: one run per chunk, each within
    // the budget, in order, the document's metadata kept.
    let paragraph = "Rivers shape the land they cross. Over thousands of years, flowing water carves valleys, moves sediment and builds fertile plains where crops can grow. ";
    let document: String = (0..30)
        .map(|i| format!("{}\n\n", paragraph.repeat(1 + i % 3)))
        .collect();
    let doc_path = ws.write("doc.md", &document);
    let pipeline_path = ws.write(
        "chunker.yaml",
        "name: chunker\nblocks:\n  - type: TokenChunker\n    config: {chunk_size: 100, chunk_overlap: 20}\n",
    );
    let (out, records) = ws.run_files(&pipeline_path, &doc_path, &[]).await;
    out.assert_success();
    assert!(records.len() > 10, "{} chunks", records.len());
    let mut indices: Vec<u64> = Vec::new();
    for record in &records {
        let state = &record["accumulated_state"];
        let tokens = state["chunk_tokens"].as_u64().unwrap();
        assert!((1..=100).contains(&tokens), "{tokens} tokens");
        let text = state["chunk_text"].as_str().unwrap();
        assert!(document.contains(text));
        assert_eq!(state["file_content"], document.as_str());
        indices.push(state["chunk_index"].as_u64().unwrap());
    }
    indices.sort_unstable();
    assert_eq!(indices, (0..records.len() as u64).collect::<Vec<_>>());

    // An overlap as large as the chunk is refused, naming both settings.
    let out = call(
        &ws,
        "TokenChunker",
        json!({"file_content": "text"}),
        json!({"chunk_size": 10, "chunk_overlap": 10}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("chunk_overlap (10) must be smaller than chunk_size (10)"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_detect_names_the_language_and_checks_the_expected_ones() {
    let ws = Workspace::new();
    let config = json!({"field_name": "text", "expected": ["en", "fra"], "min_confidence": 0.5});
    for (text, language, valid) in [
        (
            "The committee will publish its final report on the new railway next week.",
            json!("en"),
            true,
        ),
        (
            "Le comité publiera la semaine prochaine son rapport final sur la nouvelle ligne.",
            json!("fr"),
            true,
        ),
        (
            "Der Ausschuss wird nächste Woche seinen Abschlussbericht über die neue Bahn veröffentlichen.",
            json!("de"),
            false,
        ),
        (
            "Комитет опубликует свой окончательный доклад о новой железной дороге на следующей неделе.",
            json!("ru"),
            false,
        ),
        ("12345 67 !!!", Value::Null, false),
    ] {
        let got = output(&ws, "LanguageDetect", json!({"text": text}), config.clone()).await;
        assert_eq!(got["language"], language, "{text}");
        assert_eq!(got["valid"], valid, "{text}");
        let confidence = got["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence));
        if valid {
            assert!(confidence >= 0.5);
        }
    }
    let out = call(
        &ws,
        "LanguageDetect",
        json!({"assistant": "hello there"}),
        json!({"expected": ["english"]}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("'english' is not an ISO 639-1"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toxicity_scores_categories_and_applies_the_threshold() {
    let ws = Workspace::new();
    let check = |text: &str, config: Value| {
        let ws = &ws;
        let text = text.to_owned();
        async move { output(ws, "Toxicity", json!({"assistant": text}), config).await }
    };

    let clean = check(
        "Thank you for the clear and helpful explanation of the class schedule.",
        json!({}),
    )
    .await;
    assert_eq!(clean["valid"], true);
    assert_eq!(clean["toxicity"]["score"], 0.0);
    assert_eq!(
        clean["toxicity"]["categories"].as_object().unwrap().len(),
        6
    );

    let threat = check("Listen carefully: I will kill you.", json!({})).await;
    assert_eq!(threat["valid"], false);
    let hits = &threat["toxicity"]["categories"]["threat"]["hits"];
    assert_eq!(hits[0]["term"], "i will kill you", "{threat}");
    assert!((threat["toxicity"]["score"].as_f64().unwrap() - 0.9).abs() < 1e-9);

    // Obfuscated profanity is found; one mild insult stays under the default threshold.
    let masked = check("what the f*ck, you m0r0n", json!({})).await;
    let categories = &masked["toxicity"]["categories"];
    assert_eq!(categories["profanity"]["hits"][0]["term"], "fuck*");
    assert_eq!(categories["insult"]["hits"][0]["text"], "m0r0n");
    assert_eq!(masked["valid"], false);
    let mild = check("That was a dumb idea.", json!({})).await;
    assert_eq!(mild["valid"], true);
    assert!((mild["toxicity"]["score"].as_f64().unwrap() - 0.4).abs() < 1e-9);

    // Categories left out are not checked; extra terms are.
    let only = check(
        "What a frakking idiot.",
        json!({"categories": ["profanity"], "extra_terms": {"profanity": ["frak*"]}, "threshold": 0.5}),
    )
    .await;
    let categories = only["toxicity"]["categories"].as_object().unwrap();
    assert_eq!(categories.keys().collect::<Vec<_>>(), ["profanity"]);
    assert_eq!(categories["profanity"]["hits"][0]["text"], "frakking");
    assert_eq!(only["valid"], false);

    let out = call(
        &ws,
        "Toxicity",
        json!({"assistant": "x"}),
        json!({"categories": ["rude"]}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("unknown category 'rude'"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_executed_again_after_a_crash_is_not_a_duplicate_of_itself() {
    const RUNS: usize = 3;
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    // Only the restart releasing the dead server's leases runs them again.
    ws.set_env("JOB_LEASE_SECS", "3600");
    let (urls, stores, schema) = databases(&ws).await;
    let sqlite = &urls[0];
    let server = ws.serve(sqlite).await;
    let pipeline_id = create_pipeline(
        &server,
        json!({"name": "dedup then call", "blocks": [
            {"type": "MinHashDedup", "config": {"field_name": "text", "threshold": 0.8}},
            {"type": "TextGenerator", "config": {"user_prompt": "{{ text }}"}}]}),
    )
    .await;
    let seeds: Vec<Value> = (0..RUNS)
        .map(|cluster| json!({"repetitions": 1, "metadata": {"text": variant(cluster, 0)}}))
        .collect();
    fake.hold();
    let job_id = generate_job(
        &server,
        pipeline_id,
        "seeds.json",
        json!(seeds).to_string(),
        3,
    )
    .await;
    // Every run has logged its text in the job's MinHash log and waits for its answer: the
    // server dies then, and its restart runs all of them again.
    wait_until("every run past MinHashDedup", || async {
        fake.in_flight() == RUNS
    })
    .await;
    server.kill9().await;
    fake.release();
    let server = ws.serve(sqlite).await;
    let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(
        fake.chat_requests() as usize,
        2 * RUNS,
        "every run ran twice"
    );
    let records = get_json(&server, &format!("/api/records?job_id={job_id}")).await;
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), RUNS);
    for record in records {
        let output = &record["output"];
        assert_eq!(output["is_duplicate"], false, "{output}");
        assert_eq!(output["duplicate_of"], Value::Null, "{output}");
        assert_eq!(output["jaccard"], 0.0, "{output}");
    }
    server.kill9().await;
    cleanup(stores, &schema).await;
}
