//! The template gallery: ready-made pipelines (DataGenFlow's `GET /api/templates`) shipped as
//! YAML files in `host/templates/` and embedded in the binary. Each file holds an `id` (its
//! file name), a `name`, a `description`, the pipeline definition (`blocks`, optional
//! `constraints`) and an `example_seed` list.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Pipeline;
use super::constraints::Constraints;
use super::pipeline::BlockSpec;

/// The embedded template files: file name without `.yaml`, and text.
const FILES: &[(&str, &str)] = &[
    (
        "text_generation",
        include_str!("../../templates/text_generation.yaml"),
    ),
    (
        "qa_generation",
        include_str!("../../templates/qa_generation.yaml"),
    ),
    (
        "json_extraction",
        include_str!("../../templates/json_extraction.yaml"),
    ),
    (
        "text_classification",
        include_str!("../../templates/text_classification.yaml"),
    ),
    (
        "data_augmentation",
        include_str!("../../templates/data_augmentation.yaml"),
    ),
    (
        "paraphrase_augmentation",
        include_str!("../../templates/paraphrase_augmentation.yaml"),
    ),
];

/// One template of the gallery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineTemplate {
    /// Stable id used in `/api/pipelines/from_template/{id}`.
    pub id: String,
    /// Display name; also the name of pipelines created from it.
    pub name: String,
    /// What the pipeline does.
    pub description: String,
    /// The blocks.
    pub blocks: Vec<BlockSpec>,
    /// Budgets, if any.
    #[serde(default)]
    pub constraints: Constraints,
    /// A seed list to try the pipeline with (DataGenFlow's `example_seed`).
    #[serde(default)]
    pub example_seed: Value,
}

impl PipelineTemplate {
    /// The pipeline this template creates.
    pub fn pipeline(&self) -> Pipeline {
        Pipeline {
            name: self.name.clone(),
            description: Some(self.description.clone()),
            blocks: self.blocks.clone(),
            constraints: self.constraints,
        }
    }
}

/// Why an embedded template file could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("template file {file}.yaml: {message}")]
pub struct TemplateFileError {
    /// The file name without extension.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

fn parse(file: &str, text: &str) -> Result<PipelineTemplate, TemplateFileError> {
    let error = |message: String| TemplateFileError {
        file: file.to_owned(),
        message,
    };
    let template: PipelineTemplate =
        serde_norway::from_str(text).map_err(|e| error(e.to_string()))?;
    if template.id != file {
        return Err(error(format!(
            "its id {:?} must equal its file name",
            template.id
        )));
    }
    if template.blocks.is_empty() {
        return Err(error("it has no blocks".to_owned()));
    }
    Ok(template)
}

/// Every embedded template that parses, in gallery order. A file that does not parse is left
/// out and logged once (a unit test keeps that from shipping).
pub fn all() -> &'static [PipelineTemplate] {
    static TEMPLATES: OnceLock<Vec<PipelineTemplate>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        FILES
            .iter()
            .filter_map(|(file, text)| match parse(file, text) {
                Ok(template) => Some(template),
                Err(e) => {
                    tracing::error!(error = %e, "a builtin pipeline template is broken");
                    None
                }
            })
            .collect()
    })
}

/// The template `id`, if the gallery has it.
pub fn get(id: &str) -> Option<&'static PipelineTemplate> {
    all().iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_seeds_json;

    #[test]
    fn every_file_parses_with_unique_ids_and_valid_example_seeds() {
        let mut ids = std::collections::HashSet::new();
        for (file, text) in FILES {
            let template = parse(file, text).unwrap_or_else(|e| panic!("{e}"));
            assert!(ids.insert(template.id.clone()), "duplicate id {file}");
            assert!(!template.name.is_empty() && !template.description.is_empty());
            let seeds = parse_seeds_json(&template.example_seed.to_string(), file)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!seeds.is_empty());
        }
        assert_eq!(all().len(), FILES.len());
        assert!(get("qa_generation").is_some());
        assert!(get("nope").is_none());
    }

    #[test]
    fn the_file_list_matches_the_folder() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.strip_suffix(".yaml").map(str::to_owned)
            })
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = FILES.iter().map(|(f, _)| (*f).to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "every template file is embedded");
    }

    #[test]
    fn a_file_whose_id_differs_from_its_name_is_refused() {
        let err = parse("a", "id: b\nname: n\ndescription: d\nblocks: [{type: X}]").unwrap_err();
        assert!(
            err.to_string().contains("must equal its file name"),
            "{err}"
        );
    }
}
