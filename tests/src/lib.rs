//! Support for blockforge's black-box tests and benchmark: the fake LLM provider, the fixture
//! blocks and helpers to run the real `blockforge` binary.

pub mod bench_blocks;
pub mod bench_datasets;
pub mod bench_languages;
pub mod bench_seeds;
pub mod bench_server;
pub mod bench_sqlite;
pub mod bench_storm;
pub mod bench_workers;
pub mod fake_llm;
pub mod harness;
pub mod language_blocks;
pub mod proc_threads;

/// Paths of the fixture components built from `tests/fixtures` by build.rs.
pub mod fixtures {
    include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
}
