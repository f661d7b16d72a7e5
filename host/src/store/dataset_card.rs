//! What a dataset card says, read from the store: the splits to export, each split's lineage
//! back to its sources, the jobs behind them (pipeline, models, tokens, cost, pass rate) and
//! the features of every row.

use super::datasets::{RowPages, VersionRow};
use super::{Store, StoreError};
use crate::datasets::card::{CardMeta, JobFacts, SplitFacts, render};
use crate::datasets::features::Features;
use crate::datasets::lineage::Lineage;

/// The splits [`Store::export_splits`] looks for, as `<name>.<split>` datasets.
pub const SPLITS: [&str; 3] = ["train", "validation", "test"];

/// Versions a lineage walk reads at most (a merge of merges of merges...).
const MAX_LINEAGE: usize = 64;

impl Store {
    /// What an export of `name` holds: its `<name>.train`, `.validation` and `.test` datasets
    /// (their newest versions) when any exists, else version `number` (or the newest) of
    /// `name` itself as `train`.
    pub async fn export_splits(
        &self,
        name: &str,
        number: Option<i64>,
    ) -> Result<Vec<(String, VersionRow)>, StoreError> {
        let mut splits = Vec::new();
        if number.is_none() {
            for split in SPLITS {
                match self.dataset_version(&format!("{name}.{split}"), None).await {
                    Ok(version) => splits.push((split.to_owned(), version)),
                    Err(StoreError::Missing { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if splits.is_empty() {
            splits.push((
                "train".to_owned(),
                self.dataset_version(name, number).await?,
            ));
        }
        Ok(splits)
    }

    /// `version`'s lineage and, through operations, its inputs', newest first.
    pub async fn lineage_of(
        &self,
        version: &VersionRow,
    ) -> Result<Vec<(String, i64, Lineage)>, StoreError> {
        let mut walked = vec![(
            version.dataset.clone(),
            version.number,
            version.lineage.clone(),
        )];
        let mut next = 0;
        while next < walked.len() && walked.len() < MAX_LINEAGE {
            if let Lineage::Operation { inputs, .. } = walked[next].2.clone() {
                for input in inputs {
                    if walked
                        .iter()
                        .any(|(d, v, _)| *d == input.dataset && *v == input.version)
                    {
                        continue;
                    }
                    // An input deleted since is left out of the story, not an error.
                    if let Ok(found) = self
                        .dataset_version(&input.dataset, Some(input.version))
                        .await
                    {
                        walked.push((found.dataset, found.number, found.lineage));
                    }
                }
            }
            next += 1;
        }
        Ok(walked)
    }

    /// What the job `job_id` spent and how its records fared, if it still exists.
    pub async fn job_facts(&self, job_id: i64) -> Result<Option<JobFacts>, StoreError> {
        let job = match self.job(job_id).await {
            Ok(job) => job,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let pipeline = match self.pipeline(job.pipeline_id).await {
            Ok(pipeline) => pipeline.name,
            Err(StoreError::NotFound { .. }) => format!("pipeline {}", job.pipeline_id),
            Err(e) => return Err(e),
        };
        let quality = self.job_quality(job_id).await?;
        Ok(Some(JobFacts {
            job_id,
            pipeline,
            models: job
                .usage_by_model
                .0
                .iter()
                .map(|(model, usage)| {
                    (
                        model.clone(),
                        usage.input_tokens,
                        usage.output_tokens,
                        usage.cost.usd(),
                    )
                })
                .collect(),
            tokens: (job.usage.input_tokens, job.usage.output_tokens),
            cost_usd: job.usage.cost.usd(),
            checked: quality.checked,
            passed: quality.passed,
        }))
    }

    /// The features of every row of `version`, read a page at a time.
    pub async fn features_of(&self, version: &VersionRow) -> Result<Features, StoreError> {
        let mut features = Features::default();
        let mut pages = RowPages::new(self, version);
        while let Some(page) = pages.next().await? {
            page.iter().for_each(|row| features.add(&row.row));
        }
        Ok(features)
    }

    /// The `README.md` of an export of `name` (see [`Store::export_splits`]).
    pub async fn dataset_card(
        &self,
        name: &str,
        number: Option<i64>,
        meta: &CardMeta,
    ) -> Result<String, StoreError> {
        let splits = self.export_splits(name, number).await?;
        let mut features = Features::default();
        let mut facts = Vec::with_capacity(splits.len());
        let mut jobs: Vec<JobFacts> = Vec::new();
        for (split, version) in &splits {
            let split_features = self.features_of(version).await?;
            for (field, feature) in split_features.0 {
                match features.0.iter_mut().find(|(f, _)| *f == field) {
                    Some((_, existing)) => {
                        *existing = existing.clone().merge(feature);
                    }
                    None => features.0.push((field, feature)),
                }
            }
            let lineage = self.lineage_of(version).await?;
            for (_, _, step) in &lineage {
                if let Lineage::Job { job_id, .. } = step
                    && jobs.iter().all(|j| j.job_id != *job_id)
                    && let Some(job) = self.job_facts(*job_id).await?
                {
                    jobs.push(job);
                }
            }
            facts.push(SplitFacts {
                name: split.clone(),
                rows: version.row_count.max(0) as u64,
                lineage,
            });
        }
        Ok(render(name, meta, &features, &facts, &jobs))
    }
}
