//! Which state fields a pipeline reads and writes, found without running it: the Jinja
//! variables of each block's template config fields (those whose schema `format` is `jinja2`
//! or `json-or-template`), the fields its config names (`field-reference` values the pipeline
//! sets) and each block's declared `outputs`.
//!
//! A field read before any earlier block writes it must come from the seed. A first block
//! that is a multiplier has its declared `inputs` counted as reads too: it runs on the seed,
//! and reads what it declares (`MarkdownMultiplierBlock`'s `file_content`), whereas a
//! transform's inputs may be alternatives (`ValidatorBlock` reads `text`, else `assistant`).
//! A multiplier later in the pipeline reads what the blocks before it wrote (TokenChunker
//! after HtmlToText reads `text`, named by its config): its declared inputs are taken as a
//! transform's, and the fields it writes, like any block's, are no seed fields. A block whose outputs are
//! `*` writes the keys of its `mappings` config object when it has one (as `FieldMapper`
//! does); otherwise nothing after it can be said about the seed's fields.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

use super::work_limits::{MAX_SCHEMA_FIELD_ENTRIES, TooMuchWork};
use super::{BlockSpec, Pipeline};
use crate::registry::Registry;
use crate::runtime::BlockInfo;
use crate::template;

/// Schema formats of config fields the blocks render as Jinja.
const TEMPLATE_FORMATS: &[&str] = &["jinja2", "json-or-template"];

/// A config field whose template does not parse.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TemplateIssue {
    /// The config key.
    pub field: String,
    /// The parser's message.
    pub message: String,
}

/// What one step reads and writes.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StepFields {
    /// Zero-based step.
    pub step: usize,
    /// The block type.
    pub block_type: String,
    /// Whether the registry knows the block type.
    pub known: bool,
    /// Variables its templates read.
    pub reads: Vec<String>,
    /// Fields it writes (`*`: any, not known in advance).
    pub outputs: Vec<String>,
    /// Fields in the state after this step (seed fields included).
    pub fields: Vec<String>,
    /// Templates that do not parse.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub template_errors: Vec<TemplateIssue>,
}

/// The state fields of a pipeline, step by step.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StateFields {
    /// Fields the seeds must provide: read by a block before any earlier block writes them.
    pub seed_fields: Vec<String>,
    /// Every field in the final state, sorted.
    pub fields: Vec<String>,
    /// Per step.
    pub steps: Vec<StepFields>,
}

/// Reads and writes of every step of `pipeline`, with the seed fields they imply; refused when
/// the steps' field lists would hold more than [`MAX_SCHEMA_FIELD_ENTRIES`] names (each step
/// lists every field so far, so the answer grows with steps × fields).
pub fn state_fields(pipeline: &Pipeline, registry: &Registry) -> Result<StateFields, TooMuchWork> {
    let mut seed_fields = BTreeSet::new();
    let mut written = BTreeSet::new();
    // Once a block may write anything, later reads may come from it.
    let mut writes_unknown = false;
    let mut steps = Vec::with_capacity(pipeline.blocks.len());
    for (step, spec) in pipeline.blocks.iter().enumerate() {
        let block = registry.get(&spec.block_type);
        let info = block.as_ref().map(|b| &b.info);
        let (mut reads, template_errors) = match info {
            Some(info) => template_reads(spec, info),
            None => (BTreeSet::new(), Vec::new()),
        };
        // A multiplier, wherever it stands, reads its declared inputs, unless its config names
        // the field it reads (TokenChunker's `field_name`): that field is read instead.
        if let Some(info) = info.filter(|info| info.is_multiplier && !names_a_field(spec, info)) {
            reads.extend(info.inputs.iter().filter(|i| *i != "*").cloned());
        }
        if !writes_unknown {
            seed_fields.extend(reads.iter().filter(|r| !written.contains(*r)).cloned());
        }
        let outputs = info.map(|info| outputs_of(spec, info)).unwrap_or_default();
        writes_unknown |= info.is_none() || outputs.iter().any(|o| o == "*");
        written.extend(outputs.iter().filter(|o| *o != "*").cloned());
        steps.push(StepFields {
            step,
            block_type: spec.block_type.clone(),
            known: info.is_some(),
            reads: reads.into_iter().collect(),
            outputs,
            fields: Vec::new(),
            template_errors,
        });
    }
    // The seed fields are known only once every step is read: fill `fields` afterwards, once
    // their total is known to be bounded.
    let mut counted: BTreeSet<&str> = seed_fields.iter().map(String::as_str).collect();
    let mut entries = 0u64;
    for step in &steps {
        counted.extend(
            step.outputs
                .iter()
                .filter(|o| *o != "*")
                .map(String::as_str),
        );
        entries += counted.len() as u64;
    }
    drop(counted);
    if entries > MAX_SCHEMA_FIELD_ENTRIES {
        return Err(TooMuchWork::SchemaEntries {
            entries,
            limit: MAX_SCHEMA_FIELD_ENTRIES,
        });
    }
    let mut so_far: BTreeSet<String> = seed_fields.clone();
    for step in &mut steps {
        so_far.extend(step.outputs.iter().filter(|o| *o != "*").cloned());
        step.fields = so_far.iter().cloned().collect();
    }
    Ok(StateFields {
        seed_fields: seed_fields.into_iter().collect(),
        fields: so_far.into_iter().collect(),
        steps,
    })
}

/// The schema `format` of a config field whose value names a state field.
const FIELD_REFERENCE: &str = "field-reference";

