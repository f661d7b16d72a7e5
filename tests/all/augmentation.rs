//! DataGenFlow's data augmentation chain (StructureSampler → SemanticInfiller →
//! DuplicateRemover): its template YAML and seed file, in DataGenFlow's format
//! (`examples/datagenflow/`), run unchanged through `blockforge run` and through
//! `POST /api/pipelines` + `POST /api/generate`, against the fake LLM.
//!
//! The fake answers every structured request with the same instance of the schema
//! (`summary: "example"`, `response_hours: 1.5`) and embeds a text by its hash, so every
//! generated record after the first is an exact copy: the diversity retries and the duplicate
//! flags are fully determined, and counted here.

use std::collections::HashSet;

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig, cosine, vector_of};
use blockforge_tests::harness::{Server, Workspace, checkout};
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, get_json, job_records};
use crate::store::cleanup;

/// Records each run makes (`target_count` of the seed file).
const PER_RUN: usize = 10;
/// SemanticInfiller's default retries when an answer is too similar.
const RETRIES: usize = 2;

fn example(name: &str) -> String {
    let path = checkout().join("examples/datagenflow").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn seed_file() -> Value {
    serde_json::from_str(&example("seed_data_augmentation.json")).unwrap()
}

/// The DataGenFlow YAML as the JSON body of `POST /api/pipelines`.
fn pipeline_body() -> Value {
    let pipeline = blockforge::engine::Pipeline::parse(
        &example("data_augmentation.yaml"),
        "data_augmentation.yaml",
    )
    .unwrap();
    json!({"name": pipeline.name, "blocks": pipeline.blocks})
}

/// The similarity DuplicateRemover must report for the fake's answer against the seed file's
/// sample summaries (rounded as the block rounds).
fn expected_similarity_to_seeds() -> f64 {
    let answer = vector_of("example");
    let best = seed_file()[0]["metadata"]["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| cosine(&answer, &vector_of(s["summary"].as_str().unwrap())))
        .fold(0.0f64, f64::max);
    (best * 10_000.0).round() / 10_000.0
}

/// Checks one record's final state: the chain's fields, skeletons drawn from combinations the
/// samples have, and the fake's answers in every generated record. Returns the generated
/// records.
fn check_record(record_state: &Value) -> Vec<Value> {
    let samples = &seed_file()[0]["metadata"]["samples"];
    assert_eq!(&record_state["_seed_samples"], samples);
    let seen: HashSet<(String, String)> = samples
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["tier"].to_string(), s["channel"].to_string()))
        .collect();
    let skeletons = record_state["skeletons"].as_array().unwrap();
    assert_eq!(skeletons.len(), PER_RUN);
    let generated = record_state["generated_samples"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(generated.len(), PER_RUN);
    for (skeleton, record) in skeletons.iter().zip(&generated) {
        let pair = (record["tier"].to_string(), record["channel"].to_string());
        assert!(
            seen.contains(&pair),
            "channel given tier never seen: {record}"
        );
        assert_eq!(record["tier"], skeleton["tier"]);
        assert_eq!(record["channel"], skeleton["channel"]);
        assert_eq!(skeleton["_hints"]["response_hours_range"], json!([1, 48]));
        assert_eq!(record["summary"], "example");
        assert_eq!(record["response_hours"], 1.5);
        assert_eq!(
            record["similarity_to_seeds"],
            expected_similarity_to_seeds()
        );
        assert!(record.get("_hints").is_none());
        let keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "tier",
                "channel",
                "summary",
                "response_hours",
                "similarity_to_seeds",
                "similarity_to_generated",
                "is_duplicate"
            ]
        );
    }
    generated
}

/// Generated records that are not copies of an earlier record of the job.
fn firsts(generated: &[Value]) -> usize {
    generated
        .iter()
        .filter(|r| r["similarity_to_generated"].as_f64().unwrap() < 0.85)
        .count()
}

