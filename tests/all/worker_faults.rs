//! Workers stopped, killed and stalled mid-job: a clean stop stores what finished, deaths are
//! not counted as the run's failures, a stalled worker freezes nobody and runs nothing already
//! stored when it wakes, and a crashed SQLite server's leases are taken over at its restart.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use blockforge_tests::harness::{Server, Worker, Workspace};
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, databases, generate, seeds, wait_for};
use crate::store::cleanup;

/// Requests the fake received (counted on arrival: a request whose caller gave up counts).
fn received(fake: &FakeLlm) -> usize {
    fake.requests().len()
}

/// Waits (up to five minutes, a safety net on a loaded machine) until `done` answers true; panics naming `what` if it never does.
pub(crate) async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while !done().await {
        assert!(Instant::now() < deadline, "still waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A job of `runs` one-call runs at `concurrency` (prompts `n {{ n }}`); its id.
pub(crate) async fn start_job(server: &Server, runs: usize, concurrency: u32) -> i64 {
    let pipeline = create_pipeline(
        server,
        json!({"name": "calls", "blocks": [
            {"type": "TextGenerator", "config": {"user_prompt": "n {{ n }}"}}]}),
    )
    .await;
    generate(server, pipeline, "seeds.json", seeds(runs), concurrency)
        .await
        .json::<Value>()
        .await
        .unwrap()["job_id"]
        .as_i64()
        .unwrap()
}

/// How many records the job has.
async fn records(server: &Server, job_id: i64) -> i64 {
    wait_for(server, job_id, |_| true).await["records_generated"]
        .as_i64()
        .unwrap_or(0)
}

/// The job's records: one per run, none twice.
async fn assert_one_record_per_run(server: &Server, job_id: i64, runs: usize) {
    let records: Vec<Value> = client()
        .get(server.url(&format!("/api/records?job_id={job_id}&limit={runs}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: HashSet<i64> = records
        .iter()
        .map(|r| r["run_id"].as_i64().unwrap())
        .collect();
    assert_eq!(records.len(), runs, "one record per run");
    assert_eq!(ids.len(), runs, "no run recorded twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_stores_finished_runs_and_the_restart_runs_none_again() {
    const RUNS: usize = 120;
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in &urls {
        let before = received(&fake);
        let server = ws.serve(url).await;
        let job_id = start_job(&server, RUNS, 4).await;
        wait_for(&server, job_id, |j| {
            j["records_generated"].as_i64().unwrap_or(0) >= 30
        })
        .await;
        // Runs are in flight now: a stop that aborted them (or dropped the writer's batch)
        // would run them again after the restart.
        let status = server.terminate().await;
        assert!(status.success(), "{url}: the stop failed: {status}");
        let server = ws.serve(url).await;
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(job["records_generated"], RUNS, "{url}: {job}");
        assert_eq!(
            received(&fake) - before,
            RUNS,
            "{url}: one request per run, none sent again after the stop"
        );
        assert_one_record_per_run(&server, job_id, RUNS).await;
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

/// An API-only server on a fresh PostgreSQL schema, for `blockforge worker` processes that
/// hold leases for 1 s, over a fake answering after `latency`.
struct WorkersSetup {
    fake: FakeLlm,
    ws: Workspace,
    server: Server,
    postgres: String,
    stores: Vec<blockforge::store::Store>,
    schema: String,
}

impl WorkersSetup {
    async fn start(latency: Duration) -> Self {
        let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
            latency,
            ..Default::default()
        })
        .await;
        ws.set_env("JOB_LEASE_SECS", "1")
            .set_env("RUN_JOBS", "false");
        let (mut urls, stores, schema) = databases(&ws).await;
        let postgres = urls.remove(1);
        let server = ws.serve(&postgres).await;
        WorkersSetup {
            fake,
            ws,
            server,
            postgres,
            stores,
            schema,
        }
    }

    async fn worker(&self) -> Worker {
        self.ws.worker(&self.postgres).await
    }

    async fn finish(self) {
        self.server.kill9().await;
        cleanup(self.stores, &self.schema).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stopped_cleanly_leaves_nothing_to_run_again() {
    const RUNS: usize = 120;
    let setup = WorkersSetup::start(Duration::from_millis(100)).await;
    let (fake, server) = (&setup.fake, &setup.server);
    let job_id = start_job(server, RUNS, 4).await;
    let first = setup.worker().await;
    wait_for(server, job_id, |j| {
        j["records_generated"].as_i64().unwrap_or(0) >= 30
    })
    .await;
    let status = first.terminate().await;
    assert!(status.success(), "the stop failed: {status}");
    let second = setup.worker().await;
    let job = wait_for(server, job_id, |j| j["status"] == "completed").await;
    assert_eq!(job["records_generated"], RUNS, "{job}");
    assert_eq!(
        received(fake),
        RUNS,
        "one request per run, none sent again after the stop"
    );
    assert_one_record_per_run(server, job_id, RUNS).await;
    second.kill9().await;
    setup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_worker_deaths_in_a_row_fail_no_run() {
    const RUNS: usize = 16;
    const CONCURRENCY: usize = 4;
    let setup = WorkersSetup::start(Duration::from_secs(1)).await;
    let (fake, server) = (&setup.fake, &setup.server);
    let job_id = start_job(server, RUNS, CONCURRENCY as u32).await;
    for _ in 0..3 {
        let before = received(fake);
        let worker = setup.worker().await;
        // Its first runs are executing (the fake answers after a second): kill it then.
        wait_until("the worker's first requests", || async {
            received(fake) >= before + CONCURRENCY
        })
        .await;
        worker.kill9().await;
        // Past the dead worker's leases, so the next one takes its runs over.
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
    let last = setup.worker().await;
    let job = wait_for(server, job_id, |j| j["status"] == "completed").await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(
        job["records_failed"], 0,
        "a worker's death failed runs: {job}"
    );
    assert_eq!(job["records_generated"], RUNS, "{job}");
    assert_one_record_per_run(server, job_id, RUNS).await;
    last.kill9().await;
    setup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_worker_freezes_nobody_and_reruns_nothing_stored() {
    const RUNS: usize = 400;
    const CONCURRENCY: usize = 4;
    let setup = WorkersSetup::start(Duration::from_millis(50)).await;
    let (fake, server) = (&setup.fake, &setup.server);
    let job_id = start_job(server, RUNS, CONCURRENCY as u32).await;
    let stalled = setup.worker().await;
    let other = setup.worker().await;
    wait_for(server, job_id, |j| {
        j["records_generated"].as_i64().unwrap_or(0) >= 50
    })
    .await;
    // Every run of both workers waits for its answer: the stalled one has no run half-started,
    // only CONCURRENCY requests sent (answered while it is stopped) and runs claimed ahead.
    fake.hold();
    eprintln!("DEBUG hold at {}", received(fake));
    wait_until("both workers' requests held", || async {
        fake.in_flight() == 2 * CONCURRENCY
    })
    .await;
    stalled.signal("STOP");
    fake.release();

    // The other worker goes on and takes every run the stalled one held over once its leases
    // expire (a job row lock the stalled one held would freeze it here). Runs the stalled one
    // had finished and not stored yet are run again: they were never stored.
    let owner = format!("worker-{}.", stalled.pid());
    let store = &setup.stores[1];
    wait_until("the stalled worker's runs taken over", || async {
        let owners = store.lease_owners().await.unwrap();
        !owners.iter().any(|o| o.starts_with(&owner))
    })
    .await;
    let taken_over = records(server, job_id).await;
    // Far more than the other worker had claimed: the runs it took over are stored.
    let job = wait_for(server, job_id, |j| {
        j["records_generated"].as_i64().unwrap_or(0) >= taken_over + 50
    })
    .await;
    assert_eq!(job["status"], "running", "the job must still run: {job}");
    assert!(
        job["records_generated"].as_i64().unwrap_or(0) >= taken_over + 50,
        "the job froze while a worker was stalled: {job}"
    );
    let woken_at = received(fake);
    stalled.signal("CONT");
    let job = wait_for(server, job_id, |j| j["status"] == "completed").await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_one_record_per_run(server, job_id, RUNS).await;
    // Every run sent again after the wake-up was stored before it: the woken worker ran a run
    // it no longer held.
    let mut first_seen = HashSet::new();
    let again: Vec<String> = fake
        .requests()
        .iter()
        .enumerate()
        .filter(|(i, r)| !first_seen.insert(r.body.to_string()) && *i >= woken_at)
        .map(|(_, r)| r.body["messages"].to_string())
        .collect();
    assert!(again.is_empty(), "run again after the wake-up: {again:?}");
    stalled.kill9().await;
    other.kill9().await;
    setup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stopped_inside_a_transaction_frees_the_job_row() {
    const RUNS: usize = 200;
    let setup = WorkersSetup::start(Duration::from_millis(20)).await;
    let server = &setup.server;
    let job_id = start_job(server, RUNS, 4).await;
    let stalled = setup.worker().await;
    wait_for(server, job_id, |j| {
        j["records_generated"].as_i64().unwrap_or(0) >= 20
    })
    .await;
    // Hold the job's row, so the worker's next batch waits for it inside its transaction.
    sqlx::any::install_default_drivers();
    let admin = sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(&setup.postgres)
        .await
        .unwrap();
    let mut tx = admin.begin().await.unwrap();
    sqlx::query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE")
        .bind(job_id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let holder: i32 = sqlx::Row::get(
        &sqlx::query("SELECT pg_backend_pid() AS pid")
            .fetch_one(&mut *tx)
            .await
            .unwrap(),
        "pid",
    );
    wait_until("the worker's batch waiting for the job row", || {
        let admin = admin.clone();
        async move {
            let waiting: i64 = sqlx::Row::get(
                &sqlx::query(
                    "SELECT COUNT(*) AS n FROM pg_stat_activity \
                     WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE '%FOR UPDATE%'",
                )
                .bind(holder)
                .fetch_one(&admin)
                .await
                .unwrap(),
                "n",
            );
            waiting > 0
        }
    })
    .await;
    // Stopped while waiting: the lock goes to its transaction, which then sits idle holding it.
    stalled.signal("STOP");
    tx.commit().await.unwrap();
    let other = setup.worker().await;
    let job = wait_for(server, job_id, |j| j["status"] == "completed").await;
    assert_eq!(
        job["status"], "completed",
        "a stalled worker's transaction froze the job: {job}"
    );
    assert_one_record_per_run(server, job_id, RUNS).await;
    stalled.signal("CONT");
    stalled.kill9().await;
    other.kill9().await;
    admin.close().await;
    setup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_a_crash_on_sqlite_takes_the_dead_leases_at_once() {
    const RUNS: usize = 60;
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        latency: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    // Far longer than the test may wait: only releasing the dead server's leases finishes it.
    ws.set_env("JOB_LEASE_SECS", "3600");
    let (urls, stores, schema) = databases(&ws).await;
    let sqlite = &urls[0];
    let server = ws.serve(sqlite).await;
    let job_id = start_job(&server, RUNS, 4).await;
    wait_for(&server, job_id, |j| {
        j["records_generated"].as_i64().unwrap_or(0) >= 10
    })
    .await;
    server.kill9().await;
    let server = ws.serve(sqlite).await;
    let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["records_generated"], RUNS, "{job}");
    assert_one_record_per_run(&server, job_id, RUNS).await;
    server.kill9().await;
    cleanup(stores, &schema).await;
}

/// The seed `n` of a request the one-call pipeline of [`start_job`] sent (its prompt is
/// `n {{ n }}`).
fn seed_of(request: &blockforge_tests::fake_llm::Recorded) -> i64 {
    let messages = request.body["messages"].as_array().expect("messages");
    let prompt = messages.last().expect("a message")["content"]
        .as_str()
        .expect("text content");
    prompt
        .strip_prefix("n ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a prompt of the job: {prompt:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_in_a_large_job_leaves_one_record_per_run_and_redoes_no_stored_call() {
    // Issue 17 asks for 100,000 seeds; this many keep the test near two minutes on a loaded
    // 2-core debug build, and every request within what the fake keeps for inspection.
    const RUNS: usize = 12_000;
    const CONCURRENCY: usize = 16;
    let mut setup = WorkersSetup::start(Duration::from_millis(5)).await;
    // Long enough that no live worker loses a lease on a loaded machine: a run sent twice
    // then is the dead worker's.
    setup.ws.set_env("JOB_LEASE_SECS", "10");
    let (fake, server) = (&setup.fake, &setup.server);
    let job_id = start_job(server, RUNS, CONCURRENCY as u32).await;
    let doomed = setup.worker().await;
    let survivor = setup.worker().await;
    wait_for(server, job_id, |j| {
        j["records_generated"].as_i64().unwrap_or(0) >= (RUNS / 3) as i64
    })
    .await;
    doomed.kill9().await;
    sqlx::any::install_default_drivers();
    let admin = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&setup.postgres)
        .await
        .unwrap();
    let stored_seeds = |admin: sqlx::AnyPool| async move {
        sqlx::query(
            "SELECT runs.seed_index FROM records JOIN runs ON runs.id = records.run_id \
             WHERE records.job_id = $1",
        )
        .bind(job_id)
        .fetch_all(&admin)
        .await
        .unwrap()
        .iter()
        .map(|row| sqlx::Row::get::<i64, _>(row, "seed_index"))
        .collect::<Vec<i64>>()
    };
    let stored_at_kill: HashSet<i64> = stored_seeds(admin.clone()).await.into_iter().collect();
    // Everything sent from here on was sent by the survivor, after the records above were
    // read (counted before that read, a request the survivor sent and stored meanwhile looked
    // like a stored run called again).
    let sent_before = received(fake);
    assert!(
        stored_at_kill.len() < RUNS,
        "the job ended before the kill: make it larger"
    );

    let job = wait_for(server, job_id, |j| j["status"] == "completed").await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["records_generated"], RUNS, "{job}");
    assert_eq!(job["records_failed"], 0, "{job}");
    let stored = stored_seeds(admin.clone()).await;
    let distinct: HashSet<i64> = stored.iter().copied().collect();
    assert_eq!(stored.len(), RUNS, "one record per run");
    assert_eq!(distinct.len(), RUNS, "no run recorded twice");

    let requests = fake.requests();
    assert_eq!(
        requests.len(),
        fake.chat_requests() as usize,
        "the fake kept every request"
    );
    let seeds: Vec<i64> = requests.iter().map(seed_of).collect();
    let mut before = HashSet::new();
    for n in &seeds[..sent_before] {
        assert!(before.insert(*n), "seed {n} was sent twice by live workers");
    }
    let mut again = Vec::new();
    let mut after = HashSet::new();
    for n in &seeds[sent_before..] {
        assert!(
            !stored_at_kill.contains(n),
            "seed {n} was called again after its record was stored"
        );
        assert!(after.insert(*n), "seed {n} was sent twice by the survivor");
        if before.contains(n) {
            again.push(*n);
        }
    }
    assert_eq!(
        before.union(&after).count(),
        RUNS,
        "every run called its model"
    );
    // Only the runs the dead worker had started and not stored are sent again: at most its
    // runs in flight and the finished ones its writer held (1.5 batches of 64).
    assert!(
        again.len() <= CONCURRENCY + 96,
        "{} runs sent again: {again:?}",
        again.len()
    );
    eprintln!(
        "{RUNS} runs: {} stored at the kill, {} sent again after it",
        stored_at_kill.len(),
        again.len()
    );
    survivor.kill9().await;
    admin.close().await;
    setup.finish().await;
}
