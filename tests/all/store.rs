//! Storage, on a real SQLite file and on the real PostgreSQL (127.0.0.1:5432, database `test`,
//! a schema per test): the same behaviour on both.

use std::collections::HashSet;
use std::time::Duration;

use blockforge::engine::call_stats::CallStats;
use blockforge::engine::quality::QualityCounts;
use blockforge::engine::record::{RunRecord, RunStatus, Trace};
use blockforge::engine::{ModelUsage, Usage};
use blockforge::kv::{KvNamespace, KvQuota, KvStore};
use blockforge::store::jobs::{JobStatus, NewRun};
use blockforge::store::records::{DeletionOutcome, RecordDeletion, RecordFilter};
use blockforge::store::runs::{ClaimedRun, FinishedRun, Split};
use blockforge::store::{Backend, Store};
use serde_json::json;

/// The PostgreSQL every test machine runs.
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The SQLite file of [`stores`] in `dir`.
fn sqlite_file(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("db/blockforge.db")
}

/// The PostgreSQL URL of [`stores`] for `schema`.
fn postgres_url(schema: &str) -> String {
    format!("{POSTGRES}?options=-c%20search_path%3D{schema}")
}

/// A store on each backend (the PostgreSQL one in a fresh schema), and the schema's name.
pub async fn stores() -> (tempfile::TempDir, Vec<Store>, String) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::connect(&sqlite_file(dir.path()).display().to_string())
        .await
        .unwrap();
    assert_eq!(sqlite.backend(), Backend::Sqlite);
    assert!(sqlite_file(dir.path()).exists(), "a real file");
    let schema = format!("bf_{}", uuid::Uuid::new_v4().simple());
    admin(&format!("CREATE SCHEMA {schema}")).await;
    let postgres = Store::connect(&postgres_url(&schema)).await.unwrap();
    assert_eq!(postgres.backend(), Backend::Postgres);
    (dir, vec![sqlite, postgres], schema)
}