/// The variables read by the template config fields of one step, the fields its config names
/// (`field-reference` values set in the pipeline), and the templates that do not parse.
pub(super) fn template_reads(
    spec: &BlockSpec,
    info: &BlockInfo,
) -> (BTreeSet<String>, Vec<TemplateIssue>) {
    let mut reads = BTreeSet::new();
    let mut issues = Vec::new();
    for (key, value) in &spec.config {
        let format = config_format(info, key);
        // A field named in the config (`WebFetch`'s `url_field: url`) is read as it is.
        if format == Some(FIELD_REFERENCE) {
            if let Some(field) = value.as_str().filter(|f| !f.is_empty()) {
                reads.insert(field.to_owned());
            }
            continue;
        }
        if !format.is_some_and(|f| TEMPLATE_FORMATS.contains(&f)) {
            continue;
        }
        let mut sources = Vec::new();
        strings_in(value, &mut sources);
        for source in sources {
            match template::undeclared_variables(source) {
                Ok(names) => reads.extend(names),
                Err(e) => issues.push(TemplateIssue {
                    field: key.clone(),
                    message: e.to_string(),
                }),
            }
        }
    }
    (reads, issues)
}

/// The schema `format` of config field `key` of the block `info` describes.
fn config_format<'a>(info: &'a BlockInfo, key: &str) -> Option<&'a str> {
    info.config_schema
        .get("properties")
        .and_then(Value::as_object)
        .and_then(|p| p.get(key))
        .and_then(|p| p.get("format"))
        .and_then(Value::as_str)
}

/// Whether the config of `spec` sets a `field-reference` value (a field the block reads).
fn names_a_field(spec: &BlockSpec, info: &BlockInfo) -> bool {
    spec.config.iter().any(|(key, value)| {
        config_format(info, key) == Some(FIELD_REFERENCE)
            && value.as_str().is_some_and(|f| !f.is_empty())
    })
}

/// Every string inside `value` that holds Jinja syntax.
fn strings_in<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) if s.contains("{{") || s.contains("{%") => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings_in(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings_in(v, out)),
        _ => {}
    }
}

/// The declared outputs, with `*` replaced by the keys of a `mappings` config object.
fn outputs_of(spec: &BlockSpec, info: &BlockInfo) -> Vec<String> {
    if !info.outputs.iter().any(|o| o == "*") {
        return info.outputs.clone();
    }
    let mappings: Option<Map<String, Value>> = match spec.config.get("mappings") {
        Some(Value::Object(map)) => Some(map.clone()),
        Some(Value::String(text)) => serde_json::from_str(text).ok(),
        _ => None,
    };
    match mappings {
        Some(map) => {
            let mut outputs: Vec<String> =
                info.outputs.iter().filter(|o| *o != "*").cloned().collect();
            outputs.extend(map.keys().cloned());
            outputs
        }
        None => info.outputs.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info(outputs: &[&str], schema: Value) -> BlockInfo {
        BlockInfo {
            type_name: "T".to_owned(),
            name: "T".to_owned(),
            description: String::new(),
            category: "general".to_owned(),
            inputs: Vec::new(),
            outputs: outputs.iter().map(|s| (*s).to_owned()).collect(),
            config_schema: schema,
            capabilities: Vec::new(),
            kind: crate::runtime::BlockKind::Transform,
            is_multiplier: false,
        }
    }

    fn spec(config: Value) -> BlockSpec {
        BlockSpec {
            block_type: "T".to_owned(),
            config: config.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn reads_only_template_fields_and_reports_broken_templates() {
        let schema = json!({"properties": {
            "user_prompt": {"type": "string", "format": "jinja2"},
            "mappings": {"format": "json-or-template"},
            "plain": {"type": "string"}}});
        let (reads, issues) = template_reads(
            &spec(json!({
                "user_prompt": "About {{ topic }} for {{ who | default('you') }}",
                "mappings": {"a": "{{ x.y }}", "b": ["{% if z %}1{% endif %}"]},
                "plain": "{{ not_read }}"})),
            &info(&["out"], schema.clone()),
        );
        let reads: Vec<&str> = reads.iter().map(String::as_str).collect();
        assert_eq!(reads, ["topic", "who", "x", "z"]);
        assert!(issues.is_empty());
        let (_, issues) = template_reads(
            &spec(json!({"user_prompt": "{{ broken "})),
            &info(&[], schema),
        );
        assert_eq!(issues[0].field, "user_prompt");
    }

    #[test]
    fn a_field_named_in_the_config_is_read() {
        let schema = json!({"properties": {
            "url_field": {"type": "string", "format": "field-reference"},
            "plain": {"type": "string"}}});
        let (reads, issues) = template_reads(
            &spec(json!({"url_field": "link", "plain": "not_read"})),
            &info(&["html"], schema.clone()),
        );
        assert_eq!(reads.into_iter().collect::<Vec<_>>(), ["link"]);
        assert!(issues.is_empty());
        let (reads, _) = template_reads(&spec(json!({"url_field": ""})), &info(&[], schema));
        assert!(reads.is_empty());
    }

    #[test]
    fn star_outputs_become_the_mapping_keys() {
        let mapper = info(&["*"], json!({}));
        assert_eq!(
            outputs_of(&spec(json!({"mappings": {"q": "1", "a": "2"}})), &mapper),
            ["q", "a"]
        );
        assert_eq!(
            outputs_of(&spec(json!({"mappings": "{\"k\": \"v\"}"})), &mapper),
            ["k"]
        );
        assert_eq!(outputs_of(&spec(json!({})), &mapper), ["*"]);
    }
}
