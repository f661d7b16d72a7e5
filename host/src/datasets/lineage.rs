//! [`Lineage`]: what made a dataset version, with the parameters it was made with.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a version's rows came from. Stored as JSON (`{"source": "upload", ...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Lineage {
    /// A file that was uploaded or imported.
    Upload {
        /// The file's name, as given.
        file_name: Option<String>,
        /// The format it was read as (`jsonl`, `json`, `csv`, `parquet`).
        format: String,
        /// Its size in bytes.
        bytes: u64,
    },
    /// A job's records.
    Job {
        /// The job.
        job_id: i64,
        /// The job's pipeline.
        pipeline_id: i64,
        /// The pipeline's name when the version was made.
        pipeline_name: String,
        /// Which records: `accepted` or `all`.
        records: String,
    },
    /// An operation on other versions (convert, edit, merge, sample, split).
    Operation {
        /// The operation's name.
        operation: String,
        /// The versions it read: `[{dataset, version}]`.
        inputs: Vec<VersionRef>,
        /// Its parameters, as given.
        params: Value,
    },
}

/// One version of one dataset, by name and number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionRef {
    /// The dataset's name.
    pub dataset: String,
    /// The version's number.
    pub version: i64,
}
