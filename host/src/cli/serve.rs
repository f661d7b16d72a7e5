//! `blockforge serve`: the HTTP API and the background jobs, resumed at start.

use std::process::ExitCode;

use anyhow::Context as _;
use blockforge::api::{AppState, router};
use blockforge::engine::job_manager::JobManager;
use blockforge::engine::job_runner::RunnerConfig;
use blockforge::settings::Settings;
use blockforge::store::Store;

pub async fn serve(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&settings.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", settings.database_url))?;
    let registry = settings.start_registry().await?;
    let owner = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let config = RunnerConfig {
        lease: settings.job_lease,
        ..RunnerConfig::new(owner)
    };
    let jobs = JobManager::new(store.clone(), registry.clone(), config);
    let resumed = jobs.resume_all().await?;
    if !resumed.is_empty() {
        eprintln!("resuming jobs {resumed:?}");
    }
    let address = format!("{}:{}", settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    eprintln!("blockforge listening on http://{}", listener.local_addr()?);
    let app = router(AppState {
        api_key: settings.api_key.as_deref().map(std::sync::Arc::from),
        store: store.clone(),
        registry,
        jobs: jobs.clone(),
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    // Runs in flight stay leased; their jobs resume at the next start.
    jobs.shutdown();
    store.close().await;
    eprintln!("blockforge stopped");
    Ok(ExitCode::SUCCESS)
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
