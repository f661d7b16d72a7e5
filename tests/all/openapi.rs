//! `GET /openapi.json`: generated from the handlers, it describes every endpoint the server
//! serves, with parameters, bodies and the error shape.

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::Value;

use crate::api::client;

/// Every endpoint of the server issue, as (method, path).
const ENDPOINTS: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/openapi.json"),
    ("get", "/api/metrics"),
    ("get", "/api/langfuse/status"),
    ("get", "/api/extensions/status"),
    ("get", "/api/extensions/blocks"),
    ("get", "/api/extensions/templates"),
    ("post", "/api/extensions/reload"),
    ("post", "/api/extensions/blocks/{name}/validate"),
    ("get", "/api/extensions/blocks/{name}/dependencies"),
    ("post", "/api/extensions/blocks/{name}/install-deps"),
    ("get", "/api/blocks"),
    ("get", "/api/settings"),
    ("put", "/api/settings"),
    ("get", "/api/settings/api-keys"),
    ("post", "/api/settings/api-keys"),
    ("delete", "/api/settings/api-keys/{id}"),
    ("get", "/metrics"),
    ("get", "/api/plugins"),
    ("post", "/api/plugins"),
    ("get", "/api/plugins/{name}/grants"),
    ("put", "/api/plugins/{name}/grants"),
    ("get", "/api/templates"),
    ("post", "/api/pipelines/from_template/{template_id}"),
    ("get", "/api/pipelines"),
    ("post", "/api/pipelines"),
    ("get", "/api/pipelines/{id}"),
    ("put", "/api/pipelines/{id}"),
    ("delete", "/api/pipelines/{id}"),
    ("post", "/api/pipelines/{id}/execute"),
    ("get", "/api/pipelines/{id}/accumulated_state_schema"),
    ("put", "/api/pipelines/{id}/validation_config"),
    ("post", "/api/seeds/validate"),
    ("post", "/api/generate"),
    ("get", "/api/jobs"),
    ("get", "/api/jobs/active"),
    ("get", "/api/jobs/{id}"),
    ("delete", "/api/jobs/{id}"),
    ("get", "/api/jobs/{id}/stream"),
    ("get", "/api/records"),
    ("delete", "/api/records"),
    ("get", "/api/records/{id}"),
    ("put", "/api/records/{id}"),
    ("get", "/api/export"),
    ("get", "/api/export/download"),
    ("get", "/api/llm-models"),
    ("post", "/api/llm-models"),
    ("get", "/api/llm-models/{name}"),
    ("put", "/api/llm-models/{name}"),
    ("delete", "/api/llm-models/{name}"),
    ("put", "/api/llm-models/{name}/default"),
    ("post", "/api/llm-models/test"),
    ("get", "/api/llm-models/test"),
    ("put", "/api/llm-models/test"),
    ("delete", "/api/llm-models/test"),
    ("get", "/api/embedding-models"),
    ("post", "/api/embedding-models"),
    ("get", "/api/embedding-models/{name}"),
    ("put", "/api/embedding-models/{name}"),
    ("delete", "/api/embedding-models/{name}"),
    ("put", "/api/embedding-models/{name}/default"),
    ("post", "/api/embedding-models/test"),
    ("get", "/api/embedding-models/test"),
    ("put", "/api/embedding-models/test"),
    ("delete", "/api/embedding-models/test"),
    ("get", "/api/datasets"),
    ("get", "/api/datasets/{name}"),
    ("delete", "/api/datasets/{name}"),
    ("post", "/api/datasets/preview"),
    ("post", "/api/datasets/{name}/import"),
    ("post", "/api/datasets/{name}/from-job"),
    ("get", "/api/datasets/{name}/rows"),
    ("put", "/api/datasets/{name}/rows/{position}"),
    ("post", "/api/datasets/{name}/convert"),
    ("post", "/api/datasets/merge"),
    ("post", "/api/datasets/{name}/sample"),
    ("post", "/api/datasets/{name}/split"),
    ("get", "/api/datasets/{name}/export"),
    ("get", "/api/datasets/{name}/card"),
    ("post", "/api/datasets/{name}/push"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_description_covers_every_endpoint() {
    let mut ws = Workspace::new();
    // The description is public, like /health.
    ws.set_env("API_KEY", "secret");
    let (_server, doc) = serve_and_describe(&ws).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    assert_eq!(doc["info"]["title"], "blockforge");
    for (method, path) in ENDPOINTS {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not described");
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
        for param in ["id", "name"] {
            if path.contains(&format!("{{{param}}}")) {
                let params = operation["parameters"].as_array().unwrap();
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == param && p["in"] == "path"),
                    "{method} {path}"
                );
            }
        }
    }
    // Query filters, multipart forms and the error shape are described too.
    let records = &doc["paths"]["/api/records"]["get"]["parameters"];
    for name in ["status", "job_id", "pipeline_id", "limit", "offset"] {
        assert!(
            records
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == name && p["in"] == "query"),
            "records filter {name} missing: {records}"
        );
    }
    let grants = &doc["paths"]["/api/plugins/{name}/grants"]["get"]["parameters"];
    assert!(
        grants
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "kind" && p["in"] == "query" && p["required"] == false),
        "grants' kind is an optional query parameter: {grants}"
    );
    let generate = &doc["paths"]["/api/generate"]["post"]["requestBody"]["content"];
    assert!(generate["multipart/form-data"].is_object(), "{generate}");
    let model_body = &doc["paths"]["/api/llm-models"]["post"]["requestBody"]["content"];
    assert!(
        model_body["application/json"]["schema"].is_object(),
        "{model_body}"
    );
    assert!(doc["components"]["schemas"]["ErrorBody"]["properties"]["detail"].is_object());
    // The description holds exactly these operations: a new endpoint must be added here.
    let described: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(described, ENDPOINTS.len(), "{}", doc["paths"]);
}