/// Runs one statement on the PostgreSQL test database.
async fn admin(statement: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(POSTGRES)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// Drops the test's schema once its stores are closed.
pub async fn cleanup(stores: Vec<Store>, schema: &str) {
    for store in stores {
        store.close().await;
    }
    admin(&format!("DROP SCHEMA {schema} CASCADE")).await;
}

fn runs(n: usize) -> Vec<NewRun> {
    (0..n)
        .map(|i| NewRun {
            seed_index: i as i64,
            repetition: 0,
            split_index: -1,
            metadata: json!({"n": i}).to_string().into(),
        })
        .collect()
}

fn by_model(model: &str, usage: Usage) -> ModelUsage {
    let mut by_model = ModelUsage::default();
    by_model.add_call(model, &usage);
    by_model
}

/// A finished run of `run` with a record of `status` and `tokens` input tokens, no trace.
pub(crate) fn finished(
    run: &ClaimedRun,
    pipeline_id: i64,
    status: RunStatus,
    tokens: u64,
) -> FinishedRun {
    FinishedRun {
        run_id: run.id,
        job_id: run.job_id,
        pipeline_id,
        record: RunRecord {
            trace_id: format!("trace-{}", run.id),
            seed_index: run.seed_index as usize,
            repetition: run.repetition as u32,
            split_index: None,
            status,
            metadata: run.metadata.clone(),
            accumulated_state: run.metadata.clone(),
            pipeline_output: json!("out"),
            trace: Trace::default(),
            usage: Usage::tokens(tokens, 1, 0),
            usage_by_model: by_model("m", Usage::tokens(tokens, 1, 0)),
            error: (status == RunStatus::Failed).then(|| "boom".to_owned()),
            execution_time: 0.1,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelines_are_saved_updated_and_deleted_with_everything_under_them() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let definition = json!({"name": "p", "blocks": [{"type": "FieldMapper", "config": {}}]});
        let saved = store.create_pipeline("p", &definition).await.unwrap();
        assert_eq!(
            store.pipeline(saved.id).await.unwrap().definition,
            definition
        );
        let updated = store
            .update_pipeline(saved.id, "q", &json!({"blocks": []}))
            .await
            .unwrap();
        assert_eq!(updated.name, "q");
        store
            .set_validation_config(saved.id, &json!({"field_order": {"primary": ["a"]}}))
            .await
            .unwrap();
        assert_eq!(
            store.pipeline(saved.id).await.unwrap().validation_config,
            json!({"field_order": {"primary": ["a"]}})
        );
        assert_eq!(store.pipelines().await.unwrap().len(), 1);

        let job = job_with_records(&store, saved.id, 3).await;
        store.delete_pipeline(saved.id).await.unwrap();
        assert!(matches!(
            store.pipeline(saved.id).await,
            Err(blockforge::store::StoreError::NotFound {
                what: "pipeline",
                ..
            })
        ));
        assert!(
            store.job(job.id).await.is_err(),
            "jobs go with their pipeline"
        );
        let (records, total) = store
            .records(&RecordFilter::default(), 10, 0)
            .await
            .unwrap();
        assert!(
            records.is_empty() && total == 0,
            "records go with their pipeline"
        );
        assert!(
            store
                .delete_pipeline(saved.id)
                .await
                .unwrap_err()
                .to_string()
                .contains("not found")
        );
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_never_hand_the_same_run_to_two_workers() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("p", &json!({"blocks": []}))
            .await
            .unwrap();
        let job = store
            .create_job(pipeline.id, &runs(450), &json!({}))
            .await
            .unwrap();
        assert_eq!(job.total_runs, 450);
        let mut workers = Vec::new();
        for worker in 0..4 {
            let store = store.clone();
            workers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let claimed = store
                        .claim_runs(&format!("w{worker}"), 25, Duration::from_secs(60), None)
                        .await
                        .unwrap();
                    if claimed.is_empty() {
                        return mine;
                    }
                    mine.extend(claimed.into_iter().map(|r| r.id));
                }
            }));
        }
        let mut all = Vec::new();
        for worker in workers {
            all.extend(worker.await.unwrap());
        }
        let distinct: HashSet<i64> = all.iter().copied().collect();
        assert_eq!(all.len(), 450, "every run claimed once");
        assert_eq!(distinct.len(), 450);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finishing_a_run_twice_writes_one_record_and_counts_it_once() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let (pipeline, job, claimed) = claimed_runs(&store, 3, "w").await;
        let batch = vec![
            finished(&claimed[0], pipeline.id, RunStatus::Completed, 10),
            finished(&claimed[1], pipeline.id, RunStatus::Failed, 3),
        ];
        assert_eq!(store.finish_runs(&batch).await.unwrap(), 2);
        assert_eq!(
            store.finish_runs(&batch).await.unwrap(),
            0,
            "the second write is a no-op"
        );
        let job = store.job(job.id).await.unwrap();
        assert_eq!((job.completed_runs, job.failed_runs), (1, 1));
        assert_eq!(job.usage, Usage::tokens(13, 2, 0));
        assert_eq!(
            job.usage_by_model,
            by_model("m", Usage::tokens(13, 2, 0)),
            "per model, summed in the same transaction, once"
        );
        let (records, total) = store
            .records(
                &RecordFilter {
                    job_id: Some(job.id),
                    ..Default::default()
                },
                10,
                0,
            )
            .await
            .unwrap();
        assert_eq!(total, 2);
        assert_eq!(records[1].run_status, "failed");
        assert_eq!(records[1].error.as_deref(), Some("boom"));
        assert_eq!(records[0].status, "pending");
        assert_eq!(records[0].output, json!({"n": 0}));
        assert_eq!(store.unfinished_runs(job.id).await.unwrap(), 1);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_lets_another_worker_take_the_run() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("p", &json!({"blocks": []}))
            .await
            .unwrap();
        store
            .create_job(pipeline.id, &runs(1), &json!({}))
            .await
            .unwrap();
        let first = store
            .claim_runs("dead", 1, Duration::from_millis(1), None)
            .await
            .unwrap();
        assert_eq!(first.len(), 1);
        let held = store
            .claim_runs("other", 1, Duration::from_secs(60), None)
            .await
            .unwrap();
        let held = if held.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
            store
                .claim_runs("other", 1, Duration::from_secs(60), None)
                .await
                .unwrap()
        } else {
            held
        };
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].id, first[0].id);
        assert_eq!(held[0].attempts, 2);
        assert_eq!(held[0].lost_leases, 1, "taken over from a dead worker");
        assert!(
            store
                .claim_runs("third", 1, Duration::from_secs(60), None)
                .await
                .unwrap()
                .is_empty(),
            "a live lease is respected"
        );
        assert_eq!(
            store
                .renew_leases("dead", &[held[0].id], Duration::from_secs(60))
                .await
                .unwrap(),
            Vec::<i64>::new()
        );
        assert_eq!(
            store
                .renew_leases("other", &[held[0].id], Duration::from_secs(60))
                .await
                .unwrap(),
            vec![held[0].id]
        );
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_jobs_and_pipelines_deletes_what_they_stored_in_kv() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let kv = store.kv(KvQuota::default());
        let pipeline = store
            .create_pipeline("p", &json!({"blocks": []}))
            .await
            .unwrap();
        let pipeline_ns = KvNamespace::Pipeline(pipeline.id.to_string());
        let finished_job = job_with_records(&store, pipeline.id, 1).await;
        store
            .finish_job(finished_job.id, JobStatus::Completed, None)
            .await
            .unwrap();
        let finished_ns = KvNamespace::Job(finished_job.id.to_string());
        for ns in [&finished_ns, &pipeline_ns] {
            kv.set(ns, "seen", "1").await.unwrap();
        }

        // Deleting a job's records deletes the job and its kv namespace, not the pipeline's.
        let outcome = store
            .delete_records(RecordDeletion::Job(finished_job.id))
            .await
            .unwrap();
        assert!(
            matches!(outcome, DeletionOutcome::Deleted { jobs: 1, .. }),
            "{:?}: {outcome:?}",
            store.backend()
        );
        assert!(kv.keys(&finished_ns, "", 10).await.unwrap().is_empty());
        assert_eq!(kv.usage(&finished_ns).await.unwrap().keys, 0);
        assert_eq!(kv.keys(&pipeline_ns, "", 10).await.unwrap().len(), 1);

        // Deleting the pipeline deletes its namespace and its jobs'.
        let other_job = store
            .create_job(pipeline.id, &runs(1), &json!({}))
            .await
            .unwrap();
        let other_ns = KvNamespace::Job(other_job.id.to_string());
        kv.set(&other_ns, "seen", "1").await.unwrap();
        store.delete_pipeline(pipeline.id).await.unwrap();
        for ns in [&pipeline_ns, &other_ns] {
            assert!(kv.keys(ns, "", 10).await.unwrap().is_empty(), "{ns:?}");
            assert_eq!(kv.usage(ns).await.unwrap().bytes, 0, "{ns:?}");
        }
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_keys_are_listed_by_prefix_in_byte_order_on_both_backends() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let kv = store.kv(KvQuota::default());
        let ns = KvNamespace::Job(format!("listing-{:?}", store.backend()));
        // Neighbours of the prefixes in byte order ("b/1/" < "b/10" < "b/1:" < "b/2"), letters
        // a locale would sort apart (upper/lower case, accents) and the highest characters.
        let keys = [
            "b/1/x",
            "b/1/Y",
            "b/1/é",
            "b/1/\u{10FFFF}",
            "b/1",
            "b/10",
            "b/1:",
            "b/2/x",
            "B/1/x",
            "é/1",
            "é/2",
            "\u{10FFFF}",
            "\u{10FFFF}a",
        ];
        for key in keys {
            kv.set(&ns, key, "1").await.unwrap();
        }
        let listed = |prefix: &'static str, limit: usize| {
            let kv = kv.clone();
            let ns = ns.clone();
            async move { kv.keys(&ns, prefix, limit).await.unwrap() }
        };
        let backend = store.backend();
        assert_eq!(
            listed("b/1/", 10).await,
            vec!["b/1/Y", "b/1/x", "b/1/é", "b/1/\u{10FFFF}"],
            "{backend:?}"
        );
        assert_eq!(
            listed("b/1/", 2).await,
            vec!["b/1/Y", "b/1/x"],
            "{backend:?}"
        );
        assert_eq!(listed("b/1", 10).await.len(), 7, "{backend:?}");
        assert_eq!(listed("é/", 10).await, vec!["é/1", "é/2"], "{backend:?}");
        assert_eq!(
            listed("\u{10FFFF}", 10).await,
            vec!["\u{10FFFF}", "\u{10FFFF}a"],
            "{backend:?}"
        );
        assert_eq!(listed("", 100).await.len(), keys.len(), "{backend:?}");
        assert!(listed("c", 10).await.is_empty(), "{backend:?}");
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_page_with_totals_and_filters_and_finished_jobs_keep_their_status() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("p", &json!({"blocks": []}))
            .await
            .unwrap();
        let job = job_with_records(&store, pipeline.id, 250).await;
        let filter = RecordFilter {
            job_id: Some(job.id),
            ..Default::default()
        };
        let any = RecordFilter {
            status: Some(String::new()),
            job_id: Some(-1),
            ..Default::default()
        };
        let (_, everything) = store.records(&any, 1, 0).await.unwrap();
        assert_eq!(
            everything, 250,
            "an empty status and a negative id filter nothing"
        );
        let (page, total) = store.records(&filter, 100, 200).await.unwrap();
        assert_eq!(
            (page.len(), total),
            (50, 250),
            "no cap on the total; real offsets"
        );
        assert_eq!(page[0].metadata, json!({"n": 200}));
        let accepted = RecordFilter {
            status: Some("accepted".to_owned()),
            ..filter
        };
        assert_eq!(store.records(&accepted, 100, 0).await.unwrap().1, 0);

        assert!(
            store
                .finish_job(job.id, JobStatus::Completed, None)
                .await
                .unwrap()
        );
        assert!(
            !store
                .finish_job(job.id, JobStatus::Cancelled, None)
                .await
                .unwrap(),
            "a finished job is not cancelled"
        );
        assert_eq!(
            store.job(job.id).await.unwrap().status,
            JobStatus::Completed
        );
        assert!(store.running_jobs().await.unwrap().is_empty());
        assert!(
            store
                .claim_runs("w", 10, Duration::from_secs(60), None)
                .await
                .unwrap()
                .is_empty()
        );
    }
    cleanup(stores, &schema).await;
}

