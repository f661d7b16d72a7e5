//! Checks a pipeline against the registry before anything runs: every block type exists,
//! every config matches its block's schema and its templates parse, and at most one block is
//! a multiplier (at any step: a run that reaches it goes on as its children). A pipeline of
//! more blocks than `MAX_PIPELINE_BLOCKS` is refused first.

use std::sync::Arc;

use serde::Serialize;

use super::{BlockSpec, Pipeline};
use crate::registry::Registry;
use crate::runtime::{BlockKind, LoadedBlock};

/// One problem found in a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationIssue {
    /// Zero-based step, when the problem belongs to one.
    pub step: Option<usize>,
    /// The block type at that step.
    pub block_type: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.step, &self.block_type) {
            (Some(step), Some(block_type)) => {
                write!(f, "step {step} ({block_type}): {}", self.message)
            }
            _ => f.write_str(&self.message),
        }
    }
}

/// Every problem of a pipeline at once.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[error("the pipeline is not valid:\n  {}", issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
pub struct PipelineInvalid {
    /// The problems.
    pub issues: Vec<ValidationIssue>,
}

/// A step ready to run.
#[derive(Clone)]
pub struct Step {
    /// The definition.
    pub spec: BlockSpec,
    /// The block, as loaded when the pipeline was validated (a later reload does not change a
    /// running pipeline).
    pub block: Arc<LoadedBlock>,
}

/// A pipeline whose blocks all exist and whose configs are valid.
#[derive(Clone)]
pub struct ValidPipeline {
    /// The definition.
    pub pipeline: Pipeline,
    /// Its steps.
    pub steps: Vec<Step>,
}

impl ValidPipeline {
    /// Whether the first block is a multiplier.
    pub fn starts_with_multiplier(&self) -> bool {
        self.multiplier_step() == Some(0)
    }

    /// The step of the pipeline's multiplier, if it has one.
    pub fn multiplier_step(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| s.block.info.kind == BlockKind::Multiplier)
    }
}

/// Validates `pipeline` against the blocks in `registry`.
pub fn validate(
    pipeline: &Pipeline,
    registry: &Registry,
) -> Result<ValidPipeline, PipelineInvalid> {
    // A pipeline past the block limit is not looked at further: each block costs work.
    if let Err(too_many) =
        super::work_limits::check_blocks(pipeline.blocks.len(), registry.runtime().limits())
    {
        return Err(PipelineInvalid {
            issues: vec![ValidationIssue {
                step: None,
                block_type: None,
                message: too_many.to_string(),
            }],
        });
    }
    let mut issues = Vec::new();
    let mut steps = Vec::new();
    // The first multiplier's step and type: a second one is refused naming both.
    let mut multiplier: Option<(usize, String)> = None;
    for (index, spec) in pipeline.blocks.iter().enumerate() {
        let issue = |message: String| ValidationIssue {
            step: Some(index),
            block_type: Some(spec.block_type.clone()),
            message,
        };
        let Some(block) = registry.get(&spec.block_type) else {
            issues.push(issue(format!(
                "unknown block type '{}'; available: {}",
                spec.block_type,
                registry.type_names().join(", ")
            )));
            continue;
        };
        for error in block.config_errors(&spec.config) {
            issues.push(issue(format!("invalid config: {error}")));
        }
        for error in
            super::config_numbers::integer_range_errors(&spec.config, &block.info.config_schema)
        {
            issues.push(issue(format!("invalid config: {error}")));
        }
        // A template that does not parse would fail every run: say so before any runs.
        for bad in super::fields::template_reads(spec, &block.info).1 {
            issues.push(issue(format!(
                "invalid config: the template in `{}` does not parse: {}",
                bad.field, bad.message
            )));
        }
        if block.info.kind == BlockKind::Multiplier {
            match &multiplier {
                Some((first, first_type)) => issues.push(issue(format!(
                    "a pipeline may have one multiplier block, and step {first} ({first_type}) \
                     is one already (the children of a multiplier do not expand again)"
                ))),
                None => multiplier = Some((index, spec.block_type.clone())),
            }
        }
        steps.push(Step {
            spec: spec.clone(),
            block,
        });
    }
    if issues.is_empty() {
        Ok(ValidPipeline {
            pipeline: pipeline.clone(),
            steps,
        })
    } else {
        Err(PipelineInvalid { issues })
    }
}
