//! What a dataset card says, read from the store: the splits to export, each split's lineage
//! back to its sources, the jobs behind them (pipeline, models, tokens, cost, pass rate) and
//! the features of every row.

use super::datasets::{RowPages, VersionRow};
use super::{Store, StoreError};
use crate::datasets::card::{CardMeta, JobFacts, SplitFacts, render};
use crate::datasets::features::Features;
use crate::datasets::lineage::Lineage;

/// The splits `split` makes by default, in the order an export lists them (others follow by
/// name).
pub const SPLITS: [&str; 3] = ["train", "validation", "test"];

/// Versions a lineage walk reads at most (a merge of merges of merges...).
const MAX_LINEAGE: usize = 64;

impl Store {
    /// What an export of `name` holds: the splits its newest `split` made (see
    /// [`Store::split_versions`]) when there are any, else version `number` (or the newest)
    /// of `name` itself as `train`.
    pub async fn export_splits(
        &self,
        name: &str,
        number: Option<i64>,
    ) -> Result<Vec<(String, VersionRow)>, StoreError> {
        let mut splits = Vec::new();
        if number.is_none() {
            splits = self.split_versions(name).await?;
        }
        if splits.is_empty() {
            splits.push((
                "train".to_owned(),
                self.dataset_version(name, number).await?,
            ));
        }
        Ok(splits)
    }

    /// The splits of `name` that its newest `split` made: the `<name>.<split>` datasets whose
    /// newest version is a split of a version of `name`, from the same split (same source
    /// version, seed and fractions) as the newest of them; `train`, `validation`, `test`
    /// first, others by name.
    pub async fn split_versions(
        &self,
        name: &str,
    ) -> Result<Vec<(String, VersionRow)>, StoreError> {
        let prefix = format!("{name}.");
        let mut found: Vec<(String, VersionRow, Lineage)> = Vec::new();
        for dataset in self.datasets().await? {
            let Some(split) = dataset.name.strip_prefix(&prefix) else {
                continue;
            };
            let version = match self.dataset_version(&dataset.name, None).await {
                Ok(version) => version,
                // Deleted since it was listed.
                Err(StoreError::Missing { .. }) => continue,
                Err(e) => return Err(e),
            };
            if let Some(run) = split_run(&version.lineage, name, split) {
                found.push((split.to_owned(), version, run));
            }
        }
        let Some(newest) = found
            .iter()
            .max_by_key(|(_, v, _)| v.id)
            .map(|f| f.2.clone())
        else {
            return Ok(Vec::new());
        };
        let mut splits: Vec<(String, VersionRow)> = found
            .into_iter()
            .filter(|(_, _, run)| *run == newest)
            .map(|(split, version, _)| (split, version))
            .collect();
        splits.sort_by_key(|(split, _)| {
            (
                SPLITS
                    .iter()
                    .position(|s| s == split)
                    .unwrap_or(SPLITS.len()),
                split.clone(),
            )
        });
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
                    // An input deleted since is left out of the story, not an error; one kept
                    // by id is found by it, never another dataset that took its name.
                    let found = match input.id {
                        Some(_) if input.deleted => continue,
                        Some(id) => self.dataset_version_by_id(id).await,
                        None => {
                            self.dataset_version(&input.dataset, Some(input.version))
                                .await
                        }
                    };
                    if let Ok(found) = found {
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
        self.card_of_splits(name, &splits, meta).await
    }

    /// The `README.md` of `name` exported as `splits` (`(split name, version)`).
    pub async fn card_of_splits(
        &self,
        name: &str,
        splits: &[(String, VersionRow)],
        meta: &CardMeta,
    ) -> Result<String, StoreError> {
        let mut features = Features::default();
        let mut facts = Vec::with_capacity(splits.len());
        let mut jobs: Vec<JobFacts> = Vec::new();
        for (split, version) in splits {
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

/// The split `lineage` belongs to (its lineage without the split's name), when it is the split
/// `split` of a version of `name`.
fn split_run(lineage: &Lineage, name: &str, split: &str) -> Option<Lineage> {
    let Lineage::Operation {
        operation,
        inputs,
        params,
    } = lineage
    else {
        return None;
    };
    // A split of a version deleted since is a split of an earlier dataset of that name.
    let of_name = inputs.len() == 1 && inputs[0].dataset == name && !inputs[0].deleted;
    if operation != "split" || !of_name || params.get("split")?.as_str()? != split {
        return None;
    }
    let mut params = params.clone();
    params.as_object_mut()?.remove("split");
    Some(Lineage::Operation {
        operation: operation.clone(),
        inputs: inputs.clone(),
        params,
    })
}