/// A job of `n` runs of `pipeline_id`, each claimed and finished with a completed record (the
/// job itself is still running).
async fn job_with_records(
    store: &Store,
    pipeline_id: i64,
    n: usize,
) -> blockforge::store::jobs::JobRow {
    let job = store
        .create_job(pipeline_id, &runs(n), &json!({}))
        .await
        .unwrap();
    let claimed = store
        .claim_runs("w", n, Duration::from_secs(60), Some(job.id))
        .await
        .unwrap();
    let batch: Vec<FinishedRun> = claimed
        .iter()
        .map(|run| finished(run, pipeline_id, RunStatus::Completed, 1))
        .collect();
    assert_eq!(store.finish_runs(&batch).await.unwrap(), n as u64);
    job
}

/// A pipeline and a job of `n` runs, all claimed by worker `owner`.
async fn claimed_runs(
    store: &Store,
    n: usize,
    owner: &str,
) -> (
    blockforge::store::pipelines::PipelineRow,
    blockforge::store::jobs::JobRow,
    Vec<ClaimedRun>,
) {
    let pipeline = store
        .create_pipeline("p", &json!({"blocks": []}))
        .await
        .unwrap();
    let job = store
        .create_job(pipeline.id, &runs(n), &json!({}))
        .await
        .unwrap();
    let claimed = store
        .claim_runs(owner, n, Duration::from_secs(60), Some(job.id))
        .await
        .unwrap();
    (pipeline, job, claimed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_no_longer_leased_cannot_be_finished_and_released_leases_are_free_again() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let (pipeline, job, claimed) = claimed_runs(&store, 2, "a").await;
        // The first run was expanded by a multiplier (one split); a late finish of it is refused.
        let child = json!({"n": 0, "line": "x"}).as_object().cloned().unwrap();
        let part = json!({"line": "x"}).as_object().cloned().unwrap();
        let multiplier_usage = Usage::tokens(7, 3, 0);
        let multiplier_calls = CallStats {
            requests: 2,
            attempts: 3,
            retries: 1,
            failed: 0,
            wait_ms: 40,
        };
        let expanded = store
            .expand_run(
                &claimed[0],
                Split {
                    children: [(child, part)].into_iter(),
                    first_step: 1,
                    inherited_trace: "[]",
                    usage: &multiplier_usage,
                    usage_by_model: &by_model("splitter-model", multiplier_usage),
                    calls: &multiplier_calls,
                    quality: &QualityCounts::default(),
                },
                1_000_000,
            )
            .await
            .unwrap();
        assert_eq!(expanded, blockforge::store::runs::Expanded::Planned);
        let late = finished(&claimed[0], pipeline.id, RunStatus::Failed, 1);
        assert_eq!(store.finish_runs(&[late]).await.unwrap(), 0);
        let job_now = store.job(job.id).await.unwrap();
        assert_eq!(
            (
                job_now.completed_runs,
                job_now.failed_runs,
                job_now.total_runs
            ),
            (0, 0, 2)
        );
        assert_eq!(
            job_now.usage, multiplier_usage,
            "the multiplier's usage counts once, at expansion"
        );
        assert_eq!(
            job_now.usage_by_model,
            by_model("splitter-model", multiplier_usage)
        );
        assert_eq!(
            job_now.llm_calls, multiplier_calls,
            "the multiplier's model requests count at expansion too"
        );
        // A worker stopping cleanly hands its runs back at once, without using an attempt.
        assert_eq!(store.release_leases("a").await.unwrap(), 1);
        let again = store
            .claim_runs("b", 10, Duration::from_secs(60), Some(job.id))
            .await
            .unwrap();
        assert_eq!(again.len(), 2, "the handed-back run and the split run");
        let handed_back = again.iter().find(|r| r.id == claimed[1].id).unwrap();
        assert_eq!(handed_back.attempts, 1);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_every_record_waits_for_the_runs_a_cancelled_job_still_holds() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let (pipeline, job, claimed) = claimed_runs(&store, 3, "w").await;
        let first = finished(&claimed[0], pipeline.id, RunStatus::Completed, 1);
        assert_eq!(store.finish_runs(&[first]).await.unwrap(), 1);
        let backend = store.backend();
        assert_eq!(
            store.delete_records(RecordDeletion::All).await.unwrap(),
            DeletionOutcome::JobRunning,
            "{backend:?}"
        );

        // Cancelled while two runs are leased: the runner may still store them.
        store
            .finish_job(job.id, JobStatus::Cancelled, None)
            .await
            .unwrap();
        assert_eq!(
            store.delete_records(RecordDeletion::All).await.unwrap(),
            DeletionOutcome::RunsFinishing(vec![job.id]),
            "{backend:?}"
        );
        let page = RecordFilter {
            job_id: Some(job.id),
            ..Default::default()
        };
        assert_eq!(
            store.records(&page, 10, 0).await.unwrap().1,
            1,
            "nothing deleted"
        );
        // The runner's last flush stores one; it hands the other back.
        let last = finished(&claimed[1], pipeline.id, RunStatus::Completed, 1);
        assert_eq!(store.finish_runs(&[last]).await.unwrap(), 1);
        assert_eq!(store.release_job_leases("w", job.id).await.unwrap(), 1);
        assert_eq!(
            store.delete_records(RecordDeletion::All).await.unwrap(),
            DeletionOutcome::Deleted {
                records: 2,
                jobs: 1,
                running_jobs_kept: vec![]
            },
            "{backend:?}"
        );
        assert!(
            store.job(job.id).await.is_err(),
            "the job goes with its records"
        );
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_filtered_by_status_in_the_query_and_the_active_one_is_the_newest_running() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let pipeline = store
            .create_pipeline("p", &json!({"blocks": []}))
            .await
            .unwrap();
        assert!(store.active_job().await.unwrap().is_none());
        let done = job_with_records(&store, pipeline.id, 2).await;
        store
            .finish_job(done.id, JobStatus::Completed, None)
            .await
            .unwrap();
        let older = store
            .create_job(pipeline.id, &runs(1), &json!({}))
            .await
            .unwrap();
        let newer = store
            .create_job(pipeline.id, &runs(1), &json!({}))
            .await
            .unwrap();
        let ids = |jobs: Vec<blockforge::store::jobs::JobRow>| -> Vec<i64> {
            jobs.iter().map(|job| job.id).collect()
        };
        assert_eq!(
            store.active_job().await.unwrap().map(|j| j.id),
            Some(newer.id)
        );
        assert_eq!(
            ids(store.jobs(None, Some(JobStatus::Running)).await.unwrap()),
            [newer.id, older.id]
        );
        let completed = store
            .jobs(Some(pipeline.id), Some(JobStatus::Completed))
            .await
            .unwrap();
        assert_eq!(ids(completed.clone()), [done.id]);
        let stored = store.job(done.id).await.unwrap();
        assert!(
            !stored.usage_by_model.0.is_empty(),
            "the helper's runs used a model"
        );
        assert_eq!(completed[0].usage_by_model, stored.usage_by_model);
        assert_eq!(
            ids(store.jobs(Some(pipeline.id), None).await.unwrap()),
            [newer.id, older.id, done.id]
        );
        assert!(
            store
                .jobs(Some(pipeline.id + 1), None)
                .await
                .unwrap()
                .is_empty()
        );
    }
    cleanup(stores, &schema).await;
}

