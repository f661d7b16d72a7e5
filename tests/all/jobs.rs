//! Stored jobs run by the job runner, on SQLite and PostgreSQL: completion, resume after the
//! worker dies, multiplier splits as runs, cancel and constraints.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockforge::jobs::runner::{RunnerConfig, run_job};
use blockforge::registry::Registry;
use blockforge::settings::Settings;
use blockforge::store::Store;
use blockforge::store::jobs::{JobStatus, NewRun};
use blockforge::store::records::RecordFilter;
use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use blockforge_tests::fixtures;
use serde_json::{Value, json};

use crate::store::{cleanup, stores};

async fn registry(plugins: &std::path::Path, llm: Option<&FakeLlm>) -> Arc<Registry> {
    let mut settings = Settings::from_env().unwrap();
    settings.plugins_dir = plugins.to_owned();
    settings.cache_dir = Some(std::env::temp_dir().join("blockforge-test-components"));
    if let Some(fake) = llm {
        settings.chat.base_url = fake.base_url();
        settings.chat.default_model = Some("fake-model".to_owned());
    }
    settings.start_registry().await.unwrap()
}

fn seed_runs(n: usize, metadata: impl Fn(usize) -> Value) -> Vec<NewRun> {
    (0..n)
        .map(|i| NewRun {
            seed_index: i as i64,
            repetition: 0,
            split_index: -1,
            metadata: metadata(i).to_string().into(),
        })
        .collect()
}

async fn all_records(store: &Store, job_id: i64) -> Vec<blockforge::store::records::RecordRow> {
    let filter = RecordFilter {
        job_id: Some(job_id),
        ..Default::default()
    };
    store.records(&filter, 100_000, 0).await.unwrap().0
}

