//! Blocks' model calls follow the model registry, over real HTTP against the real
//! `blockforge serve` and `blockforge worker`, on SQLite and PostgreSQL: a block naming a
//! registered model reaches that model's endpoint, key and provider model name; the default
//! serves blocks naming none; `LLM_*`/`EMBEDDING_*` seed the default and it follows them until
//! edited; a change made on one server reaches the others.

use std::time::Duration;

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use blockforge_tests::fixtures;
use blockforge_tests::harness::{Server, Workspace};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, databases, generate, seeds, wait_for};
use crate::store::cleanup;

const KEY: &str = "sk-live-0123456789abcdef-4321";
const OTHER_KEY: &str = "sk-other-abcdefghijklmnop-9876";

/// Sends a request and parses the answer, asserting no key appears in it.
pub(crate) async fn call(
    server: &Server,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client().request(method, server.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    for key in [KEY, OTHER_KEY] {
        assert!(
            !text.contains(&key[..key.len() - 4]),
            "a key in clear in {path}: {text}"
        );
    }
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, value)
}

/// Registers a model of the kind under `base` and returns it as the API shows it.
pub(crate) async fn register(server: &Server, base: &str, body: Value) -> Value {
    let (status, answer) = call(server, Method::POST, base, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// Saves `pipeline` and runs it once on `input`.
pub(crate) async fn execute(server: &Server, pipeline: Value, input: Value) -> Value {
    let id = create_pipeline(server, pipeline).await;
    let (status, result) = call(
        server,
        Method::POST,
        &format!("/api/pipelines/{id}/execute"),
        Some(input),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    result
}

fn text_pipeline(model: Option<&str>) -> Value {
    let mut config = json!({"user_prompt": "hello"});
    if let Some(model) = model {
        config["model"] = json!(model);
    }
    json!({"name": "t", "blocks": [{"type": "TextGenerator", "config": config}]})
}

/// The model name and the `Authorization` header of the last request `fake` received.
fn last_request(fake: &FakeLlm) -> (Value, String) {
    let body = fake.request_bodies().pop().expect("a request");
    let headers = fake.request_headers().pop().expect("a request");
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (body["model"].clone(), auth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_routing_blocks_call_the_model_they_name() {
    let env_llm = FakeLlm::start(FakeLlmConfig::default()).await;
    let other = FakeLlm::start(FakeLlmConfig::default()).await;
    let mut ws = Workspace::new();
    ws.with_llm(&env_llm).set_env("LLM_API_KEY", KEY);
    std::fs::copy(fixtures::EMBEDDER, ws.plugins_dir().join("embedder.wasm")).unwrap();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        register(
            &server,
            "/api/llm-models",
            json!({"name": "remote", "endpoint": other.base_url(),
                   "model_name": "provider-chat", "api_key": OTHER_KEY}),
        )
        .await;
        register(
            &server,
            "/api/embedding-models",
            json!({"name": "remote-embed", "endpoint": other.base_url(),
                   "model_name": "provider-embed", "api_key": OTHER_KEY}),
        )
        .await;

        // The editor offers each block the names of its kind: the Embedder (it only embeds)
        // gets embedding models, the TextGenerator LLMs.
        let (_, blocks) = call(&server, Method::GET, "/api/blocks", None).await;
        let offered = |block_type: &str| -> Vec<Value> {
            blocks
                .as_array()
                .and_then(|all| all.iter().find(|b| b["type"] == block_type))
                .and_then(|b| b["config_schema"]["properties"]["model"]["enum"].as_array())
                .cloned()
                .unwrap_or_else(|| panic!("{block_type} has no model enum: {blocks}"))
        };
        let embedder = offered("Embedder");
        assert!(embedder.contains(&json!("remote-embed")), "{embedder:?}");
        assert!(!embedder.contains(&json!("remote")), "{embedder:?}");
        let generator = offered("TextGenerator");
        assert!(generator.contains(&json!("remote")), "{generator:?}");
        assert!(!generator.contains(&json!("remote-embed")), "{generator:?}");

        // A registered name: that model's endpoint, provider model name and key, at once.
        let before = env_llm.chat_requests();
        let result = execute(&server, text_pipeline(Some("remote")), json!({})).await;
        assert_eq!(result["result"]["assistant"], "Echo: hello", "{result}");
        assert_eq!(
            last_request(&other),
            (json!("provider-chat"), format!("Bearer {OTHER_KEY}"))
        );
        assert_eq!(
            env_llm.chat_requests(),
            before,
            "nothing went to LLM_ENDPOINT"
        );
        // No name: the default, seeded from LLM_* with its key.
        execute(&server, text_pipeline(None), json!({})).await;
        assert_eq!(
            last_request(&env_llm),
            (json!("fake-model"), format!("Bearer {KEY}"))
        );
        // Embeddings: the named embedding model.
        let embed = json!({"name": "e", "blocks": [
            {"type": "Embedder", "config": {"model": "remote-embed"}}]});
        let result = execute(&server, embed, json!({"text": "a b"})).await;
        assert!(result["result"]["embedding"].is_array(), "{result}");
        assert_eq!(
            last_request(&other),
            (json!("provider-embed"), format!("Bearer {OTHER_KEY}"))
        );

        // Set default: blocks naming no model follow it.
        let (status, _) = call(&server, Method::PUT, "/api/llm-models/remote/default", None).await;
        assert_eq!(status, StatusCode::OK);
        execute(&server, text_pipeline(None), json!({})).await;
        assert_eq!(last_request(&other).0, json!("provider-chat"));

        // An edit that sends the masked key back keeps the key; the new model name applies.
        let (_, mut remote) = call(&server, Method::GET, "/api/llm-models/remote", None).await;
        remote["model_name"] = json!("provider-chat-2");
        let (status, _) = call(&server, Method::PUT, "/api/llm-models/remote", Some(remote)).await;
        assert_eq!(status, StatusCode::OK);
        execute(&server, text_pipeline(Some("remote")), json!({})).await;
        assert_eq!(
            last_request(&other),
            (json!("provider-chat-2"), format!("Bearer {OTHER_KEY}"))
        );

        // Deleted (it was the default, and none is left): its name is a raw model name again,
        // sent to LLM_ENDPOINT, as before the registry existed.
        let (status, _) = call(&server, Method::DELETE, "/api/llm-models/remote", None).await;
        assert_eq!(status, StatusCode::OK);
        let before = other.chat_requests();
        execute(&server, text_pipeline(Some("remote")), json!({})).await;
        assert_eq!(last_request(&env_llm).0, json!("remote"));
        assert_eq!(other.chat_requests(), before);
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_routing_env_seeds_the_default_and_follows_env_until_edited() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("LLM_API_KEY", KEY)
        .set_env("EMBEDDING_MODEL", "env-embed");
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        ws.set_env("LLM_MODEL", "fake-model");
        let server = ws.serve(&url).await;
        let (_, list) = call(&server, Method::GET, "/api/llm-models", None).await;
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        let seeded = &list[0];
        assert_eq!(seeded["name"], "default");
        assert_eq!(seeded["endpoint"], fake.base_url());
        assert_eq!(seeded["model_name"], "fake-model");
        assert_eq!(seeded["is_default"], true);
        assert_eq!(seeded["api_key_set"], true);
        let (_, embed) = call(&server, Method::GET, "/api/embedding-models/default", None).await;
        assert_eq!(embed["model_name"], "env-embed");
        assert_eq!(
            embed["api_key_set"], true,
            "LLM_API_KEY is the embedding key's fallback"
        );
        server.kill9().await;

        // Not edited: it follows the environment at the next start.
        ws.set_env("LLM_MODEL", "fake-model-2");
        let server = ws.serve(&url).await;
        let (_, seeded) = call(&server, Method::GET, "/api/llm-models/default", None).await;
        assert_eq!(seeded["model_name"], "fake-model-2");
        // Edited through the API: the environment no longer changes it.
        let (status, _) = call(
            &server,
            Method::PUT,
            "/api/llm-models/default",
            Some(json!({"model_name": "chosen"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        server.kill9().await;
        ws.set_env("LLM_MODEL", "fake-model-3");
        let server = ws.serve(&url).await;
        let (_, list) = call(&server, Method::GET, "/api/llm-models", None).await;
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        assert_eq!(list[0]["model_name"], "chosen");
        execute(&server, text_pipeline(None), json!({})).await;
        assert_eq!(last_request(&fake).0, json!("chosen"));
        // Emptied: the next start seeds it again.
        let (status, _) = call(&server, Method::DELETE, "/api/llm-models/default", None).await;
        assert_eq!(status, StatusCode::OK);
        server.kill9().await;
        let server = ws.serve(&url).await;
        let (_, seeded) = call(&server, Method::GET, "/api/llm-models/default", None).await;
        assert_eq!(seeded["model_name"], "fake-model-3");
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_routing_a_change_made_on_another_server_reaches_this_one() {
    let env_llm = FakeLlm::start(FakeLlmConfig::default()).await;
    let other = FakeLlm::start(FakeLlmConfig::default()).await;
    let mut ws = Workspace::new();
    ws.with_llm(&env_llm).set_env("MODELS_RELOAD_SECS", "0.5");
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let (a, b) = (ws.serve(&url).await, ws.serve(&url).await);
        register(
            &a,
            "/api/llm-models",
            json!({"name": "shared", "endpoint": other.base_url(), "model_name": "provider-shared"}),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let before = other.chat_requests();
        execute(&b, text_pipeline(Some("shared")), json!({})).await;
        assert_eq!(
            other.chat_requests(),
            before + 1,
            "server b reread the registry"
        );
        assert_eq!(last_request(&other).0, json!("provider-shared"));
        a.kill9().await;
        b.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_routing_workers_call_the_model_a_block_names() {
    let env_llm = FakeLlm::start(FakeLlmConfig::default()).await;
    let other = FakeLlm::start(FakeLlmConfig::default()).await;
    let mut ws = Workspace::new();
    ws.with_llm(&env_llm).set_env("RUN_JOBS", "false");
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        register(
            &server,
            "/api/llm-models",
            json!({"name": "remote", "endpoint": other.base_url(),
                   "model_name": "provider-chat", "api_key": OTHER_KEY}),
        )
        .await;
        let pipeline = create_pipeline(&server, text_pipeline(Some("remote"))).await;
        let job_id = generate(&server, pipeline, "seeds.json", seeds(3), 2)
            .await
            .json::<Value>()
            .await
            .unwrap()["job_id"]
            .as_i64()
            .unwrap();
        let before = other.chat_requests();
        let worker = ws.worker(&url).await;
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(other.chat_requests(), before + 3);
        assert_eq!(
            last_request(&other),
            (json!("provider-chat"), format!("Bearer {OTHER_KEY}"))
        );
        worker.kill9().await;
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}
