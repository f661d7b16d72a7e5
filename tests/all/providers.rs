//! The gateway's providers over the real binary against the fake providers: each provider's
//! request shape (path, headers, body) as its API documents it, usage read from each answer
//! shape, `<provider>/<model>` names, the connection test going through the provider client,
//! structured output on each provider (repaired on the second try), and per-model limits in
//! the model registry on SQLite and PostgreSQL.

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig, Recorded, vector_of};
use blockforge_tests::fixtures;
use blockforge_tests::harness::{Server, Workspace, seeds};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::databases;
pub(crate) use crate::models_routing::{call, execute, register};
use crate::store::cleanup;

const OPENAI_KEY: &str = "sk-openai-0123456789-abcd";
const ANTHROPIC_KEY: &str = "sk-ant-0123456789-wxyz";

pub(crate) async fn sqlite_server(ws: &Workspace) -> Server {
    ws.serve(&format!(
        "sqlite://{}",
        ws.path().join("db.sqlite").display()
    ))
    .await
}

fn text_generator(model: &str) -> Value {
    json!({"name": "t", "blocks": [{"type": "TextGenerator", "config": {
        "model": model, "system_prompt": "sys", "user_prompt": "hi",
        "temperature": 0.5, "max_tokens": 33}}]})
}

fn header<'a>(request: &'a Recorded, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

fn last(fake: &FakeLlm) -> Recorded {
    fake.requests().pop().expect("a request")
}

