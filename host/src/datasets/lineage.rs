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
        /// The versions it read: `[{dataset, version, id}]`.
        inputs: Vec<VersionRef>,
        /// Its parameters, as given.
        params: Value,
    },
}

/// One version of one dataset. The store holds on to the version by its `id` (a dataset's
/// name can be deleted and taken again); its name and number are read from the id whenever
/// the lineage is read, and are as they were when it was made for a version deleted since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionRef {
    /// The dataset's name.
    pub dataset: String,
    /// The version's number.
    pub version: i64,
    /// The version's id (absent in lineages written before ids were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// True when the version was deleted since (only in lineages read back).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl VersionRef {
    /// Version `version` (id `id`) of the dataset `dataset`.
    pub fn new(dataset: &str, version: i64, id: i64) -> Self {
        VersionRef {
            dataset: dataset.to_owned(),
            version,
            id: Some(id),
            deleted: false,
        }
    }
}
