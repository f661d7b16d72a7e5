//! Leases of a process on this machine that is gone. On SQLite every process sharing the
//! database file runs on this machine (WAL needs shared memory), so a lease owner whose
//! process id names no live process died: its runs are taken over at once instead of after
//! the lease expires (30 s by default), which a restart after a crash would otherwise wait out.
//!
//! A live process is never robbed: an owner is released only when signal 0 to its process id
//! fails with "no such process". A process id reused by an unrelated live process keeps the
//! lease until it expires, as before — the safe side.

use crate::store::{Store, StoreError};

/// The process id in a lease owner `<prefix><pid>-<instance>` (as `blockforge serve` and
/// `blockforge worker` name themselves).
pub fn owner_pid(owner: &str) -> Option<i32> {
    let (head, _instance) = owner.rsplit_once('-')?;
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()?
        .0;
    head[start..].parse().ok().filter(|pid| *pid > 0)
}

/// Whether process `pid` is gone (no process of that id exists on this machine).
fn gone(pid: i32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return false;
    };
    matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Ends now the leases of owners whose process on this machine is gone; returns how many runs
/// were released. Only for databases every user of which runs on this machine (SQLite).
pub async fn expire_dead_local_leases(store: &Store) -> Result<u64, StoreError> {
    let mut released = 0;
    for owner in store.lease_owners().await? {
        let Some(pid) = owner_pid(&owner) else {
            continue;
        };
        if pid != std::process::id() as i32 && gone(pid) {
            let expired = store.expire_leases(&owner).await?;
            tracing::info!(
                owner,
                expired,
                "released the leases of a process that is gone"
            );
            released += expired;
        }
    }
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_name_their_process() {
        for (owner, pid) in [
            ("1234-0f3a", Some(1234)),
            ("worker-77-abcdef", Some(77)),
            ("worker--abc", None),
            ("w", None),
            ("0-abc", None),
            ("x99999999999-abc", None),
        ] {
            assert_eq!(owner_pid(owner), pid, "{owner}");
        }
    }

    #[test]
    fn this_process_is_not_gone() {
        assert!(!gone(std::process::id() as i32));
    }
}
