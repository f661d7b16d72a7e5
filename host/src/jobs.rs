//! Jobs: a pipeline over a seed file in the background. The [`runner`] claims a job's runs
//! from the store, executes them with the engine and writes their records; the [`manager`]
//! starts, resumes, restarts and stops runners; [`dead_leases`] frees the runs of a process
//! that died. This layer sits above both the engine and the store, which never use it.

pub mod dead_leases;
pub mod manager;
pub mod runner;
