//! Keeps the registry in line with the plugins folder while the server runs: a file dropped
//! in, replaced or deleted is picked up within a fraction of a second (inotify on Linux, the
//! platform's notifier elsewhere), without a restart.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Registry;

/// How long the folder must be quiet before it is scanned: a file being copied in sends many
/// events, and one scan after the last is enough.
const SETTLE: Duration = Duration::from_millis(200);

/// Why the folder cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The folder could not be created.
    #[error("cannot create the plugins folder {path}: {source}")]
    Create {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The platform's notifier refused.
    #[error("cannot watch the plugins folder {path}: {source}")]
    Notify {
        /// The folder.
        path: PathBuf,
        /// The notifier's error.
        source: notify::Error,
    },
}

/// A running watch of the plugins folder; dropping it stops the watch.
pub struct PluginWatcher {
    _watcher: notify::RecommendedWatcher,
    task: JoinHandle<()>,
}

impl Drop for PluginWatcher {
    /// Stops the watch and the scans under way (their unfinished loads are forgotten).
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PluginWatcher {
    /// Watches `dir` (created when missing) and rescans it into `registry` after each burst
    /// of changes.
    pub fn start(registry: Arc<Registry>, dir: PathBuf) -> Result<Self, WatchError> {
        std::fs::create_dir_all(&dir).map_err(|source| WatchError::Create {
            path: dir.clone(),
            source,
        })?;
        let (changed_tx, mut changed_rx) = mpsc::unbounded_channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let relevant = match event {
                    Ok(event) => changes_files(&event.kind),
                    // Lost events (a queue overflow): rescan to be safe.
                    Err(_) => true,
                };
                if relevant {
                    let _ = changed_tx.send(());
                }
            })
            .map_err(|source| WatchError::Notify {
                path: dir.clone(),
                source,
            })?;
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|source| WatchError::Notify {
                path: dir.clone(),
                source,
            })?;
        let task = tokio::spawn(async move {
            let mut scans = tokio::task::JoinSet::new();
            while changed_rx.recv().await.is_some() {
                // Wait until the folder has been quiet for SETTLE.
                while let Ok(Some(())) = tokio::time::timeout(SETTLE, changed_rx.recv()).await {}
                // Each scan in a task of its own: one still loading a slow plugin does not
                // hold back the next burst of changes.
                let (registry, dir) = (registry.clone(), dir.clone());
                scans.spawn(async move { registry.sync_plugins_dir(&dir).await });
                while scans.try_join_next().is_some() {}
            }
        });
        Ok(PluginWatcher {
            _watcher: watcher,
            task,
        })
    }
}

/// Whether an event can change what the folder holds. Opening and reading files (the scan
/// itself reads them) cannot, and must not trigger another scan.
fn changes_files(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, ModifyKind, RemoveKind};

    #[test]
    fn reads_do_not_trigger_scans_but_writes_do() {
        assert!(!changes_files(&EventKind::Access(AccessKind::Open(
            AccessMode::Read
        ))));
        assert!(!changes_files(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(changes_files(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(changes_files(&EventKind::Create(CreateKind::File)));
        assert!(changes_files(&EventKind::Modify(ModifyKind::Any)));
        assert!(changes_files(&EventKind::Remove(RemoveKind::File)));
    }
}
