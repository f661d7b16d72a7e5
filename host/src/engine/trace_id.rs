//! A run's trace id: the id its record carries and the blocks see (`ctx.trace_id`), which
//! blocks that remember what they saw (MinHashDedup, DuplicateRemover, SemanticInfiller) use to
//! recognise their own earlier entry. A stored job's run is executed again after a lost lease,
//! a crash or a clean stop, so its trace id is derived from the run, not drawn per attempt.

use sha2::{Digest, Sha256};

/// The trace id of run `run_id` of stored job `job_id`: the same on every attempt.
///
/// A name-based UUID (version 8, RFC 9562 §5.8) made of the first 128 bits of the SHA-256 of
/// the job and run ids; run ids are unique in a database, so are the trace ids of its records.
pub fn stored_run(job_id: i64, run_id: i64) -> String {
    let digest = Sha256::new()
        .chain_update(b"blockforge run trace id\0")
        .chain_update(job_id.to_be_bytes())
        .chain_update(run_id.to_be_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A fresh trace id, for a run executed once (`blockforge run`, a pipeline's `/execute`
/// preview).
pub fn fresh() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_run_keeps_its_trace_id_and_runs_differ() {
        assert_eq!(stored_run(3, 41), stored_run(3, 41));
        assert_ne!(stored_run(3, 41), stored_run(3, 42));
        assert_ne!(stored_run(3, 41), stored_run(4, 41));
        let id = uuid::Uuid::parse_str(&stored_run(3, 41)).expect("a UUID");
        assert_eq!(id.get_version_num(), 8);
    }
}