/// Expands `run` into `n` children `{"child": i}` with no usage, under a job limit of `limit`.
async fn expand(
    store: &Store,
    run: &ClaimedRun,
    n: usize,
    limit: u64,
) -> blockforge::store::runs::Expanded {
    let child = |i: usize| json!({"child": i}).as_object().cloned().unwrap();
    let children = (0..n).map(|i| (child(i), child(i)));
    let split = Split {
        children,
        first_step: 1,
        inherited_trace: "[]",
        usage: &Usage::default(),
        usage_by_model: &ModelUsage::default(),
        calls: &CallStats::default(),
        quality: &QualityCounts::default(),
    };
    store.expand_run(run, split, limit).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expansion_is_planned_in_batches_and_refused_whole_past_the_job_limit() {
    use blockforge::store::runs::Expanded;
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let (pipeline, job, claimed) = claimed_runs(&store, 2, "a").await;
        // 450 children: three INSERTs; the job grows from 2 to 451 runs, within 451.
        let expanded = expand(&store, &claimed[0], 450, 451).await;
        assert_eq!(expanded, Expanded::Planned);
        assert_eq!(store.job(job.id).await.unwrap().total_runs, 451);
        // The 450 children are pending, and the second seed is still leased.
        assert_eq!(store.unfinished_runs(job.id).await.unwrap(), 451);
        // Two more would make 452: nothing changes and the run stays leased.
        let refused = expand(&store, &claimed[1], 2, 451).await;
        assert_eq!(refused, Expanded::OverLimit { total: 452 });
        assert_eq!(store.job(job.id).await.unwrap().total_runs, 451);
        assert_eq!(store.unfinished_runs(job.id).await.unwrap(), 451);
        let late = finished(&claimed[1], pipeline.id, RunStatus::Failed, 1);
        assert_eq!(store.finish_runs(&[late]).await.unwrap(), 1, "still leased");
        // Expanding the first run again changes nothing.
        let again = expand(&store, &claimed[0], 3, 10_000).await;
        assert_eq!(again, Expanded::Again);
        assert_eq!(store.job(job.id).await.unwrap().total_runs, 451);
    }
    cleanup(stores, &schema).await;
}

