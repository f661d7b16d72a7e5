//! Identical `GET /api/records` requests in flight share one query (a single flight), yet
//! every request reads the writes it may have seen: a review saved just before, the runs the
//! job's progress counts. Pages are read by threads and SQLite connections of a lower
//! priority than the job's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Server, Workspace};
use blockforge_tests::proc_threads;
use reqwest::StatusCode;
use serde_json::json;

use crate::api::{client, get_json, wait_for};
use crate::sqlite_load::serve_with_a_job;

/// Clients reading the same page over and over.
const READERS: usize = 20;

/// Records of the review test's job.
const SEEDS: usize = 300;

/// The page the review test's readers read: every record, so a query takes long enough
/// for requests to arrive while it runs.
const PAGE: &str = "/api/records?limit=1000";

/// [`READERS`] clients reading `path` until `stop` is set; each answers how many reads failed.
fn readers(
    server: &Arc<Server>,
    path: String,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<usize>> {
    (0..READERS)
        .map(|_| {
            let (server, path, stop) = (server.clone(), path.clone(), stop.clone());
            tokio::spawn(async move {
                let http = client();
                let mut failed = 0;
                while !stop.load(Ordering::SeqCst) {
                    let ok = match http.get(server.url(&path)).send().await {
                        Ok(response) if response.status() == StatusCode::OK => {
                            response.bytes().await.is_ok()
                        }
                        _ => false,
                    };
                    failed += usize::from(!ok);
                }
                failed
            })
        })
        .collect()
}

/// Stops the readers and asserts none of their reads failed.
async fn stop_readers(stop: &AtomicBool, tasks: Vec<tokio::task::JoinHandle<usize>>) {
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        assert_eq!(task.await.unwrap(), 0, "a reader's request failed");
    }
}