/// Prompts the fake saw that asked for something different from an earlier record.
fn retry_prompts(fake: &FakeLlm) -> usize {
    fake.request_bodies()
        .iter()
        .filter(|body| body["messages"].to_string().contains("too similar"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_datagenflow_template_and_seed_run_unchanged_through_blockforge_run() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("EMBEDDING_MODEL", "fake-embedding");
    let out = ws.path().join("records.jsonl");
    let folder = checkout().join("examples/datagenflow");
    let output = ws
        .run(&[
            "run",
            "--pipeline",
            &folder.join("data_augmentation.yaml").display().to_string(),
            "--seeds",
            &folder
                .join("seed_data_augmentation.json")
                .display()
                .to_string(),
            "--out",
            &out.display().to_string(),
        ])
        .await;
    let records: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        records.len(),
        1,
        "one seed, one repetition: {}",
        output.stderr
    );
    let record = &records[0];
    assert_eq!(record["status"], "completed", "{record}");
    output.assert_success();
    let steps: Vec<&str> = record["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["block_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["StructureSampler", "SemanticInfiller", "DuplicateRemover"]
    );
    let generated = check_record(&record["accumulated_state"]);

    // The first record is new; every later one is a copy, asked again RETRIES times and still
    // flagged by DuplicateRemover as similar to the records before it.
    assert_eq!(firsts(&generated), 1);
    assert_eq!(generated[0]["similarity_to_generated"], 0.0);
    for later in &generated[1..] {
        assert_eq!(later["similarity_to_generated"], 1.0);
        assert_eq!(later["is_duplicate"], true);
    }
    let first_is_duplicate = expected_similarity_to_seeds() >= 0.85;
    assert_eq!(generated[0]["is_duplicate"], first_is_duplicate);
    assert_eq!(
        fake.chat_requests() as usize,
        1 + (PER_RUN - 1) * (1 + RETRIES)
    );
    assert_eq!(retry_prompts(&fake), (PER_RUN - 1) * RETRIES);
    let retry = fake
        .request_bodies()
        .into_iter()
        .find(|body| body["messages"].to_string().contains("too similar"))
        .unwrap();
    assert!(
        retry["messages"]
            .to_string()
            .contains(r#"- {\"summary\":\"example\",\"response_hours\":1.5}"#),
        "a retry shows the record it came too close to: {retry}"
    );
    assert_eq!(
        retry["response_format"]["json_schema"]["schema"]["properties"]["response_hours"]["type"],
        "number"
    );
}

/// The categorical values of each record's skeletons, in order.
fn skeleton_values(states: &[Value]) -> Vec<Vec<(String, String)>> {
    let mut all: Vec<Vec<(String, String)>> = states
        .iter()
        .map(|state| {
            state["skeletons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["tier"].to_string(), s["channel"].to_string()))
                .collect()
        })
        .collect();
    all.sort();
    all
}

/// Uploads the seed file `file` for `pipeline_id` and returns the final states of the job's
/// records.
async fn run_job(server: &Server, pipeline_id: i64, file: String, concurrency: u32) -> Vec<Value> {
    job_records(
        server,
        pipeline_id,
        "seed_data_augmentation.json",
        file,
        concurrency,
    )
    .await
    .iter()
    .map(|r| r["output"].clone())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_datagenflow_files_run_through_the_api_and_concurrent_runs_share_the_job_checks() {
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("EMBEDDING_MODEL", "fake-embedding");
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;

        // The gallery's template is the same chain and seed as DataGenFlow's files.
        let templates = get_json(&server, "/api/templates").await;
        let template = templates
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == "data_augmentation")
            .unwrap()
            .clone();
        assert_eq!(template["blocks"], pipeline_body()["blocks"]);
        assert_eq!(template["example_seed"], seed_file());

        let pipeline_id = create_pipeline(&server, pipeline_body()).await;
        let states = run_job(
            &server,
            pipeline_id,
            example("seed_data_augmentation.json"),
            2,
        )
        .await;
        assert_eq!(states.len(), 1);
        let generated = check_record(&states[0]);
        assert_eq!(firsts(&generated), 1);

        // Three concurrent runs of one seed: the job-wide checks see each other's records, so
        // of the 30 identical records exactly one is not a copy of an earlier one, whichever
        // run made it; and each run sampled its own skeletons from the seed.
        let mut three = seed_file();
        three[0]["repetitions"] = json!(3);
        let states = run_job(&server, pipeline_id, three.to_string(), 3).await;
        assert_eq!(states.len(), 3);
        let generated: Vec<Value> = states.iter().flat_map(check_record).collect();
        assert_eq!(firsts(&generated), 1, "one new record in the whole job");
        let skeletons = skeleton_values(&states);
        assert_ne!(skeletons[0], skeletons[1]);
        assert_ne!(skeletons[1], skeletons[2]);

        // `seed: 42` makes the job reproducible: the same runs again sample the same skeletons.
        let again = run_job(&server, pipeline_id, three.to_string(), 3).await;
        assert_eq!(skeleton_values(&again), skeletons);

        let blocks = get_json(&server, "/api/blocks").await;
        let blocks = blocks.as_array().unwrap();
        for (block, outputs) in [
            ("StructureSampler", json!(["skeletons", "_seed_samples"])),
            ("SemanticInfiller", json!(["samples"])),
            ("DuplicateRemover", json!(["generated_samples"])),
        ] {
            let info = blocks.iter().find(|b| b["type"] == block).unwrap();
            assert_eq!(info["outputs"], outputs, "{block}");
        }
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

/// A seed in the shape of DataGenFlow's product-catalog example: no `dependencies`,
/// `numeric_fields` nor `comparison_fields`.
fn catalog_seed() -> Value {
    json!({"repetitions": 1, "metadata": {
        "samples": [
            {"category": "audio", "price": 120, "description": "Over-ear headphones that fold flat"},
            {"category": "audio", "price": 60, "description": "Pocket speaker with a rubber shell"},
            {"category": "desk", "price": 240, "description": "Monitor arm for two screens"}
        ],
        "target_count": 4,
        "categorical_fields": ["category"],
        "fields_to_generate": ["description"]
    }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_settings_may_be_left_out_and_bad_seeds_fail_their_run_saying_why() {
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let mut cycle = seed_file()[0].clone();
    cycle["metadata"]["categorical_fields"] = json!(["channel"]);
    let no_samples = json!({"repetitions": 1, "metadata": {"target_count": 2, "categorical_fields": ["tier"], "fields_to_generate": ["summary"]}});
    let seeds = json!([catalog_seed(), cycle, no_samples]);
    let pipeline = example("data_augmentation.yaml");

    // Without an embedding model, SemanticInfiller goes on without its diversity check and
    // DuplicateRemover fails the run rather than call records unique unchecked.
    let (_, records) = ws
        .run_pipeline(&pipeline, &json!([catalog_seed()]), &[])
        .await;
    assert_eq!(records[0]["status"], "failed");
    let error = records[0]["error"].as_str().unwrap();
    assert!(
        error.contains("DuplicateRemover (step 2)") && error.contains("needs embeddings"),
        "{error}"
    );
    let infiller = &records[0]["trace"][1];
    assert_eq!(infiller["output"]["samples"].as_array().unwrap().len(), 4);
    assert!(
        infiller["logs"]
            .to_string()
            .contains("checks no more records for diversity"),
        "{infiller}"
    );

    ws.set_env("EMBEDDING_MODEL", "fake-embedding");
    let (_, mut records) = ws.run_pipeline(&pipeline, &seeds, &[]).await;
    records.sort_by_key(|r| r["seed_index"].as_u64());
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["status"], "completed", "{}", records[0]);
    let generated = records[0]["accumulated_state"]["generated_samples"]
        .as_array()
        .unwrap();
    assert_eq!(generated.len(), 4);
    for record in generated {
        assert!(["audio", "desk"].contains(&record["category"].as_str().unwrap()));
        assert_eq!(record["description"], "example");
        assert!(
            record.get("price").is_none(),
            "only the fields asked for: {record}"
        );
    }
    let skeleton = &records[0]["accumulated_state"]["skeletons"][0]["_hints"];
    assert_eq!(
        skeleton.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["exemplars"]
    );

    for (record, message) in [
        (
            &records[1],
            "'channel' depends on 'tier', which is not one of categorical_fields",
        ),
        (&records[2], "no samples"),
    ] {
        assert_eq!(record["status"], "failed");
        let error = record["error"].as_str().unwrap();
        assert!(
            error.contains("StructureSampler (step 0)") && error.contains(message),
            "{error}"
        );
    }

    // A template that is not a bare variable is rendered by the host's Jinja and parsed; a
    // negative seed is a seed like any other (DataGenFlow takes any integer).
    let rendered = pipeline
        .replace("seed: 42", "seed: -7")
        .replace(
            "\"{{ categorical_fields }}\"",
            "'{{ categorical_fields | tojson }}'",
        )
        .replace("\"{{ target_count }}\"", "'{{ target_count + 1 }}'");
    assert_ne!(rendered, pipeline);
    let (_, records) = ws
        .run_pipeline(&rendered, &json!([catalog_seed()]), &[])
        .await;
    assert_eq!(records[0]["status"], "completed", "{}", records[0]);
    assert_eq!(
        records[0]["accumulated_state"]["generated_samples"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_postgresql_share_the_duplicate_check_of_a_job() {
    const RUNS: usize = 12;
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: std::time::Duration::from_millis(5),
        ..Default::default()
    })
    .await;
    ws.set_env("EMBEDDING_MODEL", "fake-embedding")
        .set_env("RUN_JOBS", "false");
    let (urls, stores, schema) = databases(&ws).await;
    let postgres = &urls[1];
    let server = ws.serve(postgres).await;
    let pipeline_id = create_pipeline(&server, pipeline_body()).await;
    let first = ws.worker(postgres).await;
    let second = ws.worker(postgres).await;
    let mut seeds = seed_file();
    seeds[0]["repetitions"] = json!(RUNS);
    let states = run_job(&server, pipeline_id, seeds.to_string(), 8).await;
    assert_eq!(states.len(), RUNS);
    let generated: Vec<Value> = states.iter().flat_map(check_record).collect();
    assert_eq!(generated.len(), RUNS * PER_RUN);
    assert_eq!(
        firsts(&generated),
        1,
        "one new record in the whole job, whichever worker"
    );
    first.kill9().await;
    second.kill9().await;
    server.kill9().await;
    cleanup(stores, &schema).await;
}
