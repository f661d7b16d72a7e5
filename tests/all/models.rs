//! The model registry over HTTP (`/api/llm-models`, `/api/embedding-models`) against the real
//! server on SQLite and PostgreSQL: CRUD and its errors, keys never answered in clear, one
//! default per kind, connection tests, and model names offered in `/api/blocks`.

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use blockforge_tests::harness::{Server, Workspace};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{client, databases};
use crate::store::cleanup;

const LLM_KEY: &str = "sk-llm-secret-0123456789-abcd";
const EMBED_KEY: &str = "sk-embed-secret-9876543210-wxyz";
const NEW_KEY: &str = "sk-rotated-key-5555555555-9999";

/// Sends a request and returns the status and the body, asserting that no clear key appears.
async fn call(
    server: &Server,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client().request(method.clone(), server.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    for key in [LLM_KEY, EMBED_KEY, NEW_KEY] {
        assert!(
            !text.contains(key),
            "{method} {path} answered a key in clear: {text}"
        );
    }
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, body)
}

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "{body}");
    assert!(body["error"].is_string(), "{body}");
    assert!(body.get("detail").is_some(), "{body}");
}

fn defaults(models: &Value) -> Vec<String> {
    models
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["is_default"] == true)
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_crud_defaults_masked_keys_and_block_enums() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;

        // Without models, the schemas are the blocks' own.
        let (_, blocks) = call(&server, Method::GET, "/api/blocks", None).await;
        let text_generator = blocks
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "TextGenerator")
            .unwrap()
            .clone();
        assert!(
            text_generator["config_schema"]["properties"]["model"]
                .get("enum")
                .is_none()
        );

        let (status, list) = call(&server, Method::GET, "/api/llm-models", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list, json!([]));

        // Create: the key is masked, the first model of a kind becomes the default.
        let (status, gpt) = call(
            &server,
            Method::POST,
            "/api/llm-models",
            Some(json!({
                "name": "gpt",
                "provider": "openai",
                "endpoint": "https://api.example.com/v1",
                "api_key": LLM_KEY,
                "model_name": "gpt-4o-mini",
            })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{gpt}");
        assert_eq!(gpt["name"], "gpt");
        assert_eq!(gpt["provider"], "openai");
        assert_eq!(gpt["endpoint"], "https://api.example.com/v1");
        assert_eq!(gpt["model_name"], "gpt-4o-mini");
        assert_eq!(gpt["api_key"], "****abcd");
        assert_eq!(gpt["api_key_set"], true);
        assert_eq!(gpt["is_default"], true);
        assert!(gpt["created_at"].as_i64().unwrap() > 0);
        assert!(gpt.get("dimensions").is_none());

        let (status, local) = call(
            &server,
            Method::POST,
            "/api/llm-models",
            Some(json!({"name": "local", "provider": "ollama", "model_name": "llama3"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{local}");
        assert_eq!(local["api_key"], "");
        assert_eq!(local["api_key_set"], false);
        assert_eq!(local["is_default"], false);
        assert_eq!(local["endpoint"], "");

        // Errors: duplicate 409, unknown 404, bad bodies 422 / 400, all in the API's shape.
        let (status, body) = call(
            &server,
            Method::POST,
            "/api/llm-models",
            Some(json!({"name": "gpt", "provider": "openai", "model_name": "x"})),
        )
        .await;
        assert_error(status, &body, StatusCode::CONFLICT);
        for path in ["/api/llm-models/nope", "/api/embedding-models/gpt"] {
            let (status, body) = call(&server, Method::GET, path, None).await;
            assert_error(status, &body, StatusCode::NOT_FOUND);
        }
        for (method, path) in [
            (Method::PUT, "/api/llm-models/nope"),
            (Method::DELETE, "/api/llm-models/nope"),
            (Method::PUT, "/api/llm-models/nope/default"),
        ] {
            let body = (method == Method::PUT).then(|| json!({"model_name": "m"}));
            let (status, body) = call(&server, method, path, body).await;
            assert_error(status, &body, StatusCode::NOT_FOUND);
        }
        for bad in [
            json!({"provider": "openai", "model_name": "m"}),
            json!({"name": "", "provider": "openai", "model_name": "m"}),
            json!({"name": "x".repeat(101), "provider": "openai", "model_name": "m"}),
            json!({"name": "m", "provider": "acme", "model_name": "m"}),
            // Names are path segments of /api/llm-models/{name}: no '/', no control characters.
            json!({"name": "a/b", "provider": "openai", "model_name": "m"}),
            json!({"name": "a\nb", "provider": "openai", "model_name": "m"}),
            json!({"name": "a\u{7}b", "provider": "openai", "model_name": "m"}),
            json!({"name": "m", "provider": "openai"}),
            json!({"name": "m", "provider": "openai", "model_name": "m", "endpoint": "not a url"}),
            json!({"name": 5, "model_name": "m"}),
            json!([1, 2]),
        ] {
            let (status, body) =
                call(&server, Method::POST, "/api/llm-models", Some(bad.clone())).await;
            assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let response = client()
            .post(server.url("/api/llm-models"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string() && body.get("detail").is_some());
        let (status, body) = call(
            &server,
            Method::POST,
            "/api/embedding-models",
            Some(json!({"name": "e", "provider": "openai", "model_name": "m", "dimensions": -1})),
        )
        .await;
        assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);

        // Update without a key, or with the masked key, keeps the stored key.
        let (status, updated) = call(
            &server,
            Method::PUT,
            "/api/llm-models/gpt",
            Some(json!({"model_name": "gpt-4o"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(updated["model_name"], "gpt-4o");
        assert_eq!(updated["provider"], "openai");
        assert_eq!(updated["api_key"], "****abcd");
        assert_eq!(updated["api_key_set"], true);
        let (_, updated) = call(
            &server,
            Method::PUT,
            "/api/llm-models/gpt",
            Some(json!({
                "name": "gpt", "provider": "openai", "endpoint": "https://api.example.com/v1",
                "api_key": "****abcd", "model_name": "gpt-4o",
            })),
        )
        .await;
        assert_eq!(updated["api_key"], "****abcd");
        assert_eq!(updated["api_key_set"], true);
        // PostgreSQL: the test's store shares the server's schema, and holds the key itself.
        if url.starts_with("postgres") {
            let stored = stores[1]
                .find_model(blockforge::store::models::ModelKind::Llm, "gpt")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.api_key, LLM_KEY);
        }
        // A new key replaces it; an empty key clears it.
        let (_, updated) = call(
            &server,
            Method::PUT,
            "/api/llm-models/local",
            Some(json!({"api_key": NEW_KEY})),
        )
        .await;
        assert_eq!(updated["api_key"], "****9999");
        let (_, updated) = call(
            &server,
            Method::PUT,
            "/api/llm-models/local",
            Some(json!({"api_key": ""})),
        )
        .await;
        assert_eq!(updated["api_key"], "");
        assert_eq!(updated["api_key_set"], false);
        // Renaming onto a taken name is a conflict.
        let (status, body) = call(
            &server,
            Method::PUT,
            "/api/llm-models/local",
            Some(json!({"name": "gpt"})),
        )
        .await;
        assert_error(status, &body, StatusCode::CONFLICT);

        // A kept key is never redirected: moving a model with a key to another endpoint needs
        // the key again; a model without one moves freely.
        let (status, body) = call(
            &server,
            Method::PUT,
            "/api/llm-models/gpt",
            Some(json!({"endpoint": "https://elsewhere.example/v1", "api_key": "****abcd"})),
        )
        .await;
        assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, body) = call(
            &server,
            Method::PUT,
            "/api/llm-models/local",
            Some(json!({"endpoint": "http://127.0.0.1:11434/v1"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["endpoint"], "http://127.0.0.1:11434/v1");

        // A model may be named `test` although `POST .../test` is the connection test.
        let (status, _) = call(
            &server,
            Method::POST,
            "/api/llm-models",
            Some(json!({"name": "test", "provider": "openai", "model_name": "t"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, named_test) = call(&server, Method::GET, "/api/llm-models/test", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(named_test["model_name"], "t");

        // Set default: exactly one default per kind.
        let (status, body) =
            call(&server, Method::PUT, "/api/llm-models/local/default", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["is_default"], true);
        let (_, list) = call(&server, Method::GET, "/api/llm-models", None).await;
        assert_eq!(defaults(&list), vec!["local".to_owned()]);
        let (_, body) = call(&server, Method::PUT, "/api/llm-models/test/default", None).await;
        assert_eq!(body["is_default"], true);
        let (_, list) = call(&server, Method::GET, "/api/llm-models", None).await;
        assert_eq!(defaults(&list), vec!["test".to_owned()]);
        assert_eq!(list.as_array().unwrap().len(), 3);
        // Creating with is_default moves the default too.
        let (_, body) = call(
            &server,
            Method::POST,
            "/api/llm-models",
            Some(
                json!({"name": "big", "provider": "gemini", "model_name": "g", "is_default": true}),
            ),
        )
        .await;
        assert_eq!(body["is_default"], true);
        let (_, list) = call(&server, Method::GET, "/api/llm-models", None).await;
        assert_eq!(defaults(&list), vec!["big".to_owned()]);

        // Embedding models: their own registry, with dimensions, and their own default.
        let (status, embed) = call(
            &server,
            Method::POST,
            "/api/embedding-models",
            Some(json!({
                "name": "gpt", "provider": "openai", "api_key": EMBED_KEY,
                "model_name": "text-embedding-3-small", "dimensions": 1536,
            })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{embed}");
        assert_eq!(embed["dimensions"], 1536);
        assert_eq!(embed["api_key"], "****wxyz");
        assert_eq!(embed["is_default"], true);
        let (_, list) = call(&server, Method::GET, "/api/embedding-models", None).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["api_key_set"], true);

        // Every model name is offered to the blocks that choose a model.
        let (_, blocks) = call(&server, Method::GET, "/api/blocks", None).await;
        for block_type in ["TextGenerator", "StructuredGenerator"] {
            let block = blocks
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["type"] == block_type)
                .unwrap();
            let choices = block["config_schema"]["properties"]["model"]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{block_type} has no model enum: {block}"));
            for name in ["big", "gpt", "local", "test"] {
                assert!(choices.contains(&json!(name)), "{choices:?}");
            }
            // `model` may be null (the default model), so null stays allowed.
            assert!(choices.contains(&Value::Null), "{choices:?}");
        }

        // Delete: gone from the list and from the enum.
        let (status, body) = call(&server, Method::DELETE, "/api/llm-models/local", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = call(&server, Method::DELETE, "/api/llm-models/test", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = call(&server, Method::GET, "/api/llm-models/local", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = call(&server, Method::GET, "/api/llm-models", None).await;
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["big", "gpt"]);
        let (_, blocks) = call(&server, Method::GET, "/api/blocks", None).await;
        let block = blocks
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "TextGenerator")
            .unwrap();
        assert_eq!(
            block["config_schema"]["properties"]["model"]["enum"],
            json!(["big", "gpt", null])
        );
        // Pipelines still validate with the offered names.
        crate::api::create_pipeline(
            &server,
            json!({"name": "p", "blocks": [{"type": "TextGenerator", "config": {"model": "gpt"}}]}),
        )
        .await;
        drop(server);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_connection_test_reports_latency_and_failures() {
    let ws = Workspace::new();
    let fake = FakeLlm::start(FakeLlmConfig::default()).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let endpoint = fake.base_url();

        // A config in the body: one real request, success and a latency.
        let (status, result) = call(
            &server,
            Method::POST,
            "/api/llm-models/test",
            Some(json!({
                "name": "fake", "provider": "openai", "endpoint": endpoint,
                "api_key": LLM_KEY, "model_name": "echo",
            })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{result}");
        assert_eq!(result["success"], true, "{result}");
        assert!(result["message"].is_string());
        assert!(result["latency_ms"].as_i64().unwrap() >= 0, "{result}");
        let (_, result) = call(
            &server,
            Method::POST,
            "/api/embedding-models/test",
            Some(json!({
                "name": "fake", "provider": "openai", "endpoint": endpoint,
                "model_name": "vectors", "dimensions": 8,
            })),
        )
        .await;
        assert_eq!(result["success"], true, "{result}");
        assert!(result["latency_ms"].is_i64());
        // A wrong dimension count is a failed test, with the numbers.
        let (_, result) = call(
            &server,
            Method::POST,
            "/api/embedding-models/test",
            Some(json!({
                "name": "fake", "provider": "openai", "endpoint": endpoint,
                "model_name": "vectors", "dimensions": 1536,
            })),
        )
        .await;
        assert_eq!(result["success"], false, "{result}");
        assert!(result["message"].as_str().unwrap().contains("1536"));

        // Nothing listens on port 9: success false with the reason, not a 500.
        let (status, result) = call(
            &server,
            Method::POST,
            "/api/llm-models/test",
            Some(json!({
                "name": "down", "provider": "openai", "endpoint": "http://127.0.0.1:9/v1",
                "model_name": "m",
            })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{result}");
        assert_eq!(result["success"], false);
        assert!(!result["message"].as_str().unwrap().is_empty());
        assert!(result["latency_ms"].is_i64());
        let (_, result) = call(
            &server,
            Method::POST,
            "/api/embedding-models/test",
            Some(json!({
                "name": "down", "provider": "openai", "endpoint": "http://127.0.0.1:9/v1",
                "model_name": "m",
            })),
        )
        .await;
        assert_eq!(result["success"], false);

        // A saved model tested by name (or with its masked key) uses the stored key.
        let (status, _) = call(
            &server,
            Method::POST,
            "/api/llm-models",
            Some(json!({
                "name": "saved", "provider": "openai", "endpoint": endpoint,
                "api_key": LLM_KEY, "model_name": "echo",
            })),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let before = fake.request_headers().len();
        let (_, result) = call(
            &server,
            Method::POST,
            "/api/llm-models/test",
            Some(json!({"name": "saved"})),
        )
        .await;
        assert_eq!(result["success"], true, "{result}");
        let (_, result) = call(
            &server,
            Method::POST,
            "/api/llm-models/test",
            Some(json!({
                "name": "saved", "provider": "openai", "endpoint": endpoint,
                "api_key": "****abcd", "model_name": "echo",
            })),
        )
        .await;
        assert_eq!(result["success"], true, "{result}");
        let headers = fake.request_headers();
        assert_eq!(headers.len(), before + 2);
        for sent in &headers[before..] {
            assert_eq!(
                sent.get("authorization").unwrap().to_str().unwrap(),
                format!("Bearer {LLM_KEY}")
            );
        }
        // The stored key is not sent to another endpoint.
        let (status, body) = call(
            &server,
            Method::POST,
            "/api/llm-models/test",
            Some(json!({
                "name": "saved", "provider": "openai", "endpoint": "http://127.0.0.1:9/v1",
                "model_name": "echo",
            })),
        )
        .await;
        assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fake.request_headers().len(), before + 2);
        let (status, body) = call(
            &server,
            Method::POST,
            "/api/llm-models/test",
            Some(json!({"name": "unknown"})),
        )
        .await;
        assert_error(status, &body, StatusCode::NOT_FOUND);
        drop(server);
    }
    cleanup(stores, &schema).await;
}