/// A connection of the test's own to `store`'s database (`dir`, `schema` from [`stores`]).
async fn own_pool(store: &Store, dir: &std::path::Path, schema: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = match store.backend() {
        Backend::Sqlite => format!("sqlite://{}", sqlite_file(dir).display()),
        Backend::Postgres => postgres_url(schema),
    };
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap()
}

/// A plan of a job of `total` runs of `pipeline_id`, with its first `planned` runs added.
async fn plan_of(
    store: &Store,
    pipeline_id: i64,
    total: u64,
    planned: usize,
) -> blockforge::store::job_plan::JobPlan {
    let mut plan = store
        .begin_job(
            pipeline_id,
            total,
            &json!({}),
            blockforge::llm::CacheMode::Auto,
        )
        .await
        .unwrap();
    plan.add_runs(&runs(planned)).await.unwrap();
    plan
}

/// The one number `sql` reads through `pool`.
async fn count_rows(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_plan_commits_batch_by_batch_and_stays_invisible_until_committed() {
    let (dir, stores, schema) = stores().await;
    for store in &stores {
        let own = own_pool(store, dir.path(), &schema).await;
        let pipeline = store
            .create_pipeline("p", &json!({"blocks": []}))
            .await
            .unwrap();
        let mut plan = plan_of(store, pipeline.id, 900, 450).await;
        let job_id = plan.job_id();
        // The batch is committed: no transaction stays open while the seed file is read, so
        // another write does not wait for the plan (on SQLite it would wait for the one
        // writer until the pool gives up).
        let other = tokio::time::timeout(
            Duration::from_secs(120),
            store.create_pipeline("other", &json!({"blocks": []})),
        )
        .await
        .expect("a write waited for the open job plan")
        .unwrap();
        assert!(other.id > pipeline.id);
        assert_eq!(
            count_rows(
                &own,
                &format!("SELECT COUNT(*) FROM runs WHERE job_id = {job_id}")
            )
            .await,
            450,
            "{:?}: the batch is visible to another connection",
            store.backend()
        );
        // Nobody sees the job, nor claims its runs, before it is committed.
        assert!(store.jobs(None, None).await.unwrap().is_empty());
        assert!(store.job(job_id).await.is_err());
        assert!(store.active_job().await.unwrap().is_none());
        let claimed = store
            .claim_runs("w", 10, Duration::from_secs(60), None)
            .await
            .unwrap();
        assert!(
            claimed.is_empty(),
            "a run of a job being planned was claimed"
        );
        plan.add_runs(&runs(900)[450..]).await.unwrap();
        let job = plan.commit().await.unwrap();
        assert_eq!((job.id, job.status), (job_id, JobStatus::Running));
        assert_eq!(store.jobs(None, None).await.unwrap().len(), 1);
        assert_eq!(
            count_rows(
                &own,
                &format!("SELECT COUNT(*) FROM runs WHERE job_id = {job_id}")
            )
            .await,
            900
        );

        // A plan given up (a batch failed) leaves nothing; one dropped half-way (the client
        // went away) is deleted in the background.
        let plan = plan_of(store, pipeline.id, 900, 300).await;
        plan.abandon().await.unwrap();
        let plan = plan_of(store, pipeline.id, 900, 300).await;
        drop(plan);
        for _ in 0..600 {
            if count_rows(&own, "SELECT COUNT(*) FROM jobs").await == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(count_rows(&own, "SELECT COUNT(*) FROM jobs").await, 1);
        assert_eq!(count_rows(&own, "SELECT COUNT(*) FROM runs").await, 900);

        // A plan its process left behind (it died) is swept; a live one is kept.
        let live = plan_of(store, pipeline.id, 10, 10).await;
        let left = plan_of(store, pipeline.id, 10, 10).await;
        let left_id = left.job_id();
        // As a planner dead for over an hour would have left it (the plan is forgotten, not
        // dropped: nothing deletes it but the sweep).
        std::mem::forget(left);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET planned_at = 0 WHERE id = {left_id}"
        )))
        .execute(&own)
        .await
        .unwrap();
        assert_eq!(store.sweep_abandoned_plans().await.unwrap(), 1);
        assert_eq!(
            count_rows(
                &own,
                &format!("SELECT COUNT(*) FROM runs WHERE job_id = {left_id}")
            )
            .await,
            0
        );
        assert_eq!(live.commit().await.unwrap().total_runs, 10);
        own.close().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_listed_twice_in_a_batch_counts_once() {
    let (_dir, stores, schema) = stores().await;
    for store in &stores {
        let (pipeline, job, claimed) = claimed_runs(store, 2, "w").await;
        let batch = vec![
            finished(&claimed[0], pipeline.id, RunStatus::Completed, 10),
            finished(&claimed[0], pipeline.id, RunStatus::Failed, 3),
            finished(&claimed[1], pipeline.id, RunStatus::Failed, 3),
            finished(&claimed[1], pipeline.id, RunStatus::Failed, 3),
        ];
        assert_eq!(store.finish_runs(&batch).await.unwrap(), 2);
        let job = store.job(job.id).await.unwrap();
        assert_eq!(
            (job.completed_runs, job.failed_runs),
            (1, 1),
            "{:?}: each run once, with its first entry's result",
            store.backend()
        );
        assert_eq!(job.usage, Usage::tokens(13, 2, 0));
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_finishing_the_same_runs_with_opposite_results_do_not_deadlock() {
    const ROUNDS: usize = 30;
    const RUNS: usize = 40;
    let (_dir, stores, schema) = stores().await;
    for store in &stores {
        for _ in 0..ROUNDS {
            let (pipeline, job, claimed) = claimed_runs(store, RUNS, "w").await;
            // One worker completed the even runs and failed the odd ones; the other (which
            // stalled past its leases and ran them again) the reverse.
            let batch = |even: RunStatus, odd: RunStatus| -> Vec<FinishedRun> {
                claimed
                    .iter()
                    .enumerate()
                    .map(|(i, run)| {
                        let status = if i % 2 == 0 { even } else { odd };
                        finished(run, pipeline.id, status, 1)
                    })
                    .collect()
            };
            let one = batch(RunStatus::Completed, RunStatus::Failed);
            let other = batch(RunStatus::Failed, RunStatus::Completed);
            let (a, b) = tokio::join!(store.finish_runs(&one), store.finish_runs(&other));
            let (a, b) = (
                a.expect("the first worker's batch failed"),
                b.expect("the second worker's batch failed (deadlock?)"),
            );
            assert_eq!(
                a + b,
                RUNS as u64,
                "{:?}: every run stored once",
                store.backend()
            );
            let job = store.job(job.id).await.unwrap();
            assert_eq!(job.completed_runs + job.failed_runs, RUNS as i64);
        }
    }
    cleanup(stores, &schema).await;
}
