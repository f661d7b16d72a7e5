//! `GET`/`PUT /api/settings`: server-wide settings stored in the database, with defaults,
//! validation that stores nothing on error, and `default_concurrency` used by new jobs.

use blockforge_tests::harness::Workspace;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, post_generate};
use crate::models_routing::call;
use crate::store::cleanup;

/// Starts a one-run job, naming `concurrency` or not, and answers the concurrency it got.
async fn concurrency_of_a_new_job(
    server: &blockforge_tests::harness::Server,
    pipeline: i64,
    concurrency: Option<&str>,
) -> Value {
    let mut form = reqwest::multipart::Form::new()
        .text("pipeline_id", pipeline.to_string())
        .part(
            "file",
            reqwest::multipart::Part::text(r#"[{"repetitions": 1, "metadata": {}}]"#)
                .file_name("seeds.json"),
        );
    if let Some(concurrency) = concurrency {
        form = form.text("concurrency", concurrency.to_owned());
    }
    let response = post_generate(server, form).await;
    assert_eq!(response.status(), StatusCode::OK);
    let job_id = response.json::<Value>().await.unwrap()["job_id"].clone();
    let (_, job) = call(server, Method::GET, &format!("/api/jobs/{job_id}"), None).await;
    job["options"]["concurrency"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_have_defaults_are_validated_and_survive_a_restart() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let (status, settings) = call(&server, Method::GET, "/api/settings", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(settings, json!({"default_concurrency": 16}));
        let pipeline = create_pipeline(
            &server,
            json!({"name": "p", "blocks": [{"type": "ValidatorBlock", "config": {}}]}),
        )
        .await;
        assert_eq!(concurrency_of_a_new_job(&server, pipeline, None).await, 16);

        let (status, settings) = call(
            &server,
            Method::PUT,
            "/api/settings",
            Some(json!({"default_concurrency": 48})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{settings}");
        assert_eq!(settings["default_concurrency"], 48);
        assert_eq!(concurrency_of_a_new_job(&server, pipeline, None).await, 48);

        // Bad input changes nothing: an unknown key, a value out of range or of the wrong
        // type, a body that is not an object — even next to a valid change.
        for bad in [
            json!({"nope": 1}),
            json!({"default_concurrency": 0}),
            json!({"default_concurrency": 1025}),
            json!({"default_concurrency": "32"}),
            json!({"default_concurrency": 8, "nope": 1}),
            json!([1]),
        ] {
            let (status, body) =
                call(&server, Method::PUT, "/api/settings", Some(bad.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
            assert!(
                body["error"].is_string() && body["detail"].is_object(),
                "{body}"
            );
        }
        let (_, body) = call(
            &server,
            Method::PUT,
            "/api/settings",
            Some(json!({"nope": 1})),
        )
        .await;
        assert_eq!(body["detail"]["allowed"], json!(["default_concurrency"]));

        // Stored in the database: a new server process reads it back.
        drop(server);
        let server = ws.serve(&url).await;
        let (_, settings) = call(&server, Method::GET, "/api/settings", None).await;
        assert_eq!(settings["default_concurrency"], 48);
        // A job naming its concurrency keeps it.
        assert_eq!(
            concurrency_of_a_new_job(&server, pipeline, Some("3")).await,
            3
        );
        drop(server);
    }
    cleanup(stores, &schema).await;
}
