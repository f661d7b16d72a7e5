//! DataGenFlow's clients against blockforge: the status codes, keys and shapes its scripts and
//! its web client read, and what each call leaves in the database (SQLite and PostgreSQL).

use std::time::{Duration, Instant};

use blockforge::llm::models::ModelKind;
use blockforge::store::Store;
use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, databases, generate, get_json, wait_for};
use crate::store::cleanup;

/// The answer to a request: status and JSON body (null when the body is not JSON).
async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A store on the database the server uses, to check what a call left there.
async fn database(url: &str) -> Store {
    Store::connect(url).await.unwrap()
}

/// A one-block pipeline that asks the fake model once per run.
fn generator_pipeline() -> Value {
    json!({"name": "compat", "blocks": [{"type": "TextGenerator", "config": {
        "user_prompt": "Write about {{ topic }}", "temperature": 0.7
    }}]})
}

/// Saves `body` as a pipeline (200, as DataGenFlow answers) and returns its answer.
async fn save_pipeline(server: &Server, body: Value) -> Value {
    let (status, saved) = send(client().post(server.url("/api/pipelines")).json(&body)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    saved
}

/// Saves [`generator_pipeline`] and returns its id.
async fn save_generator(server: &Server) -> i64 {
    save_pipeline(server, generator_pipeline()).await["id"]
        .as_i64()
        .unwrap()
}

/// Runs a job over `seeds` to its end and returns its id.
async fn finished_job(server: &Server, pipeline: i64, seeds: Value) -> i64 {
    let job = start_job(server, pipeline, seeds).await;
    let done = wait_for(server, job, |j| j["status"] != "running").await;
    assert_eq!(done["status"], "completed", "{done}");
    job
}

/// Runs [`generator_pipeline`] on one seed to its end and returns its record's id.
async fn one_generated_record(server: &Server) -> i64 {
    let pipeline = save_generator(server).await;
    let job = finished_job(server, pipeline, json!([{"metadata": {"topic": "a"}}])).await;
    let records = get_json(server, &format!("/api/records?job_id={job}")).await;
    records[0]["id"].as_i64().unwrap()
}

/// Starts a job over `seeds` (200 `{job_id}`) and returns its id.
async fn start_job(server: &Server, pipeline: i64, seeds: Value) -> i64 {
    let response = generate(server, pipeline, "seeds.json", seeds.to_string(), 2).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["job_id"]
    );
    body["job_id"].as_i64().unwrap()
}