/// Whether `schema` names what it holds: a `$ref` to a component, or a list of such, of
/// strings or of open objects (a dataset's rows); not a free-form value or object.
fn is_typed(schema: &Value) -> bool {
    if schema["$ref"].is_string() {
        return true;
    }
    if schema["type"] == "array" {
        let items = &schema["items"];
        return items["$ref"].is_string()
            || items["type"] == "string"
            || (items["type"] == "object" && items["additionalProperties"].is_object());
    }
    false
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get("$ref") {
                out.push(target);
            }
            object.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_json_success_answer_is_a_named_type() {
    let ws = Workspace::new();
    let (_server, doc) = serve_and_describe(&ws).await;
    let mut untyped = Vec::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        // The description itself is an OpenAPI document, not one of this API's types.
        if path == "/openapi.json" {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if !status.starts_with('2') {
                    continue;
                }
                let Some(content) = response["content"].as_object() else {
                    continue;
                };
                for (media, body) in content {
                    if media != "application/json" {
                        continue;
                    }
                    checked += 1;
                    if !is_typed(&body["schema"]) {
                        untyped.push(format!("{method} {path} {status}: {}", body["schema"]));
                    }
                }
            }
        }
    }
    assert!(
        untyped.is_empty(),
        "answers without a named schema:\n{}",
        untyped.join("\n")
    );
    assert!(checked > 60, "only {checked} JSON answers were checked");
    // Every named schema is in the description.
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    for target in targets {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or(target);
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{target} is referred to but not described"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_has_its_own_id() {
    let ws = Workspace::new();
    let (_server, served) = serve_and_describe(&ws).await;
    let mut seen = std::collections::HashMap::new();
    let paths = served["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("a path item") {
            let Some(id) = operation["operationId"].as_str() else {
                panic!("{method} {path} has no operationId");
            };
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("{method} {path} and {other} share the operationId {id}");
            }
        }
    }
    assert!(seen.len() > 70, "{} operations", seen.len());
}