const MAPPER: &str = r#"{"name": "m", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"out": "{{ n }}!"}}}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_to_completion_with_one_record_per_run() {
    let (dir, stores, schema) = stores().await;
    let registry = registry(dir.path(), None).await;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("m", &serde_json::from_str(MAPPER).unwrap())
            .await
            .unwrap();
        let job = store
            .create_job(
                pipeline.id,
                &seed_runs(300, |i| json!({"n": i})),
                &json!({"concurrency": 8}),
            )
            .await
            .unwrap();
        let status = run_job(&store, &registry, job.id, &RunnerConfig::new("w"))
            .await
            .unwrap();
        assert_eq!(status, JobStatus::Completed);
        let job = store.job(job.id).await.unwrap();
        assert_eq!(
            (job.completed_runs, job.failed_runs, job.total_runs),
            (300, 0, 300)
        );
        let records = all_records(&store, job.id).await;
        assert_eq!(records.len(), 300);
        assert!(records.iter().any(|r| r.output["out"] == "299!"));
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_died_resumes_without_redoing_or_duplicating_runs() {
    let fake = FakeLlm::start(FakeLlmConfig {
        latency: Duration::from_millis(20),
        ..Default::default()
    })
    .await;
    let (dir, stores, schema) = stores().await;
    let registry = registry(dir.path(), Some(&fake)).await;
    let pipeline_text = r#"{"name": "t", "blocks": [{"type": "TextGenerator", "config": {"user_prompt": "n {{ n }}"}}]}"#;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("t", &serde_json::from_str(pipeline_text).unwrap())
            .await
            .unwrap();
        let job = store
            .create_job(
                pipeline.id,
                &seed_runs(200, |i| json!({"n": i})),
                &json!({"concurrency": 8}),
            )
            .await
            .unwrap();
        // The first worker dies (its task is dropped) once some records are written.
        let first = RunnerConfig {
            lease: Duration::from_millis(500),
            ..RunnerConfig::new("dies")
        };
        let worker = {
            let (store, registry) = (store.clone(), registry.clone());
            tokio::spawn(async move { run_job(&store, &registry, job.id, &first).await })
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while store.job(job.id).await.unwrap().completed_runs < 40 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        worker.abort();
        let _ = worker.await;
        let before = store.job(job.id).await.unwrap().completed_runs;
        assert!((40..200).contains(&before), "died mid-job ({before} done)");
        let calls_before = fake.chat_requests();

        let status = run_job(&store, &registry, job.id, &RunnerConfig::new("resumes"))
            .await
            .unwrap();
        assert_eq!(status, JobStatus::Completed);
        let records = all_records(&store, job.id).await;
        assert_eq!(records.len(), 200, "exactly one record per run");
        let runs: HashSet<i64> = records.iter().map(|r| r.run_id).collect();
        assert_eq!(runs.len(), 200, "none duplicated");
        let job = store.job(job.id).await.unwrap();
        assert_eq!(job.completed_runs, 200, "counters agree with the records");
        let redone = (fake.chat_requests() - calls_before) as i64;
        assert!(
            redone <= 200 - before + 8,
            "finished runs are not redone ({redone} calls for {} runs)",
            200 - before
        );
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multiplier_seed_becomes_stored_split_runs() {
    let (dir, stores, schema) = stores().await;
    std::fs::copy(fixtures::SPLITTER, dir.path().join("splitter.wasm")).unwrap();
    let registry = registry(dir.path(), None).await;
    let pipeline_text = r#"{"name": "s", "blocks": [{"type": "LineSplitter"}, {"type": "FieldMapper", "config": {"mappings": {"tag": "{{ source }}:{{ line }}"}}}]}"#;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("s", &serde_json::from_str(pipeline_text).unwrap())
            .await
            .unwrap();
        let runs = seed_runs(4, |i| json!({"text": "a\nb\nc", "source": i}));
        let job = store
            .create_job(pipeline.id, &runs, &json!({"concurrency": 3}))
            .await
            .unwrap();
        assert_eq!(
            run_job(&store, &registry, job.id, &RunnerConfig::new("w"))
                .await
                .unwrap(),
            JobStatus::Completed
        );
        let job = store.job(job.id).await.unwrap();
        assert_eq!((job.total_runs, job.completed_runs), (12, 12));
        let tags: HashSet<String> = all_records(&store, job.id)
            .await
            .iter()
            .map(|r| r.output["tag"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(tags.len(), 12);
        assert!(tags.contains("3:c"));
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_aborts_calls_in_flight_and_a_constraint_stops_the_job() {
    let slow = FakeLlm::start(FakeLlmConfig {
        latency: Duration::from_secs(20),
        ..Default::default()
    })
    .await;
    let (dir, stores, schema) = stores().await;
    let registry = registry(dir.path(), Some(&slow)).await;
    let pipeline_text = r#"{"name": "t", "blocks": [{"type": "TextGenerator", "config": {"user_prompt": "one two three"}}], "constraints": {"max_total_tokens": 20}}"#;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("t", &serde_json::from_str(pipeline_text).unwrap())
            .await
            .unwrap();
        let job = store
            .create_job(
                pipeline.id,
                &seed_runs(50, |_| json!({})),
                &json!({"concurrency": 4}),
            )
            .await
            .unwrap();
        let worker = {
            let (store, registry) = (store.clone(), registry.clone());
            tokio::spawn(async move {
                run_job(&store, &registry, job.id, &RunnerConfig::new("w")).await
            })
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        assert!(
            store
                .finish_job(job.id, JobStatus::Cancelled, None)
                .await
                .unwrap()
        );
        let status = worker.await.unwrap().unwrap();
        assert_eq!(status, JobStatus::Cancelled);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "calls in flight were aborted"
        );
        assert!(all_records(&store, job.id).await.is_empty());
    }
    let fast = FakeLlm::start(FakeLlmConfig::default()).await;
    let registry = registry_for(&dir, &fast).await;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("t", &serde_json::from_str(pipeline_text).unwrap())
            .await
            .unwrap();
        let job = store
            .create_job(
                pipeline.id,
                &seed_runs(50, |_| json!({})),
                &json!({"concurrency": 1}),
            )
            .await
            .unwrap();
        assert_eq!(
            run_job(&store, &registry, job.id, &RunnerConfig::new("w"))
                .await
                .unwrap(),
            JobStatus::Stopped
        );
        let job = store.job(job.id).await.unwrap();
        assert_eq!(
            job.error.as_deref(),
            Some("Constraint exceeded: max_total_tokens")
        );
        assert!(
            job.completed_runs >= 3 && job.completed_runs < 50,
            "{} runs",
            job.completed_runs
        );
    }
    cleanup(stores, &schema).await;
}

async fn registry_for(dir: &tempfile::TempDir, fake: &FakeLlm) -> Arc<Registry> {
    registry(dir.path(), Some(fake)).await
}