/// Pages asked for and queries that answered them, from `/api/metrics`.
async fn page_counts(server: &Server) -> (u64, u64) {
    let metrics = get_json(server, "/api/metrics").await;
    let count = |key: &str| metrics["record_pages"][key].as_u64().unwrap();
    (count("requests"), count("queries"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_is_in_the_next_page_while_identical_reads_share_queries() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (server, _, job_id) = serve_with_a_job(&ws, SEEDS).await;
    let job = wait_for(&server, job_id, |job| job["status"] != "running").await;
    assert_eq!(job["status"], "completed", "{job}");
    let page = get_json(&server, PAGE).await;
    let ids: Vec<i64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), SEEDS);

    let server = Arc::new(server);
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = readers(&server, PAGE.to_owned(), &stop);
    let http = client();
    for round in 0..60 {
        let id = ids[round % ids.len()];
        let edited = json!({"text": format!("edited in round {round}")});
        let saved = http
            .put(server.url(&format!("/api/records/{id}")))
            .json(&json!({"output": edited}))
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::OK);
        // The same page the readers ask for: it may not come from a query started before
        // the review was saved.
        let page = get_json(&server, PAGE).await;
        let record = page
            .as_array()
            .unwrap()
            .iter()
            .find(|record| record["id"] == id)
            .unwrap();
        assert_eq!(record["output"], edited, "round {round}: {record}");
        assert_eq!(record["status"], "edited", "round {round}: {record}");
    }
    // The readers shared queries: wait (without a tight bound) until some request joined one.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (requests, queries) = page_counts(&server).await;
        if queries < requests {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{requests} identical requests made {queries} queries"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop_readers(&stop, tasks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_read_during_a_job_holds_every_run_its_progress_counted() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (server, _, job_id) = serve_with_a_job(&ws, 2000).await;
    let server = Arc::new(server);
    let path = format!("/api/records?job_id={job_id}&limit=1");
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = readers(&server, path.clone(), &stop);
    let http = client();
    let mut checked = 0;
    loop {
        let job = get_json(&server, &format!("/api/jobs/{job_id}")).await;
        let counted =
            job["records_generated"].as_i64().unwrap() + job["records_failed"].as_i64().unwrap();
        let response = http.get(server.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let total: i64 = response.headers()["x-total-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            total >= counted,
            "the job had written {counted} records, the page read after counts {total}"
        );
        checked += 1;
        if job["status"] != "running" {
            assert_eq!(job["status"], "completed", "{job}");
            break;
        }
    }
    stop_readers(&stop, tasks).await;
    assert!(checked > 1, "the job ended before it was read twice");
    // The runner ran on threads of its own, not the API's the readers kept busy.
    let pid = server.pid().unwrap();
    let threads: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .collect();
    assert!(
        threads.iter().any(|name| name.trim() == "blockforge-jobs"),
        "{threads:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_polling_one_page_get_at_most_one_query_per_interval() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (server, _, job_id) = serve_with_a_job(&ws, 1000).await;
    let server = Arc::new(server);
    let (requests_before, queries_before) = page_counts(&server).await;
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = readers(
        &server,
        format!("/api/records?job_id={job_id}&limit=10"),
        &stop,
    );
    // Enough requests that queries without the interval (one for each handful of requests
    // sharing a flight) would pass the bound.
    let requests = loop {
        let (requests, _) = page_counts(&server).await;
        if requests - requests_before >= 1000 {
            break requests - requests_before;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    stop_readers(&stop, tasks).await;
    let elapsed = started.elapsed();
    let (_, queries) = page_counts(&server).await;
    let queries = queries - queries_before;
    // Each query starts at least an interval after the one before it.
    let bound =
        (elapsed.as_secs_f64() / blockforge::api::PAGE_QUERY_INTERVAL.as_secs_f64()) as u64 + 1;
    assert!(
        queries <= bound,
        "{queries} queries for {requests}+ requests in {elapsed:?} (at most {bound})"
    );
}

/// The nice values of the SQLite connections' threads of process `pid`.
fn connection_nice_values(pid: u32) -> Vec<i32> {
    proc_threads::by_thread(pid)
        .values()
        .filter(|thread| thread.name.starts_with("sqlx-sqlite"))
        .map(|thread| thread.nice)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_pages_are_read_by_threads_that_give_way_to_the_job() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (server, _, job_id) = serve_with_a_job(&ws, 300).await;
    let pid = server.pid().unwrap();
    // The server's own priority (0 unless the tests run niced).
    let base = proc_threads::by_thread(pid)[&pid].nice;
    let lower = base.max(blockforge::api::PAGE_THREADS_NICE);
    let before = connection_nice_values(pid);
    assert!(
        before.iter().all(|nice| *nice == base),
        "no record page was read yet: {before:?}"
    );
    // Pages read while the job runs and after it.
    let page = get_json(&server, &format!("/api/records?job_id={job_id}&limit=5")).await;
    assert!(page.is_array(), "{page}");
    let job = wait_for(&server, job_id, |job| job["status"] != "running").await;
    assert_eq!(job["status"], "completed", "{job}");
    let page = get_json(&server, "/api/records?limit=100").await;
    assert_eq!(page.as_array().unwrap().len(), 100);

    let threads = proc_threads::by_thread(pid);
    let named = |name: &str| {
        threads
            .values()
            .filter(|t| t.name == name)
            .collect::<Vec<_>>()
    };
    let pages = named("blockforge-page");
    assert!(!pages.is_empty(), "no page threads: {threads:?}");
    assert!(
        pages.iter().all(|t| t.nice == lower),
        "page threads run at nice {lower}: {pages:?}"
    );
    for job_side in ["blockforge-jobs", "blockforge-gues"] {
        let found = named(job_side);
        assert!(!found.is_empty(), "no {job_side} threads: {threads:?}");
        assert!(found.iter().all(|t| t.nice == base), "{found:?}");
    }
    // The page connections, opened by page threads, have their priority (one or two of
    // them); the writer and the readers the job and the API use keep the job's.
    let after = connection_nice_values(pid);
    let lowered = after.iter().filter(|nice| **nice == lower).count();
    assert!((1..=2).contains(&lowered), "{after:?}");
    assert!(
        after.iter().all(|nice| [base, lower].contains(nice)),
        "{after:?}"
    );
    assert!(after.len() - lowered >= before.len().max(1), "{after:?}");
}
