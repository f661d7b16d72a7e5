//! Operation ids of the OpenAPI description, unique as the specification requires.
//!
//! utoipa names an operation after its handler function, and handlers of different modules
//! share names (`list`, `get`, `delete`…): generated clients that key operations by id
//! (openapi-typescript, openapi-generator) would give one path another's types. [`assign`]
//! names each operation after its method and path instead: `GET /api/datasets/{name}/export`
//! is `get_api_datasets_name_export`.

use utoipa::openapi::OpenApi;

/// Gives every operation of `doc` the id [`operation_id`] makes of its method and path.
pub fn assign(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation) in [
            ("get", &mut item.get),
            ("head", &mut item.head),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
            ("options", &mut item.options),
            ("trace", &mut item.trace),
        ] {
            if let Some(operation) = operation {
                operation.operation_id = Some(operation_id(method, path));
            }
        }
    }
}

/// `method` and the words of `path` joined by `_`, lowercase: `post`, `/api/jobs/{id}/cancel`
/// → `post_api_jobs_id_cancel`.
fn operation_id(method: &str, path: &str) -> String {
    let words = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase);
    std::iter::once(method.to_owned())
        .chain(words)
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_the_method_and_the_words_of_the_path() {
        assert_eq!(
            operation_id("get", "/api/datasets/{name}/export"),
            "get_api_datasets_name_export"
        );
        assert_eq!(operation_id("get", "/metrics"), "get_metrics");
        assert_eq!(operation_id("get", "/api/metrics"), "get_api_metrics");
        assert_eq!(
            operation_id("post", "/api/llm-models/{name}/default"),
            "post_api_llm_models_name_default"
        );
    }
}