/// Waits until `GET path` answers `status`.
async fn wait_status(server: &Server, path: &str, status: StatusCode) -> Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (got, body) = send(client().get(server.url(path))).await;
        if got == status {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} never answered {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_active_job_is_one_object_or_404_and_running_jobs_are_a_filter() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let (status, none) = send(client().get(server.url("/api/jobs/active"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{none}");
        assert!(none["error"].is_string(), "{none}");

        let pipeline = save_generator(&server).await;
        fake.hold();
        let job = start_job(&server, pipeline, json!([{"metadata": {"topic": "a"}}])).await;
        let active = get_json(&server, "/api/jobs/active").await;
        assert!(active.is_object(), "{active}");
        assert_eq!(
            (active["id"].as_i64(), &active["status"]),
            (Some(job), &json!("running"))
        );
        let start_time = active["usage"]["start_time"].as_f64().unwrap();
        assert!(start_time > 1.7e9, "Unix seconds: {active}");
        assert_eq!(active["usage"]["end_time"], Value::Null, "{active}");
        // With two running jobs the newest is the active one; the filter lists both.
        let newer = start_job(&server, pipeline, json!([{"metadata": {"topic": "b"}}])).await;
        let active = get_json(&server, "/api/jobs/active").await;
        assert_eq!(active["id"], newer, "{active}");
        let running = get_json(&server, "/api/jobs?status=running").await;
        let ids: Vec<&Value> = running
            .as_array()
            .unwrap()
            .iter()
            .map(|j| &j["id"])
            .collect();
        assert_eq!(ids, [&json!(newer), &json!(job)], "{running}");
        let (status, bad) = send(client().get(server.url("/api/jobs?status=sleeping"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

        fake.release();
        let done = wait_for(&server, job, |j| j["status"] == "completed").await;
        assert_eq!(done["status"], "completed", "{done}");
        wait_for(&server, newer, |j| j["status"] == "completed").await;
        let end_time = done["usage"]["end_time"].as_f64().unwrap();
        assert!(end_time >= start_time, "{done}");
        wait_status(&server, "/api/jobs/active", StatusCode::NOT_FOUND).await;
        assert_eq!(
            get_json(&server, "/api/jobs?status=running").await,
            json!([])
        );
        let completed = get_json(&server, "/api/jobs?status=completed").await;
        let ids: Vec<&Value> = completed
            .as_array()
            .unwrap()
            .iter()
            .map(|j| &j["id"])
            .collect();
        assert_eq!(ids, [&json!(newer), &json!(job)], "{completed}");
        let (_, none) = send(client().get(server.url(&format!(
            "/api/jobs?status=completed&pipeline_id={}",
            pipeline + 1000
        ))))
        .await;
        assert_eq!(none, json!([]), "both filters apply");
        let stored = database(&url).await.job(job).await.unwrap();
        assert_eq!(
            stored.completed_at.map(|ms| ms as f64 / 1000.0),
            Some(end_time)
        );
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_store_every_datagenflow_body_shape() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = one_generated_record(&server).await;
        let path = format!("/api/records/{id}");
        let db = database(&url).await;

        // A status alone.
        let (status, answer) = send(
            client()
                .put(server.url(&path))
                .json(&json!({"status": "accepted"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(
            (&answer["success"], &answer["status"]),
            (&json!(true), &json!("accepted"))
        );
        assert_eq!(db.record(id).await.unwrap().status, "accepted");

        // One state field, as DataGenFlow's review edits send it: into the final state and
        // the last trace step's state.
        let (status, answer) = send(
            client()
                .put(server.url(&path))
                .json(&json!({"assistant": "rewritten", "score": 3})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["success"], true);
        let stored = db.record(id).await.unwrap();
        assert_eq!(stored.output["assistant"], "rewritten");
        assert_eq!(stored.output["score"], 3);
        assert_eq!(stored.output["topic"], "a", "the other fields stay");
        assert_eq!(stored.status, "edited");
        let last = stored.trace.as_array().unwrap().last().unwrap();
        assert_eq!(last["accumulated_state"]["assistant"], "rewritten");

        // DataGenFlow's `output` is text: the pipeline output.
        let (status, answer) = send(
            client()
                .put(server.url(&path))
                .json(&json!({"output": "final text", "status": "accepted"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let stored = db.record(id).await.unwrap();
        assert_eq!(stored.pipeline_output, json!("final text"));
        assert_eq!(stored.status, "accepted");
        assert_eq!(stored.output["assistant"], "rewritten");

        // Metadata and a whole final state.
        let (status, _) = send(client().put(server.url(&path)).json(&json!({
            "metadata": {"topic": "b"}, "output": {"only": "this"}
        })))
        .await;
        assert_eq!(status, StatusCode::OK);
        let stored = db.record(id).await.unwrap();
        assert_eq!(stored.metadata, json!({"topic": "b"}));
        assert_eq!(stored.output, json!({"only": "this"}));
        assert_eq!(stored.status, "edited");

        // An explicit null output clears the pipeline output, as DataGenFlow stores it.
        let (status, answer) = send(
            client()
                .put(server.url(&path))
                .json(&json!({"output": null, "status": "accepted"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let stored = db.record(id).await.unwrap();
        assert_eq!(stored.pipeline_output, Value::Null);
        assert_eq!(stored.output, json!({"only": "this"}));

        // What cannot be stored is refused, and nothing of the request is kept.
        for bad in [
            json!({"output": 5, "other": 1}),
            json!({"status": "great", "other": 1}),
            json!({"metadata": [1], "other": 1}),
            json!({"status": null, "other": 1}),
            json!({"metadata": null, "other": 1}),
        ] {
            let (status, answer) = send(client().put(server.url(&path)).json(&bad)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {answer}");
        }
        assert_eq!(db.record(id).await.unwrap(), stored);
        let (status, _) = send(
            client()
                .put(server.url("/api/records/987654"))
                .json(&json!({"x": 1})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        db.close().await;
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_field_edits_of_one_record_are_all_kept() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = one_generated_record(&server).await;
        let path = format!("/api/records/{id}");
        let edits = (0..24).map(|i| {
            let request = client()
                .put(server.url(&path))
                .json(&json!({ format!("field_{i}"): i }));
            async move { send(request).await }
        });
        for (status, answer) in futures::future::join_all(edits).await {
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
        let db = database(&url).await;
        let stored = db.record(id).await.unwrap();
        let last = stored.trace.as_array().unwrap().last().unwrap();
        for i in 0..24 {
            let field = format!("field_{i}");
            assert_eq!(stored.output[&field], i, "{field} lost: {}", stored.output);
            assert_eq!(
                last["accumulated_state"][&field], i,
                "{field} lost in the trace"
            );
        }
        db.close().await;
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_answer_200_with_datagenflows_bodies() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let db = database(&url).await;
        assert_eq!(
            get_json(&server, "/health").await,
            json!({"status": "healthy"})
        );

        // A pipeline: 200 with id and name, what its first block is, an empty field order.
        let saved = save_pipeline(
            &server,
            json!({"name": "chunks", "blocks": [
                {"type": "MarkdownMultiplierBlock", "config": {}},
                {"type": "FieldMapper", "config": {"mappings": {"x": "{{ chunk_text }}"}}}
            ]}),
        )
        .await;
        let id = saved["id"].as_i64().unwrap();
        assert_eq!(saved["name"], "chunks");
        assert_eq!(saved["first_block_type"], "MarkdownMultiplierBlock");
        assert_eq!(saved["first_block_is_multiplier"], true);
        let empty = json!({"field_order": {"primary": [], "secondary": [], "hidden": []}});
        assert_eq!(saved["validation_config"], empty);
        let one = get_json(&server, &format!("/api/pipelines/{id}")).await;
        assert_eq!(
            (&one["first_block_is_multiplier"], &one["validation_config"]),
            (&json!(true), &empty)
        );
        assert_eq!(db.pipeline(id).await.unwrap().name, "chunks");
        let plain = save_pipeline(&server, generator_pipeline()).await;
        assert_eq!(
            (
                &plain["first_block_type"],
                &plain["first_block_is_multiplier"]
            ),
            (&json!("TextGenerator"), &json!(false))
        );
        let listed = get_json(&server, "/api/pipelines").await;
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["first_block_type"].is_string() && p["validation_config"] == empty),
            "{listed}"
        );

        // DataGenFlow's template ids make pipelines (200, with template_id).
        for template in [
            "json_generation",
            "qa_generation",
            "text_classification",
            "data_augmentation",
            "ragas_evaluation",
        ] {
            let (status, created) = send(
                client().post(server.url(&format!("/api/pipelines/from_template/{template}"))),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{template}: {created}");
            assert_eq!(created["template_id"], template);
            assert!(created["first_block_type"].is_string(), "{created}");
            let stored = db.pipeline(created["id"].as_i64().unwrap()).await.unwrap();
            assert_eq!(json!(stored.name), created["name"]);
        }

        // Models: 200 with a message; the model is stored.
        for (path, kind) in [
            ("/api/llm-models", ModelKind::Llm),
            ("/api/embedding-models", ModelKind::Embedding),
        ] {
            let (status, created) = send(client().post(server.url(path)).json(&json!({
                "name": "m1", "provider": "openai", "model_name": "gpt-x",
                "endpoint": "http://127.0.0.1:9/v1", "api_key": "sk-123456789"
            })))
            .await;
            assert_eq!(status, StatusCode::OK, "{created}");
            assert!(
                created["message"].as_str().unwrap().contains("saved"),
                "{created}"
            );
            assert_eq!(db.model(kind, "m1").await.unwrap().model_name, "gpt-x");
            let (status, updated) = send(
                client()
                    .put(server.url(&format!("{path}/m1")))
                    .json(&json!({"model_name": "gpt-y"})),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{updated}");
            assert!(updated["message"].is_string(), "{updated}");
            assert_eq!(db.model(kind, "m1").await.unwrap().model_name, "gpt-y");
        }

        // Deleting a pipeline answers DataGenFlow's `success`.
        let (status, deleted) =
            send(client().delete(server.url(&format!("/api/pipelines/{id}")))).await;
        assert_eq!(
            (status, &deleted["success"]),
            (StatusCode::OK, &json!(true))
        );
        assert!(db.pipeline(id).await.is_err());
        db.close().await;
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_with_zero_repetitions_makes_no_run_and_is_a_warning() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let pipeline = save_generator(&server).await;
        let seeds = json!([
            {"repetitions": 0, "metadata": {"topic": "skipped"}},
            {"repetitions": 2, "metadata": {"topic": "kept"}}
        ]);
        let (status, report) = send(
            client()
                .post(server.url("/api/seeds/validate"))
                .json(&json!({"pipeline_id": pipeline, "seeds": seeds})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["valid"], true, "{report}");
        assert_eq!(report["errors"], json!([]));
        assert_eq!(
            report["warnings"],
            json!(["seed 1: repetitions is 0, so it makes no run and no record"])
        );
        assert_eq!(report["total_runs"], 2);

        let job = finished_job(&server, pipeline, seeds).await;
        let done = get_json(&server, &format!("/api/jobs/{job}")).await;
        assert_eq!(done["total_seeds"], 2, "{done}");
        let db = database(&url).await;
        let (page, total) = db
            .records(
                &blockforge::store::records::RecordFilter {
                    job_id: Some(job),
                    ..Default::default()
                },
                100,
                0,
            )
            .await
            .unwrap();
        assert_eq!(total, 2);
        assert!(page.iter().all(|r| r.metadata["topic"] == "kept"));

        // Seeds that all have zero repetitions make a job with no run: it completes (a job
        // left running would keep deleting every record refused).
        let none = finished_job(
            &server,
            pipeline,
            json!([{"repetitions": 0, "metadata": {"topic": "skipped"}}]),
        )
        .await;
        let done = get_json(&server, &format!("/api/jobs/{none}")).await;
        assert_eq!(
            (&done["status"], &done["records_generated"]),
            (&json!("completed"), &json!(0)),
            "{done}"
        );
        wait_status(&server, "/api/jobs/active", StatusCode::NOT_FOUND).await;
        db.close().await;
        server.kill9().await;
    }
    assert!(
        fake.request_bodies()
            .iter()
            .all(|b| !b.to_string().contains("skipped"))
    );
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_temperature_reaches_the_provider_as_typed() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let (urls, stores, schema) = databases(&ws).await;
    let server = ws.serve(&urls[0]).await;
    let pipeline = save_generator(&server).await;
    finished_job(&server, pipeline, json!([{"metadata": {"topic": "a"}}])).await;
    let bodies = fake.request_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["temperature"].to_string(), "0.7", "{}", bodies[0]);
    server.kill9().await;
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn langfuse_status_answers_datagenflows_keys() {
    let mut ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    let server = ws.serve(&urls[0]).await;
    let status = get_json(&server, "/api/langfuse/status").await;
    assert_eq!(
        status,
        json!({"enabled": false, "host": null, "configured": false})
    );
    server.kill9().await;

    ws.set_env("LANGFUSE_PUBLIC_KEY", "pk-lf-1")
        .set_env("LANGFUSE_SECRET_KEY", "sk-lf-1");
    let server = ws.serve(&urls[0]).await;
    let status = get_json(&server, "/api/langfuse/status").await;
    assert_eq!(
        (&status["enabled"], &status["host"], &status["configured"]),
        (&json!(false), &Value::Null, &json!(true))
    );
    assert!(
        status["reason"].as_str().unwrap().contains("does not send"),
        "{status}"
    );
    server.kill9().await;
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answers_of_these_routes_are_typed_in_the_openapi_description() {
    let ws = Workspace::new();
    let (server, doc) = crate::openapi::serve_and_describe(&ws).await;
    for (method, path, status, schema) in [
        ("get", "/api/jobs/active", "200", "JobView"),
        ("get", "/api/jobs/{id}", "200", "JobView"),
        ("delete", "/api/jobs/{id}", "200", "JobCancelled"),
        ("post", "/api/generate", "200", "JobStarted"),
        ("put", "/api/records/{id}", "200", "RecordReviewed"),
        ("delete", "/api/records", "200", "RecordsDeleted"),
        ("post", "/api/pipelines", "200", "PipelineView"),
        ("get", "/api/pipelines/{id}", "200", "PipelineView"),
        ("put", "/api/pipelines/{id}", "200", "PipelineView"),
        ("delete", "/api/pipelines/{id}", "200", "PipelineDeleted"),
        ("get", "/api/langfuse/status", "200", "LangfuseStatus"),
        ("get", "/api/extensions/status", "200", "ExtensionsStatus"),
        ("post", "/api/extensions/reload", "200", "ExtensionAction"),
    ] {
        let answer = &doc["paths"][path][method]["responses"][status];
        assert_eq!(
            answer["content"]["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{schema}"),
            "{method} {path}: {answer}"
        );
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    let list = &doc["paths"]["/api/jobs"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(
        list["items"]["$ref"], "#/components/schemas/JobView",
        "{list}"
    );
    let usage = doc["components"]["schemas"]["JobUsage"].to_string();
    assert!(
        usage.contains("start_time") && usage.contains("end_time"),
        "{usage}"
    );
    let pipeline = doc["components"]["schemas"]["PipelineView"].to_string();
    assert!(pipeline.contains("first_block_is_multiplier"), "{pipeline}");
    // A review's other keys are state fields: the body schema takes them.
    let update = &doc["components"]["schemas"]["RecordUpdate"];
    assert!(
        update["additionalProperties"].is_object() || update["additionalProperties"] == true,
        "{update}"
    );
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extensions_api_lists_blocks_templates_and_plugins_that_failed() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.plugins_dir()).unwrap();
    std::fs::write(ws.plugins_dir().join("broken.wasm"), b"not a component").unwrap();
    let (urls, stores, schema) = databases(&ws).await;
    let server = ws.serve(&urls[0]).await;
    let builtins = get_json(&server, "/api/blocks")
        .await
        .as_array()
        .unwrap()
        .len();
    let templates = get_json(&server, "/api/templates")
        .await
        .as_array()
        .unwrap()
        .len();

    let status = get_json(&server, "/api/extensions/status").await;
    assert_eq!(
        status,
        json!({
            "blocks": {"total": builtins + 1, "builtin_blocks": builtins, "custom_blocks": 0,
                       "user_blocks": 1, "available": builtins, "unavailable": 1},
            "templates": {"total": templates, "builtin_templates": templates, "user_templates": 0}
        })
    );
    let blocks = get_json(&server, "/api/extensions/blocks").await;
    let find = |name: &str| {
        blocks
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing: {blocks}"))
    };
    let generator = find("TextGenerator");
    assert_eq!(
        (
            &generator["source"],
            &generator["available"],
            &generator["is_multiplier"]
        ),
        (&json!("builtin"), &json!(true), &json!(false))
    );
    assert_eq!(generator["dependencies"], json!([]));
    assert_eq!(find("MarkdownMultiplierBlock")["is_multiplier"], true);
    let broken = find("broken");
    assert_eq!(
        (&broken["available"], &broken["source"]),
        (&json!(false), &json!("user"))
    );
    assert!(broken["error"].is_string(), "{broken}");

    let extension_templates = get_json(&server, "/api/extensions/templates").await;
    assert_eq!(extension_templates.as_array().unwrap().len(), templates);
    assert!(
        extension_templates
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "json_generation" && t["source"] == "builtin")
    );

    let post = |path: &str| client().post(server.url(path));
    let (code, valid) = send(post("/api/extensions/blocks/TextGenerator/validate")).await;
    assert_eq!(
        (code, valid),
        (
            StatusCode::OK,
            json!({"valid": true, "block": "TextGenerator"})
        )
    );
    let (code, invalid) = send(post("/api/extensions/blocks/broken/validate")).await;
    assert_eq!((code, &invalid["valid"]), (StatusCode::OK, &json!(false)));
    let (code, _) = send(post("/api/extensions/blocks/Nope/validate")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let dependencies = get_json(&server, "/api/extensions/blocks/TextGenerator/dependencies").await;
    assert_eq!(dependencies, json!([]));
    // A plugin that failed to load still lists its (no) dependencies; only installing them is
    // refused.
    let (code, none) =
        send(client().get(server.url("/api/extensions/blocks/broken/dependencies"))).await;
    assert_eq!((code, &none), (StatusCode::OK, &json!([])));
    let (code, _) = send(post("/api/extensions/blocks/broken/install-deps")).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let (code, _) =
        send(client().get(server.url("/api/extensions/blocks/Nope/dependencies"))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, installed) = send(post("/api/extensions/blocks/TextGenerator/install-deps")).await;
    assert_eq!(
        (code, &installed["installed"]),
        (StatusCode::OK, &json!([]))
    );

    // A manual reload sees a file dropped since.
    std::fs::write(ws.plugins_dir().join("also_broken.wasm"), b"nope").unwrap();
    let (code, reloaded) = send(post("/api/extensions/reload")).await;
    assert_eq!((code, &reloaded["status"]), (StatusCode::OK, &json!("ok")));
    let status = get_json(&server, "/api/extensions/status").await;
    assert_eq!(status["blocks"]["unavailable"], 2, "{status}");
    server.kill9().await;
    cleanup(stores, &schema).await;
}
