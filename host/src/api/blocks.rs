//! `GET /api/blocks`, with the registered model names offered as enums: a config property
//! named `model` lists the LLM models (the embedding models for a block that only embeds), one
//! named `embedding_model` the embedding models (as DataGenFlow does for its generators), when
//! any are registered.

use super::error::ErrorBody;
use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::{ApiError, AppState};
use crate::registry::views::BlockView;
use crate::runtime::Capability;
use crate::store::models::ModelKind;

/// Every block with its schema and source.
#[utoipa::path(get, path = "/api/blocks", tag = "blocks", responses((status = 200, description = "Every block: type, name, description, category, inputs, outputs, capabilities, config JSON Schema, source and content hash", body = Vec<BlockView>), (status = 401, description = "Missing or wrong API key", body = ErrorBody), (status = 500, description = "Storage failed", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<BlockView>>, ApiError> {
    let llm = state.store.model_names(ModelKind::Llm).await?;
    let embedding = state.store.model_names(ModelKind::Embedding).await?;
    let blocks = state
        .registry
        .list()
        .iter()
        .map(|block| {
            let mut view = block.view();
            if let Some(properties) = view
                .info
                .config_schema
                .get_mut("properties")
                .and_then(Value::as_object_mut)
            {
                // A block that only embeds (the `embeddings` capability without `llm`) names
                // an embedding model in its `model` property.
                let capabilities = &block.block.info.capabilities;
                let model_names = if capabilities.contains(&Capability::Embeddings)
                    && !capabilities.contains(&Capability::Llm)
                {
                    &embedding
                } else {
                    &llm
                };
                for (property, names) in [("model", model_names), ("embedding_model", &embedding)] {
                    if let Some(schema) = properties.get_mut(property) {
                        offer(schema, names);
                    }
                }
            }
            view
        })
        .collect();
    Ok(Json(blocks))
}

/// Adds `names` as the schema's `enum`, keeping null (or the empty string) allowed when the
/// schema allowed it, since both select the default model. Nothing changes without names.
fn offer(schema: &mut Value, names: &[String]) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if names.is_empty() {
        return;
    }
    let mut choices: Vec<Value> = names.iter().cloned().map(Value::String).collect();
    if allows_null(object) {
        choices.push(Value::Null);
    } else if allows_string(object) {
        choices.push(Value::String(String::new()));
    }
    object.insert("enum".to_owned(), Value::Array(choices));
}

fn type_includes(object: &serde_json::Map<String, Value>, name: &str) -> bool {
    let in_type = match object.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(types)) => types.iter().any(|t| t == name),
        _ => false,
    };
    let in_alternatives = ["anyOf", "oneOf"].iter().any(|key| {
        object
            .get(*key)
            .and_then(Value::as_array)
            .is_some_and(|alternatives| {
                alternatives
                    .iter()
                    .filter_map(Value::as_object)
                    .any(|alternative| type_includes(alternative, name))
            })
    });
    in_type || in_alternatives
}

fn allows_null(object: &serde_json::Map<String, Value>) -> bool {
    type_includes(object, "null")
}

fn allows_string(object: &serde_json::Map<String, Value>) -> bool {
    type_includes(object, "string")
}
