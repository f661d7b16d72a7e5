//! New dataset versions from what the store already holds: a job's records.

use super::dataset_writer::{VersionWriter, WriteError};
use super::datasets::VersionRow;
use super::records::RecordFilter;
use super::{Store, StoreError};
use crate::datasets::lineage::Lineage;

/// Records read per page.
const PAGE: i64 = 500;

/// Which of a job's records become rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobRecords {
    /// Those a reviewer accepted or edited.
    Accepted,
    /// Every record of a completed run, whatever its review.
    All,
}

impl JobRecords {
    /// `accepted` or `all`.
    pub fn name(self) -> &'static str {
        match self {
            JobRecords::Accepted => "accepted",
            JobRecords::All => "all",
        }
    }

    /// The choice named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "accepted" => Some(JobRecords::Accepted),
            "all" => Some(JobRecords::All),
            _ => None,
        }
    }

    fn takes(self, run_status: &str, status: &str) -> bool {
        run_status == "completed"
            && match self {
                JobRecords::Accepted => matches!(status, "accepted" | "edited"),
                JobRecords::All => status != "rejected",
            }
    }
}

impl Store {
    /// Saves the final states (edits included) of `job_id`'s records as a new version of the
    /// dataset `name`, in record order. Rejected records and failed runs are never taken.
    pub async fn save_job_records(
        &self,
        name: &str,
        job_id: i64,
        records: JobRecords,
    ) -> Result<VersionRow, WriteError> {
        let job = self.job(job_id).await?;
        let pipeline = self.pipeline(job.pipeline_id).await?;
        let parent = match self.dataset_version(name, None).await {
            Ok(version) => Some(version.id),
            Err(StoreError::Missing { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let lineage = Lineage::Job {
            job_id,
            pipeline_id: pipeline.id,
            pipeline_name: pipeline.name,
            records: records.name().to_owned(),
        };
        let mut writer = VersionWriter::start(self, name, parent, &lineage).await?;
        let filter = RecordFilter {
            job_id: Some(job_id),
            ..RecordFilter::default()
        };
        let written = async {
            let mut after = 0;
            loop {
                let page = self.records_after(&filter, after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for record in page {
                    if !records.takes(&record.run_status, &record.status) {
                        continue;
                    }
                    if let serde_json::Value::Object(row) = record.output {
                        writer.push(row).await?;
                    }
                }
            }
            Ok::<_, StoreError>(())
        }
        .await;
        Ok(writer.conclude(written).await?)
    }
}