/// The token counts of a usage object (cost and cache hits are the pricing layer's, tested in
/// llm_cost.rs).
fn tokens(usage: &Value) -> Value {
    json!({
        "input_tokens": usage["input_tokens"],
        "output_tokens": usage["output_tokens"],
        "cached_tokens": usage["cached_tokens"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_send_each_apis_documented_request_and_read_its_usage() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        cached_tokens: 1,
        ..Default::default()
    })
    .await;
    std::fs::copy(fixtures::EMBEDDER, ws.plugins_dir().join("embedder.wasm")).unwrap();
    let server = sqlite_server(&ws).await;
    for model in [
        json!({"name": "oai", "provider": "openai", "endpoint": fake.base_url(),
               "api_key": OPENAI_KEY, "model_name": "gpt-x"}),
        json!({"name": "local", "provider": "ollama", "endpoint": fake.root_url(),
               "model_name": "llama3"}),
        json!({"name": "claude", "provider": "anthropic", "endpoint": fake.root_url(),
               "api_key": ANTHROPIC_KEY, "model_name": "claude-x"}),
    ] {
        register(&server, "/api/llm-models", model).await;
    }
    let messages = json!([{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]);

    // OpenAI-compatible: bearer key, sampling at the top level.
    let result = execute(&server, text_generator("oai"), json!({})).await;
    let sent = last(&fake);
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(
        header(&sent, "authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str())
    );
    assert_eq!(header(&sent, "content-type"), Some("application/json"));
    assert_eq!(
        sent.body,
        json!({"model": "gpt-x", "messages": messages, "temperature": 0.5, "max_tokens": 33})
    );
    assert_eq!(result["result"]["assistant"], "Echo: hi", "{result}");
    assert_eq!(
        tokens(&result["usage"]),
        json!({"input_tokens": 2, "output_tokens": 2, "cached_tokens": 1})
    );
    let calls = &result["trace"][0]["llm_calls"];
    assert_eq!(calls.as_array().map(Vec::len), Some(1), "{calls}");
    assert_eq!(calls[0]["model"], "gpt-x");
    assert_eq!(calls[0]["provider"], "openai");
    assert_eq!(calls[0]["attempts"], 1);
    assert_eq!(calls[0]["status"], "ok");
    assert_eq!(calls[0]["error"], Value::Null);

    // Ollama native: /api/chat, not streamed, sampling in `options`, no key.
    let result = execute(&server, text_generator("local"), json!({})).await;
    let sent = last(&fake);
    assert_eq!(sent.path, "/api/chat");
    assert_eq!(header(&sent, "authorization"), None);
    assert_eq!(
        sent.body,
        json!({"model": "llama3", "messages": messages, "stream": false,
               "options": {"temperature": 0.5, "num_predict": 33}})
    );
    assert_eq!(result["result"]["assistant"], "Echo: hi");
    assert_eq!(
        tokens(&result["usage"]),
        json!({"input_tokens": 2, "output_tokens": 2, "cached_tokens": 0}),
        "prompt_eval_count and eval_count"
    );
    assert_eq!(result["trace"][0]["llm_calls"][0]["provider"], "ollama");

    // Anthropic: x-api-key and anthropic-version, the system prompt in `system`,
    // cache reads counted as cached (and as input).
    let result = execute(&server, text_generator("claude"), json!({})).await;
    let sent = last(&fake);
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(header(&sent, "x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(header(&sent, "anthropic-version"), Some("2023-06-01"));
    assert_eq!(header(&sent, "authorization"), None);
    assert_eq!(
        sent.body,
        json!({"model": "claude-x", "max_tokens": 33, "system": "sys", "temperature": 0.5,
               "messages": [{"role": "user", "content": "hi"}]})
    );
    assert_eq!(result["result"]["assistant"], "Echo: hi", "{result}");
    assert_eq!(
        tokens(&result["usage"]),
        json!({"input_tokens": 3, "output_tokens": 2, "cached_tokens": 1})
    );
    assert_eq!(result["trace"][0]["llm_calls"][0]["provider"], "anthropic");

    // A registered provider serves its `<provider>/<model>` names.
    execute(&server, text_generator("ollama/llama3.2"), json!({})).await;
    let sent = last(&fake);
    assert_eq!(
        (sent.path.as_str(), &sent.body["model"]),
        ("/api/chat", &json!("llama3.2"))
    );
    execute(
        &server,
        text_generator("anthropic/claude-3-5-haiku-latest"),
        json!({}),
    )
    .await;
    let sent = last(&fake);
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.body["model"], "claude-3-5-haiku-latest");
    assert_eq!(header(&sent, "x-api-key"), Some(ANTHROPIC_KEY));

    // Embeddings: OpenAI's /v1/embeddings and Ollama's /api/embed; none on Anthropic.
    let embed = "/api/embedding-models";
    for model in [
        json!({"name": "oai-embed", "provider": "openai", "endpoint": fake.base_url(),
               "api_key": OPENAI_KEY, "model_name": "text-embed"}),
        json!({"name": "local-embed", "provider": "ollama", "endpoint": fake.root_url(),
               "model_name": "nomic"}),
    ] {
        register(&server, embed, model).await;
    }
    let expected: Vec<f64> = vector_of("a b").into_iter().map(f64::from).collect();
    for (model, path, provider_model) in [
        ("oai-embed", "/v1/embeddings", "text-embed"),
        ("local-embed", "/api/embed", "nomic"),
    ] {
        let pipeline =
            json!({"name": "e", "blocks": [{"type": "Embedder", "config": {"model": model}}]});
        let result = execute(&server, pipeline, json!({"text": "a b"})).await;
        assert_eq!(result["result"]["embedding"], json!(expected), "{result}");
        assert_eq!(result["usage"]["input_tokens"], 2);
        let sent = last(&fake);
        assert_eq!(sent.path, path);
        assert_eq!(
            sent.body,
            json!({"model": provider_model, "input": ["a b"]})
        );
        let calls = &result["trace"][0]["llm_calls"];
        assert_eq!(calls[0]["model"], provider_model, "{calls}");
        assert_eq!(calls[0]["attempts"], 1, "{calls}");
    }
    let (status, body) = call(
        &server,
        Method::POST,
        embed,
        Some(json!({"name": "c",
        "provider": "anthropic", "model_name": "claude-x"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no embeddings API"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_connection_test_calls_through_the_provider_client() {
    let fake = FakeLlm::start(FakeLlmConfig::default()).await;
    let refusing = FakeLlm::start(FakeLlmConfig::failing(100, 400)).await;
    let ws = Workspace::new();
    let server = sqlite_server(&ws).await;
    let test = |body: Value| {
        let server = &server;
        async move {
            call(server, Method::POST, "/api/llm-models/test", Some(body))
                .await
                .1
        }
    };

    let result = test(
        json!({"name": "c", "provider": "anthropic", "endpoint": fake.root_url(),
        "api_key": ANTHROPIC_KEY, "model_name": "claude-x"}),
    )
    .await;
    assert_eq!(result["success"], true, "{result}");
    assert!(result["latency_ms"].as_i64().unwrap() >= 0);
    let sent = last(&fake);
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(header(&sent, "x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(header(&sent, "anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.body["max_tokens"], 1);

    let result = test(
        json!({"name": "o", "provider": "ollama", "endpoint": fake.root_url(),
        "model_name": "llama3"}),
    )
    .await;
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(last(&fake).path, "/api/chat");

    // The provider's own message, once: a 4xx is not retried.
    let result = test(
        json!({"name": "c", "provider": "anthropic", "endpoint": refusing.root_url(),
        "api_key": ANTHROPIC_KEY, "model_name": "claude-x"}),
    )
    .await;
    assert_eq!(result["success"], false, "{result}");
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .contains("injected failure"),
        "{result}"
    );
    assert_eq!(refusing.chat_requests(), 1);

    // Embeddings through Ollama's /api/embed, the vector size checked.
    for (dimensions, success) in [(8, true), (3, false)] {
        let (_, result) = call(
            &server,
            Method::POST,
            "/api/embedding-models/test",
            Some(
                json!({"name": "e", "provider": "ollama", "endpoint": fake.root_url(),
                        "model_name": "nomic", "dimensions": dimensions}),
            ),
        )
        .await;
        assert_eq!(result["success"], success, "{result}");
        assert_eq!(last(&fake).path, "/api/embed");
        if !success {
            let message = result["message"].as_str().unwrap();
            assert!(message.contains("8 dimensions"), "{result}");
        }
    }
}

/// `blockforge run` with `model` in TextGenerator: where it went and what it sent.
async fn run_with_model(ws: &Workspace, model: &str) -> Value {
    let pipeline = format!(
        "name: p\nblocks:\n  - type: TextGenerator\n    config: {{model: '{model}', user_prompt: 'hi'}}\n"
    );
    let (out, records) = ws
        .run_pipeline(&pipeline, &seeds(1, |_| json!({})), &[])
        .await;
    out.assert_success();
    records[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_prefixed_names_reach_the_providers_of_the_environment() {
    let default = FakeLlm::start(FakeLlmConfig::default()).await;
    let ollama = FakeLlm::start(FakeLlmConfig::default()).await;
    let anthropic = FakeLlm::start(FakeLlmConfig::default()).await;
    let mut ws = Workspace::new();
    ws.with_llm(&default)
        .set_env("OLLAMA_API_BASE", &ollama.root_url());

    let record = run_with_model(&ws, "ollama/llama3").await;
    assert_eq!(record["accumulated_state"]["assistant"], "Echo: hi");
    let sent = last(&ollama);
    assert_eq!(
        (sent.path.as_str(), &sent.body["model"]),
        ("/api/chat", &json!("llama3"))
    );
    assert_eq!(record["trace"][0]["llm_calls"][0]["provider"], "ollama");

    // Without an Anthropic key or base, `anthropic/...` is a raw name for the default endpoint
    // (router-style names such as OpenRouter's keep working).
    run_with_model(&ws, "anthropic/claude-3.5-sonnet").await;
    let sent = last(&default);
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.body["model"], "anthropic/claude-3.5-sonnet");
    assert_eq!(anthropic.chat_requests(), 0);

    ws.set_env("ANTHROPIC_API_BASE", &anthropic.root_url())
        .set_env("ANTHROPIC_API_KEY", ANTHROPIC_KEY);
    run_with_model(&ws, "anthropic/claude-3-5-haiku-latest").await;
    let sent = last(&anthropic);
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.body["model"], "claude-3-5-haiku-latest");
    assert_eq!(header(&sent, "x-api-key"), Some(ANTHROPIC_KEY));

    // Anthropic has no embeddings API: a clear error, nothing sent.
    std::fs::copy(fixtures::EMBEDDER, ws.plugins_dir().join("embedder.wasm")).unwrap();
    let out = ws
        .run(&[
            "block",
            "test",
            "Embedder",
            "--state",
            r#"{"text": "a"}"#,
            "--config",
            r#"{"model": "anthropic/claude-x"}"#,
        ])
        .await;
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("no embeddings API"), "{said}");
    assert_eq!(anthropic.embedding_requests(), 0);
    assert_eq!(anthropic.requests().len(), 1, "only the chat above");
}

const STRUCTURED: &str = r#"
name: people
blocks:
  - type: StructuredGenerator
    config:
      model: MODEL
      user_prompt: "Invent a person"
      json_schema:
        type: object
        required: [name, age]
        properties:
          name: {type: string, minLength: 3}
          age: {type: integer, minimum: 18}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_structured_output_is_asked_natively_and_repaired_on_the_second_try() {
    let config = FakeLlmConfig {
        invalid_structured_first: 1,
        ..Default::default()
    };
    let (openai, ollama, anthropic) = (
        FakeLlm::start(config.clone()).await,
        FakeLlm::start(config.clone()).await,
        FakeLlm::start(config).await,
    );
    let mut ws = Workspace::new();
    ws.with_llm(&openai)
        .set_env("OLLAMA_API_BASE", &ollama.root_url())
        .set_env("ANTHROPIC_API_BASE", &anthropic.root_url())
        .set_env("ANTHROPIC_API_KEY", ANTHROPIC_KEY);
    for (fake, model) in [
        (&openai, "fake-model"),
        (&ollama, "ollama/llama3"),
        (&anthropic, "anthropic/claude-x"),
    ] {
        let pipeline = STRUCTURED.replace("MODEL", model);
        let (out, records) = ws
            .run_pipeline(&pipeline, &seeds(1, |_| json!({})), &[])
            .await;
        out.assert_success();
        assert_eq!(
            records[0]["accumulated_state"]["generated"],
            json!({"name": "example", "age": 18}),
            "{model}: {}",
            records[0]
        );
        let sent = fake.requests();
        assert_eq!(
            sent.len(),
            2,
            "{model}: the invalid answer is asked again once"
        );
        let schema = json!({"type": "object", "required": ["name", "age"], "properties": {
            "name": {"type": "string", "minLength": 3}, "age": {"type": "integer", "minimum": 18}}});
        let first = &sent[0].body;
        match sent[0].path.as_str() {
            "/v1/chat/completions" => assert_eq!(
                first["response_format"],
                json!({"type": "json_schema", "json_schema": {"name": "output", "schema": schema}})
            ),
            "/api/chat" => assert_eq!(first["format"], schema),
            "/v1/messages" => {
                assert_eq!(first["tools"][0]["name"], "output");
                assert_eq!(first["tools"][0]["input_schema"], schema);
                assert_eq!(
                    first["tool_choice"],
                    json!({"type": "tool", "name": "output"})
                );
            }
            other => panic!("{model} went to {other}"),
        }
        let repair = sent[1].body["messages"].as_array().unwrap().clone();
        assert_eq!(repair[repair.len() - 2]["role"], "assistant", "{model}");
        assert!(
            repair[repair.len() - 1]["content"]
                .as_str()
                .unwrap()
                .contains("does not match the schema"),
            "{model}"
        );
        let calls = records[0]["trace"][0]["llm_calls"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(calls.len(), 2, "{model}: both requests in the trace");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_model_limits_are_stored_and_validated() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let created = register(
            &server,
            "/api/llm-models",
            json!({"name": "m",
            "model_name": "x", "max_concurrency": 4, "rpm": 100}),
        )
        .await;
        assert_eq!(
            (
                &created["max_concurrency"],
                &created["rpm"],
                &created["tpm"]
            ),
            (&json!(4), &json!(100), &Value::Null)
        );
        // Omitted keeps, null goes back to the default.
        let (status, updated) = call(
            &server,
            Method::PUT,
            "/api/llm-models/m",
            Some(json!({"rpm": null, "tpm": 5000})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(
            (
                &updated["max_concurrency"],
                &updated["rpm"],
                &updated["tpm"]
            ),
            (&json!(4), &Value::Null, &json!(5000))
        );
        let (_, got) = call(&server, Method::GET, "/api/llm-models/m", None).await;
        assert_eq!(got["tpm"], 5000);
        for bad in [
            json!({"max_concurrency": 0}),
            json!({"rpm": -3}),
            json!({"tpm": "many"}),
        ] {
            let (status, body) =
                call(&server, Method::PUT, "/api/llm-models/m", Some(bad.clone())).await;
            assert!(status.is_client_error(), "{bad}: {status} {body}");
            assert!(body["error"].is_string(), "{body}");
        }
        let created = register(
            &server,
            "/api/embedding-models",
            json!({"name": "e",
            "model_name": "x", "max_concurrency": 2}),
        )
        .await;
        assert_eq!(created["max_concurrency"], 2);
        drop(server);
    }
    cleanup(stores, &schema).await;
}
