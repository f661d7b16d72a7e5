//! The template gallery: ready-made pipelines (DataGenFlow's `GET /api/templates`) shipped as
//! YAML files in `host/templates/` and embedded in the binary. A file is in DataGenFlow's
//! format — `name`, `description`, the pipeline definition (`blocks`, optional
//! `constraints`), its id being its file name, and its example seed in
//! `seeds/seed_<id>.json` (a seed list) or `seeds/seed_<id>.md` (a document, given to the
//! pipeline as one seed's `file_content`) — or may carry its `id` and an inline
//! `example_seed` list instead.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Pipeline;
use super::pipeline::BlockSpec;
use crate::usage::Constraints;

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
        "json_generation",
        include_str!("../../templates/json_generation.yaml"),
    ),
    (
        "passage_qa",
        include_str!("../../templates/passage_qa.yaml"),
    ),
    (
        "text_labeling",
        include_str!("../../templates/text_labeling.yaml"),
    ),
    (
        "ragas_evaluation",
        include_str!("../../templates/ragas_evaluation.yaml"),
    ),
    (
        "paraphrase_augmentation",
        include_str!("../../templates/paraphrase_augmentation.yaml"),
    ),
    (
        "scenario_conversations",
        include_str!("../../templates/scenario_conversations.yaml"),
    ),
    (
        "document_summarization",
        include_str!("../../templates/document_summarization.yaml"),
    ),
    (
        "instruction_following",
        include_str!("../../templates/instruction_following.yaml"),
    ),
    (
        "classification_with_confidence",
        include_str!("../../templates/classification_with_confidence.yaml"),
    ),
    (
        "document_qa_pairs",
        include_str!("../../templates/document_qa_pairs.yaml"),
    ),
    (
        "web_pages_qa",
        include_str!("../../templates/web_pages_qa.yaml"),
    ),
];

/// The embedded example seed files (`host/templates/seeds/`): file name and text.
const SEED_FILES: &[(&str, &str)] = &[
    (
        "seed_qa_generation.md",
        include_str!("../../templates/seeds/seed_qa_generation.md"),
    ),
    (
        "seed_json_generation.json",
        include_str!("../../templates/seeds/seed_json_generation.json"),
    ),
    (
        "seed_text_classification.json",
        include_str!("../../templates/seeds/seed_text_classification.json"),
    ),
    (
        "seed_document_summarization.json",
        include_str!("../../templates/seeds/seed_document_summarization.json"),
    ),
    (
        "seed_instruction_following.json",
        include_str!("../../templates/seeds/seed_instruction_following.json"),
    ),
    (
        "seed_classification_with_confidence.json",
        include_str!("../../templates/seeds/seed_classification_with_confidence.json"),
    ),
    (
        "seed_document_qa_pairs.md",
        include_str!("../../templates/seeds/seed_document_qa_pairs.md"),
    ),
    (
        "seed_web_pages_qa.json",
        include_str!("../../templates/seeds/seed_web_pages_qa.json"),
    ),
];

/// One template of the gallery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Template)]
#[serde(deny_unknown_fields)]
pub struct PipelineTemplate {
    /// Stable id used in `/api/pipelines/from_template/{id}`: the file name (a file may say
    /// it again).
    #[serde(default)]
    #[schema(required = true)]
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
    /// A seed list to try the pipeline with (DataGenFlow's `example_seed`): inline, or read
    /// from the template's seed file.
    #[serde(default)]
    #[schema(value_type = serde_json::Value)]
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
    let mut template: PipelineTemplate =
        serde_norway::from_str(text).map_err(|e| error(e.to_string()))?;
    if template.id.is_empty() {
        template.id = file.to_owned();
    } else if template.id != file {
        return Err(error(format!(
            "its id {:?} must equal its file name",
            template.id
        )));
    }
    if template.blocks.is_empty() {
        return Err(error("it has no blocks".to_owned()));
    }
    match (example_seed_file(file), template.example_seed.is_null()) {
        (Some(seed), true) => template.example_seed = seed.map_err(error)?,
        (Some(_), false) => {
            return Err(error(format!(
                "it has an inline example_seed and a seed file seeds/seed_{file}.*: keep one"
            )));
        }
        (None, _) => {}
    }
    Ok(template)
}

/// The example seed list of template `id` from its seed file, if it has one: a JSON seed
/// file as it is, a Markdown document as one seed whose `file_content` is the text (as
/// DataGenFlow's gallery gives it).
fn example_seed_file(id: &str) -> Option<Result<Value, String>> {
    let json_name = format!("seed_{id}.json");
    let markdown_name = format!("seed_{id}.md");
    let (name, text) = SEED_FILES
        .iter()
        .find(|(name, _)| *name == json_name || *name == markdown_name)?;
    Some(if name.ends_with(".md") {
        Ok(serde_json::json!([{"repetitions": 1, "metadata": {"file_content": text}}]))
    } else {
        serde_json::from_str(text).map_err(|e| format!("seeds/{name}: {e}"))
    })
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

        let mut seeds_on_disk: Vec<String> = std::fs::read_dir(folder.join("seeds"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        seeds_on_disk.sort();
        let mut seeds_listed: Vec<String> =
            SEED_FILES.iter().map(|(f, _)| (*f).to_owned()).collect();
        seeds_listed.sort();
        assert_eq!(seeds_on_disk, seeds_listed, "every seed file is embedded");
        for (name, _) in SEED_FILES {
            let id = name
                .strip_prefix("seed_")
                .and_then(|n| n.strip_suffix(".json").or_else(|| n.strip_suffix(".md")))
                .unwrap_or_else(|| panic!("{name} is not seed_<id>.json or .md"));
            assert!(listed.iter().any(|l| l == id), "{name} has no template");
        }
    }

    #[test]
    fn datagenflow_templates_take_their_id_from_the_file_and_their_seed_from_its_file() {
        let qa = get("qa_generation").unwrap();
        assert_eq!(qa.blocks[0].block_type, "MarkdownMultiplierBlock");
        let seeds = qa.example_seed.as_array().unwrap();
        assert_eq!(seeds.len(), 1);
        assert_eq!(seeds[0]["repetitions"], 1);
        let document = seeds[0]["metadata"]["file_content"].as_str().unwrap();
        assert!(document.starts_with("# The Honeybee Colony"));
        let json = get("json_generation").unwrap();
        assert_eq!(json.id, "json_generation");
        assert!(json.example_seed[0]["metadata"]["content"].is_string());
    }

    #[test]
    fn an_inline_seed_beside_a_seed_file_is_refused() {
        let err = parse(
            "qa_generation",
            "name: n\ndescription: d\nblocks: [{type: X}]\nexample_seed: [{metadata: {}}]",
        )
        .unwrap_err();
        assert!(err.to_string().contains("keep one"), "{err}");
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
