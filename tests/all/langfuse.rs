//! The `LangfuseBlock` builtin through the real binary against a fake Langfuse ingestion
//! endpoint on loopback, which checks what a Langfuse server reads: the Basic credentials and
//! one `trace-create` event per record, named by the run's trace id.

use blockforge_tests::harness::Workspace;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{create_pipeline, generate_job, wait_for};
use crate::llm_cache::records;
use crate::loopback_site::{Reply, Site};
use crate::models_routing::call;
use crate::providers::sqlite_server;

/// Runs a FieldMapper then `LangfuseBlock` with `config` over two seeds: the records, by seed.
async fn run(site: &Site, config: Value) -> Vec<Value> {
    let ws = Workspace::new();
    let grant = json!({"langfuse": {"capabilities": ["http", "log"], "models": [],
                                    "http": {"allow": [site.authority()]}}});
    ws.write("grants.json", &grant.to_string());
    let pipeline = json!({"name": "l", "blocks": [
        {"type": "FieldMapper", "config": {"mappings": {"assistant": "answer to {{ topic }}"}}},
        {"type": "LangfuseBlock", "config": config}]});
    let seeds = json!([{"metadata": {"topic": "bees"}}, {"metadata": {"topic": "wasps"}}]);
    let (out, mut records) = ws
        .run_pipeline(&pipeline.to_string(), &seeds, &["--grants", "grants.json"])
        .await;
    out.assert_success();
    assert_eq!(records.len(), 2, "{}", out.stderr);
    records.sort_by_key(|r| r["seed_index"].as_u64());
    records
}

/// A loopback Langfuse whose ingestion endpoint accepts every batch (207, as Langfuse answers).
async fn ingestion_site() -> Site {
    let site = Site::start().await;
    let accepted = json!({"successes": [{"id": "e", "status": 201}], "errors": []});
    site.route(
        "/api/public/ingestion",
        vec![Reply::ok("application/json", accepted.to_string()).status_code(207)],
    );
    site
}

