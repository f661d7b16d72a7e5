//! `GET /openapi.json`: generated from the handlers, it describes every endpoint the server
//! serves, with parameters, bodies and the error shape.

use blockforge_tests::harness::Workspace;
use reqwest::StatusCode;
use serde_json::Value;

use crate::api::client;

/// Every endpoint of the server issue, as (method, path).
const ENDPOINTS: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/api/metrics"),
    ("get", "/api/blocks"),
    ("get", "/api/settings"),
    ("put", "/api/settings"),
    ("get", "/api/plugins"),
    ("post", "/api/plugins"),
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
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_description_covers_every_endpoint() {
    let mut ws = Workspace::new();
    // The description is public, like /health.
    ws.set_env("API_KEY", "secret");
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
    let doc: Value = response.json().await.unwrap();
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