/// The OpenAPI description committed beside the web UI, from which its API types are made.
const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/src/api/openapi.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_description_is_the_servers() {
    let ws = Workspace::new();
    let (_server, served) = serve_and_describe(&ws).await;
    let committed: Value = std::fs::read_to_string(COMMITTED)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    assert!(
        committed == served,
        "{COMMITTED} is not what the server describes: regenerate it with `make openapi` \
         (`blockforge openapi > web/src/api/openapi.json`), then rebuild the web UI \
         (`cd web && npm run build`), whose API types are made from it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_command_prints_what_the_server_describes() {
    let ws = Workspace::new();
    let (_server, served) = serve_and_describe(&ws).await;
    let printed = ws.run(&["openapi"]).await;
    assert_eq!(printed.code, Some(0), "{}", printed.stderr);
    let printed: Value = serde_json::from_str(&printed.stdout).unwrap();
    assert!(
        printed == served,
        "blockforge openapi differs from GET /openapi.json"
    );
}

/// A server on a fresh SQLite file of `ws`, and its OpenAPI description.
pub(crate) async fn serve_and_describe(ws: &Workspace) -> (Server, Value) {
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("db.sqlite").display()
        ))
        .await;
    let response = client()
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc = response.json().await.unwrap();
    (server, doc)
}

/// The statuses the extractors and layers answer with, which the description must list.
const EXTRACTOR_STATUSES: &[u16] = &[400, 413, 415, 422];

/// `path` of the description with every `{parameter}` replaced by `value`.
fn fill(path: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(value);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_400_415_and_422_answers_the_routes_give_are_described() {
    let ws = Workspace::new();
    let (server, doc) = serve_and_describe(&ws).await;
    let mut probed = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<reqwest::Method>() else {
                continue;
            };
            let content = &operation["requestBody"]["content"];
            // (the URL, a content type, a body) of requests the route must refuse.
            let mut requests: Vec<(String, &str, &str)> = Vec::new();
            let url = fill(path, "1");
            if content["application/json"].is_object() {
                requests.push((url.clone(), "text/plain", "{}"));
                requests.push((url.clone(), "application/json", "{"));
                requests.push((url.clone(), "application/json", "[1]"));
                requests.push((url.clone(), "application/json", r#"{"name": [], "x": {}}"#));
            }
            if content["multipart/form-data"].is_object() {
                requests.push((url.clone(), "text/plain", "not a form"));
            }
            let typed = operation["parameters"].as_array().is_some_and(|params| {
                params
                    .iter()
                    .any(|p| p["in"] == "path" && p["schema"]["type"] == "integer")
            });
            if typed {
                requests.push((fill(path, "not-a-number"), "application/json", "{}"));
            }
            for (url, content_type, body) in requests {
                let mut request = client()
                    .request(method.clone(), server.url(&url))
                    .header("content-type", content_type);
                if method != reqwest::Method::GET {
                    request = request.body(body);
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                probed += 1;
                if !EXTRACTOR_STATUSES.contains(&status) {
                    continue;
                }
                assert!(
                    operation["responses"][status.to_string()].is_object(),
                    "{method} {url} ({content_type} {body}) answered {status}, \
                     which the description of {method} {path} does not list: {}",
                    operation["responses"]
                );
                let answer: Value = response.json().await.unwrap();
                assert!(
                    answer["error"].is_string() && answer["detail"].is_object(),
                    "{method} {url}: {answer}"
                );
            }
        }
    }
    assert!(probed > 40, "only {probed} requests were probed");
    // A typed body's wrong shape is a 422 the description names; a free-form one is not.
    let create_model = &doc["paths"]["/api/llm-models"]["post"]["responses"];
    assert!(create_model["415"].is_object(), "{create_model}");
    assert!(create_model["422"].is_object(), "{create_model}");
    // Writes name the cross-origin refusal.
    assert!(doc["paths"]["/api/pipelines"]["post"]["responses"]["403"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_answer_with_the_content_types_the_description_lists() {
    let ws = Workspace::new();
    let (server, doc) = serve_and_describe(&ws).await;
    for path in ["/api/export", "/api/export/download"] {
        let documented = &doc["paths"][path]["get"]["responses"]["200"]["content"];
        for (query, expected) in [
            ("", "application/x-ndjson"),
            ("?format=jsonl", "application/x-ndjson"),
            ("?format=json", "application/json"),
            ("?format=csv", "text/csv"),
        ] {
            let response = client()
                .get(server.url(&format!("{path}{query}")))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}{query}");
            let content_type = response.headers()["content-type"].to_str().unwrap();
            let media = content_type.split(';').next().unwrap().trim();
            assert_eq!(media, expected, "{path}{query}");
            assert!(
                documented[media].is_object(),
                "{path}{query} answers {media}, the description lists {documented}"
            );
        }
    }
}
