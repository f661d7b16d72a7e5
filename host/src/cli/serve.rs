//! `blockforge serve`: the HTTP API and the background jobs, resumed at start.

use std::process::ExitCode;

use anyhow::Context as _;
use blockforge::api::{AppState, ConnectionLimits, router};
use blockforge::jobs::manager::JobManager;
use blockforge::settings::Settings;

use super::{AbortOnDrop, Services, shutdown_signal};

pub async fn serve(settings: &Settings) -> anyhow::Result<ExitCode> {
    let services = Services::start(settings, "").await?;
    let store = services.store.clone();
    let models = services.models.clone();
    let registry = services.registry.clone();
    let config = services.runner.clone();
    let jobs = if settings.run_jobs {
        JobManager::new(store.clone(), registry.clone(), config)
    } else {
        JobManager::api_only(store.clone(), registry.clone(), config)
    };
    let address = format!("{}:{}", settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    // Dataset versions a killed process left unfinished: their rows go.
    let swept = store.sweep_unfinished_versions(None).await?;
    if swept > 0 {
        eprintln!("removed {swept} unfinished dataset version(s) left by a process that is gone");
    }
    // Jobs a killed process left half-planned from a seed file: they and their runs go.
    let plans = store.sweep_abandoned_plans().await?;
    if plans > 0 {
        eprintln!("removed {plans} job(s) left half-planned by a process that is gone");
    }
    // Jobs resume only once the server can serve: a failed bind claims nothing.
    let resumed = jobs.resume_all().await?;
    if !resumed.is_empty() {
        eprintln!("resuming jobs {resumed:?}");
    }
    // Jobs submitted to another server on the same database are picked up too.
    let _follower = settings
        .run_jobs
        .then(|| AbortOnDrop(jobs.follow_running_jobs(settings.job_poll)));
    eprintln!("blockforge listening on http://{}", listener.local_addr()?);
    let limits = open_files_for(settings.http.connections);
    let app = router(
        AppState {
            gate: std::sync::Arc::new(blockforge::api::Gate::new(
                settings.api_key.as_deref().map(std::sync::Arc::from),
                settings.http.rate_limits,
            )),
            store: store.clone(),
            registry,
            jobs: jobs.clone(),
            plugins_dir: settings.plugins_dir.clone().into(),
            web_dir: settings.web_dir.clone().map(Into::into),
            models,
            record_pages: Default::default(),
            max_dataset_upload_bytes: settings.max_dataset_upload_bytes,
            max_seed_upload_bytes: settings.max_seed_upload_bytes,
            hub: settings.hub.clone(),
        },
        &settings.http,
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopping = jobs.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        // Runners stop claiming at once and finish their runs while connections drain.
        stopping.stop();
        let _ = stop_tx.send(true);
    });
    let mut graceful = stop_rx.clone();
    let server = blockforge::api::serve(listener, app, limits, async move {
        let _ = graceful.changed().await;
    });
    // Open event streams would hold the graceful drain forever: give it a few seconds.
    let mut drain = stop_rx;
    tokio::select! {
        () = server => {},
        _ = async move {
            let _ = drain.changed().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => eprintln!("closing connections still open"),
    }
    drop(_follower);
    let released = jobs.shutdown().await?;
    store.close().await;
    eprintln!(
        "blockforge stopped ({released} runs handed back; their jobs resume at the next start)"
    );
    Ok(ExitCode::SUCCESS)
}

/// `limits` with a connection bound the process can hold: the soft limit on open files is
/// raised to the hard one, and connections are kept [`SPARE_FILES`] (at most a quarter of
/// the limit) below it (the database, plugins and the compile cache need files too).
fn open_files_for(mut limits: ConnectionLimits) -> ConnectionLimits {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut files = getrlimit(Resource::Nofile);
    // `None` is "unlimited" (which `Some(_) < None` does not see): then ask for what the
    // connections and the spare files need.
    let wanted = files.maximum.or_else(|| {
        let needed = limits.max_connections as u64 + SPARE_FILES;
        Some(files.current.map_or(needed, |current| current.max(needed)))
    });
    if files.current.is_some() && files.current < wanted {
        files.current = wanted;
        if setrlimit(Resource::Nofile, files).is_err() {
            files = getrlimit(Resource::Nofile);
        }
    }
    if let Some(open) = files.current {
        // A small limit (256 on macOS) keeps a quarter for files, not all of it.
        let spare = SPARE_FILES.min(open / 4);
        let room = usize::try_from(open.saturating_sub(spare)).unwrap_or(usize::MAX);
        if limits.max_connections > room {
            eprintln!(
                "MAX_CONNECTIONS={} is more than the {open} open files allowed leave room for: \
                 using {}",
                limits.max_connections,
                room.max(1)
            );
            limits.max_connections = room.max(1);
        }
    }
    limits
}

/// Open files kept free of connections.
const SPARE_FILES: u64 = 256;

/// How long open connections may take to finish at shutdown.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);
