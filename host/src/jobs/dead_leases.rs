//! Leases of a process on this machine that is gone. On SQLite every process sharing the
//! database file runs on this machine (WAL needs shared memory), so a lease owner whose
//! process id names no live process died: its runs are taken over at once instead of after
//! the lease expires (30 s by default), which a restart after a crash would otherwise wait out.
//!
//! A live process is never robbed: an owner is released only when it was started in this
//! process's PID namespace (processes in other containers sharing the file have ids this one
//! cannot see) and signal 0 to its process id fails with "no such process". A process id
//! reused by an unrelated live process keeps the lease until it expires, as before — the safe
//! side; so does an owner named without its namespace.

use crate::store::{Store, StoreError};

use crate::process_owner::owner_is_local_and_gone;
pub use crate::process_owner::{owner_name, owner_process};

/// Ends now the leases of owners whose process on this machine is gone; returns how many runs
/// were released. Only for databases every user of which runs on this machine (SQLite).
pub async fn expire_dead_local_leases(store: &Store) -> Result<u64, StoreError> {
    let mut released = 0;
    for owner in store.lease_owners().await? {
        if owner_is_local_and_gone(&owner) {
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
