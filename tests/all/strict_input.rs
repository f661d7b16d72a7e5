//! What is not understood is refused, naming it, instead of being dropped or guessed at: a
//! misspelt constraint key, constraints given as a list, a budget out of range, a `cache` mode
//! that is not one of the documented names, an integer config value the block cannot read.

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, get_json, post_generate};

async fn sqlite_server(ws: &Workspace) -> Server {
    ws.serve(&format!(
        "sqlite://{}",
        ws.path().join("blockforge.db").display()
    ))
    .await
}

/// `POST /api/pipelines` (or `PUT` over `replace`) with `body` as raw JSON text; the status and
/// the answer.
async fn save(server: &Server, replace: Option<i64>, body: &str) -> (StatusCode, Value) {
    let request = match replace {
        None => client().post(server.url("/api/pipelines")),
        Some(id) => client().put(server.url(&format!("/api/pipelines/{id}"))),
    };
    let response = request
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

fn with_constraints(constraints: &str) -> String {
    format!(
        r#"{{"name": "c", "blocks": [{{"type": "ValidatorBlock"}}], "constraints": {constraints}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_or_malformed_constraints_are_refused_naming_the_key() {
    let ws = Workspace::new();
    let server = sqlite_server(&ws).await;
    let existing = create_pipeline(
        &server,
        json!({"name": "ok", "blocks": [{"type": "ValidatorBlock"}],
               "constraints": {"max_total_tokens": 100, "max_total_cost": -1}}),
    )
    .await;
    for replace in [None, Some(existing)] {
        let (status, body) = save(
            &server,
            replace,
            &with_constraints(r#"{"max_total_tokns": 100}"#),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = body["detail"]["message"].as_str().unwrap();
        assert!(
            message.contains("unknown field `max_total_tokns`")
                && message.contains("`max_total_tokens`")
                && message.contains("`max_total_cost`"),
            "{body}"
        );
    }
    let (status, body) = save(&server, None, &with_constraints("[1, 2]")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("`constraints` must be an object"),
        "{body}"
    );
    for bad in [
        r#"{"max_total_tokens": -5}"#,
        r#"{"max_total_tokens": 18446744073709551616}"#,
        r#"{"max_total_execution_time": "60"}"#,
    ] {
        let (status, body) = save(&server, None, &with_constraints(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(
            body["detail"]["message"]
                .as_str()
                .unwrap()
                .contains("-1 (no limit)"),
            "{bad}: {body}"
        );
    }
    // The pipeline saved first kept its budget.
    let saved: Value = get_json(&server, &format!("/api/pipelines/{existing}")).await;
    assert_eq!(
        saved["definition"]["constraints"],
        json!({"max_total_tokens": 100}),
        "{saved}"
    );
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_integer_the_block_cannot_read_is_refused_at_save() {
    let ws = Workspace::new();
    let server = sqlite_server(&ws).await;
    let existing = create_pipeline(
        &server,
        json!({"name": "v", "blocks": [{"type": "ValidatorBlock", "config": {"min_length": 1}}]}),
    )
    .await;
    // 2^64: JSON Schema calls it an integer; the block's u64 cannot hold it.
    let body = r#"{"name": "v", "blocks": [{"type": "ValidatorBlock", "config": {"min_length": 18446744073709551616}}]}"#;
    for replace in [None, Some(existing)] {
        let (status, answer) = save(&server, replace, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"], "the pipeline is not valid", "{answer}");
        let issue = &answer["detail"]["issues"][0];
        assert_eq!(issue["step"], 0, "{answer}");
        assert!(
            issue["message"].as_str().unwrap().contains(
                "`min_length` is 1.8446744073709552e+19, outside the range the block reads (uint64"
            ),
            "{answer}"
        );
    }
    // The largest u64 is fine.
    let (status, answer) = save(
        &server,
        None,
        r#"{"name": "v", "blocks": [{"type": "ValidatorBlock", "config": {"min_length": 18446744073709551615}}]}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_modes_are_the_documented_names_exactly() {
    let ws = Workspace::new();
    let server = sqlite_server(&ws).await;
    let pipeline = create_pipeline(
        &server,
        json!({"name": "v", "blocks": [{"type": "ValidatorBlock"}]}),
    )
    .await;
    let form = |cache: &str| {
        reqwest::multipart::Form::new()
            .text("pipeline_id", pipeline.to_string())
            .text("cache", cache.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::text(r#"[{"metadata": {"text": "hello"}}]"#)
                    .file_name("seeds.json"),
            )
    };
    for bad in ["", "ON", "read_only", "Off", " on"] {
        let response = post_generate(&server, form(bad)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["detail"]["cache"], bad, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("cache must be one of auto, on, off, read-only"),
            "{body}"
        );
    }
    let jobs: Value = get_json(&server, "/api/jobs").await;
    assert_eq!(jobs, json!([]), "no refused request made a job");
    for good in ["auto", "on", "read-only", "off"] {
        let response = post_generate(&server, form(good)).await;
        assert_eq!(response.status(), StatusCode::OK, "{good}");
        let job_id = response.json::<Value>().await.unwrap()["job_id"]
            .as_i64()
            .unwrap();
        let job: Value = get_json(&server, &format!("/api/jobs/{job_id}")).await;
        assert_eq!(job["cache"], good, "{job}");
    }
    server.kill9().await;
}