fn langfuse_config(site: &Site) -> Value {
    json!({"host": site.url(""), "public_key": "pk-lf-1", "secret_key": "sk-lf-2",
           "trace_name": "bees", "input_fields": ["topic"], "tags": ["test"]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_record_reaches_the_ingestion_endpoint_as_a_trace() {
    let site = ingestion_site().await;
    let records = run(&site, langfuse_config(&site)).await;
    let seen = site.seen("/api/public/ingestion");
    assert_eq!(seen.len(), 2);
    // `pk-lf-1:sk-lf-2` in base64.
    let auth = "Basic cGstbGYtMTpzay1sZi0y";
    for record in &records {
        let trace_id = record["trace_id"].as_str().unwrap_or_default();
        let state = &record["accumulated_state"];
        assert_eq!(
            state["langfuse_upload_status"],
            format!("uploaded: trace {trace_id}"),
            "{record}"
        );
        let request = seen
            .iter()
            .find(|s| String::from_utf8_lossy(&s.body).contains(trace_id))
            .unwrap_or_else(|| panic!("no event for {trace_id}"));
        assert_eq!(request.method, "POST");
        assert_eq!(request.headers["authorization"], auth);
        assert_eq!(request.headers["content-type"], "application/json");
        let body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
        let events = body["batch"].as_array().expect("a batch");
        assert_eq!(events.len(), 1, "{body}");
        let event = &events[0];
        assert_eq!(event["type"], "trace-create");
        assert!(
            event["id"].as_str().is_some_and(|id| !id.is_empty()),
            "{event}"
        );
        assert!(
            event["timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{event}"
        );
        let trace = &event["body"];
        assert_eq!(trace["id"], trace_id);
        assert_eq!(trace["name"], "bees");
        assert_eq!(trace["input"], json!({"topic": state["topic"]}));
        assert_eq!(trace["output"], state["assistant"]);
        assert_eq!(trace["tags"], json!(["test"]));
    }
    // The requests are in the runs' traces, as every outgoing request is.
    let calls = &records[0]["trace"][1]["http_calls"];
    assert_eq!(calls[0]["status"], 207, "{}", records[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upload_is_reported_and_the_run_goes_on() {
    let site = Site::start().await;
    site.route(
        "/api/public/ingestion",
        vec![
            Reply::ok("application/json", "{\"message\": \"Invalid credentials\"}")
                .status_code(401),
        ],
    );
    let records = run(&site, langfuse_config(&site)).await;
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        let status = record["accumulated_state"]["langfuse_upload_status"]
            .as_str()
            .unwrap_or_default();
        assert!(
            status.starts_with("error:") && status.contains("401"),
            "{status}"
        );
        assert!(status.contains("Invalid credentials"), "{status}");
    }
    // Without keys nothing is sent.
    let before = site.hits("/api/public/ingestion");
    let records = run(&site, json!({"host": site.url("")})).await;
    let status = &records[0]["accumulated_state"]["langfuse_upload_status"];
    assert!(
        status.as_str().is_some_and(|s| s.starts_with("skipped")),
        "{status}"
    );
    assert_eq!(site.hits("/api/public/ingestion"), before);
    // Plain http to a host that is not loopback: the keys are not sent.
    let mut config = langfuse_config(&site);
    config["host"] = json!("http://langfuse.example.com");
    let records = run(&site, config).await;
    let status = records[0]["accumulated_state"]["langfuse_upload_status"]
        .as_str()
        .unwrap_or_default();
    assert!(
        status.starts_with("error:") && status.contains("https"),
        "{status}"
    );
    assert!(
        records[0]["trace"][1]["http_calls"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
    // A 2xx that is not the ingestion answer is no upload.
    site.route("/api/public/ingestion", vec![Reply::html("<p>proxy</p>")]);
    let records = run(&site, langfuse_config(&site)).await;
    let status = records[0]["accumulated_state"]["langfuse_upload_status"]
        .as_str()
        .unwrap_or_default();
    assert!(status.contains("without the ingestion answer"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_langfuse_steps_send_events_that_do_not_collide() {
    let site = ingestion_site().await;
    let ws = Workspace::new();
    let grant = json!({"langfuse": {"capabilities": ["http", "log"], "models": [],
                                    "http": {"allow": [site.authority()]}}});
    ws.write("grants.json", &grant.to_string());
    let step = json!({"type": "LangfuseBlock", "config": langfuse_config(&site)});
    let pipeline = json!({"name": "l", "blocks": [step.clone(), step]});
    let seeds = json!([{"metadata": {"topic": "bees"}}]);
    let (out, _records) = ws
        .run_pipeline(&pipeline.to_string(), &seeds, &["--grants", "grants.json"])
        .await;
    out.assert_success();
    let ids: Vec<String> = site
        .seen("/api/public/ingestion")
        .iter()
        .map(|seen| {
            let body: Value = serde_json::from_slice(&seen.body).expect("a JSON body");
            body["batch"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "{ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_key_never_appears_in_job_answers_or_records() {
    let site = ingestion_site().await;
    let ws = Workspace::new();
    let server = sqlite_server(&ws).await;
    let pipeline = json!({"name": "l", "blocks": [
        {"type": "FieldMapper", "config": {"mappings": {"assistant": "answer to {{ topic }}"}}},
        {"type": "LangfuseBlock", "config": langfuse_config(&site)}]});
    let pipeline_id = create_pipeline(&server, pipeline).await;
    let grant = json!({"capabilities": ["http", "log"], "models": [],
                       "http": {"allow": [site.authority()]}});
    let path = "/api/plugins/langfuse/grants";
    let (status, stored) = call(&server, Method::PUT, path, Some(grant)).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    let seeds = json!([{"metadata": {"topic": "bees"}}]).to_string();
    let job_id = generate_job(&server, pipeline_id, "seeds.json", seeds, 1).await;
    let job = wait_for(&server, job_id, |j| j["status"] != "running").await;
    assert_eq!(job["status"], "completed", "{job}");
    // The runner used the real key: the upload went through with it.
    let seen = site.seen("/api/public/ingestion");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].headers["authorization"],
        "Basic cGstbGYtMTpzay1sZi0y"
    );
    let config = &job["options"]["pipeline"]["blocks"][1]["config"];
    assert_eq!(config["secret_key"], "********", "{job}");
    assert_eq!(config["public_key"], "pk-lf-1", "{job}");
    let (_, jobs) = call(&server, Method::GET, "/api/jobs", None).await;
    let records = records(&server, &job_id.into()).await;
    assert_eq!(records.len(), 1);
    for shown in [job, jobs, Value::Array(records)] {
        assert!(!shown.to_string().contains("sk-lf-2"), "{shown}");
    }
}
