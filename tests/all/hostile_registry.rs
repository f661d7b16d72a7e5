//! Hostile plugins against the registry and the run table: a plugin that claims a builtin's
//! block type (dropped in or uploaded) is refused unless the operator's `PLUGIN_OVERRIDES`
//! names the type; an upload of a type another plugin provides needs `replace=true`; a
//! multiplier's fan-out is bounded per seed (`MAX_CHILDREN_PER_SEED`) and per job
//! (`MAX_RUNS_PER_JOB`), failing only the seed that went over, with the numbers.

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::fixtures::{FANOUT, IMPOSTOR, STAMP_V1, STAMP_V2};
use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, databases, generate, get_json, wait_for};
use crate::hostile_server::{hostile_server_workspace, plugin_status, run_attack};
use crate::plugins::{files_in, upload_form};
use crate::store::cleanup;

/// `POST /api/plugins` with the component at `wasm` as `file_name` and, when given, `replace`.
async fn upload(
    server: &Server,
    file_name: &str,
    wasm: &str,
    replace: Option<&str>,
) -> (StatusCode, Value) {
    upload_form(server, file_name, std::fs::read(wasm).unwrap(), replace).await
}

/// The `/api/blocks` entry of `type_name`.
async fn block(server: &Server, type_name: &str) -> Value {
    get_json(server, "/api/blocks")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == type_name)
        .cloned()
        .unwrap_or_else(|| panic!("{type_name} not listed"))
}

/// Runs a one-step `TextGenerator` pipeline through `/execute`; returns what it wrote.
async fn text_generator_writes(server: &Server) -> Value {
    let pipeline = create_pipeline(
        server,
        json!({"name": "gen", "blocks": [{"type": "TextGenerator", "config": {"user_prompt": "hello"}}]}),
    )
    .await;
    let response = client()
        .post(server.url(&format!("/api/pipelines/{pipeline}/execute")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["result"]["assistant"].clone()
}

async fn sqlite_server(ws: &Workspace) -> Server {
    ws.serve(&format!(
        "sqlite://{}",
        ws.path().join("blockforge.db").display()
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_plugin_cannot_shadow_a_builtin() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let server = sqlite_server(&ws).await;
    std::fs::copy(IMPOSTOR, ws.plugins_dir().join("impostor.wasm")).unwrap();
    let entry = plugin_status(&server, "impostor.wasm").await;
    assert_eq!(entry["status"], "failed", "{entry}");
    assert_eq!(entry["type"], "TextGenerator", "{entry}");
    let error = entry["error"].as_str().unwrap();
    for needle in [
        "impostor.wasm",
        "TextGenerator",
        "builtin",
        "PLUGIN_OVERRIDES=TextGenerator",
    ] {
        assert!(error.contains(needle), "{error} lacks {needle}");
    }
    assert_eq!(
        block(&server, "TextGenerator").await["source"]["kind"],
        "builtin"
    );
    let written = text_generator_writes(&server).await;
    assert_ne!(written, "impostor", "the builtin runs");
    assert!(fake.chat_requests() >= 1, "the builtin asked the model");

    // The same at startup: the folder already holds the impostor.
    server.kill9().await;
    let server = sqlite_server(&ws).await;
    assert_eq!(
        plugin_status(&server, "impostor.wasm").await["status"],
        "failed"
    );
    assert_ne!(text_generator_writes(&server).await, "impostor");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_plugin_cannot_shadow_a_builtin() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let server = sqlite_server(&ws).await;
    for replace in [None, Some("true")] {
        let (status, body) = upload(&server, "impostor.wasm", IMPOSTOR, replace).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains("builtin") && error.contains("PLUGIN_OVERRIDES"),
            "{error}"
        );
        assert_eq!(
            body["detail"],
            json!({
                "file": "impostor.wasm",
                "type": "TextGenerator",
                "builtin": "text_generator",
                "setting": "PLUGIN_OVERRIDES",
            }),
            "{body}"
        );
        assert!(files_in(&ws.plugins_dir()).is_empty(), "nothing written");
    }
    assert_eq!(
        block(&server, "TextGenerator").await["source"]["kind"],
        "builtin"
    );
    assert_ne!(text_generator_writes(&server).await, "impostor");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_overrides_lets_the_named_builtin_be_replaced() {
    let (_fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    // A wildcard is refused at startup, naming the setting.
    ws.set_env("PLUGIN_OVERRIDES", "*");
    let out = ws.run(&["blocks"]).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("PLUGIN_OVERRIDES=* is refused"),
        "{}",
        out.stderr
    );

    ws.set_env("PLUGIN_OVERRIDES", "Validator, TextGenerator");
    std::fs::copy(IMPOSTOR, ws.plugins_dir().join("impostor.wasm")).unwrap();
    let server = sqlite_server(&ws).await;
    assert_eq!(
        plugin_status(&server, "impostor.wasm").await["status"],
        "loaded"
    );
    assert_eq!(
        block(&server, "TextGenerator").await["source"]["kind"],
        "plugin"
    );
    assert_eq!(text_generator_writes(&server).await, "impostor");
    // Overriding a builtin does not let a second plugin take the type without replace=true.
    let (status, body) = upload(&server, "other.wasm", IMPOSTOR, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["detail"]["provided_by"], "impostor.wasm", "{body}");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_type_another_plugin_provides_needs_replace() {
    let ws = Workspace::new();
    let dir = ws.plugins_dir();
    let server = sqlite_server(&ws).await;

    // Two uploads of one new type at once: they take turns, the second finds the type taken.
    let (first, second) = tokio::join!(
        upload(&server, "a.wasm", STAMP_V1, None),
        upload(&server, "b.wasm", STAMP_V2, None)
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{} / {}",
        first.1,
        second.1
    );
    let kept = files_in(&dir);
    assert_eq!(kept.len(), 1, "{kept:?}");
    let kept = kept[0].clone();

    // Another file of the same type: 409 naming the providing file; nothing written.
    let (status, body) = upload(&server, "stamp-new.wasm", STAMP_V2, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["detail"],
        json!({"file": "stamp-new.wasm", "type": "Stamp", "provided_by": kept, "setting": "replace"}),
        "{body}"
    );
    assert!(body["error"].as_str().unwrap().contains(&kept), "{body}");
    assert_eq!(files_in(&dir), std::slice::from_ref(&kept));

    // A bad value of replace is a client error with the usual shape.
    let (status, body) = upload(&server, "stamp-new.wasm", STAMP_V2, Some("maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("replace"),
        "{body}"
    );
    assert_eq!(body["detail"]["replace"], "maybe", "{body}");

    // replace=true writes over the providing file.
    let (status, body) = upload(&server, "stamp-new.wasm", STAMP_V1, Some("true")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["plugin"]["file"], kept, "{body}");
    assert_eq!(files_in(&dir), [kept]);
    assert!(
        block(&server, "Stamp").await["description"]
            .as_str()
            .unwrap()
            .contains("stamp 1")
    );

    // Two files of one type dropped in: the second is a duplicate, as before.
    std::fs::copy(STAMP_V2, dir.join("zz-stamp.wasm")).unwrap();
    let entry = plugin_status(&server, "zz-stamp.wasm").await;
    assert_eq!(entry["status"], "failed", "{entry}");
    assert!(
        entry["error"]
            .as_str()
            .unwrap()
            .contains("already provided"),
        "{entry}"
    );
    server.kill9().await;
}

fn fan_out(children: u64, target_children: u64) -> Value {
    json!({"blocks": [{"type": "FanOut", "config": {"children": children, "target_children": target_children}}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_over_the_per_seed_limit_fails_only_that_seed() {
    // The default limit (10,000) against 300,000 children, as an attacker's multiplier would
    // return them; memory and CPU enough for the guest to build them.
    let mut ws = hostile_server_workspace();
    ws.set_env("BLOCK_MEMORY_MB", "512")
        .set_env("BLOCK_CPU_SECS", "20")
        .set_env("BLOCK_TIMEOUT_SECS", "60");
    std::fs::copy(FANOUT, ws.plugins_dir().join("fanout.wasm")).unwrap();
    let (urls, stores, schema) = databases(&ws).await;
    for url in &urls {
        let server = ws.serve(url).await;
        let outcome = run_attack(&server, fan_out(1, 300_000), json!({})).await;
        outcome.assert_failed_as(
            "fan_out_limit",
            "FanOut (step 0) returned 300000 children for one seed, above the limit of 10000 \
             children per seed (MAX_CHILDREN_PER_SEED)",
        );
        server.kill9().await;
    }
    cleanup(stores, &schema).await;
    // A lower limit set by the operator holds the same way.
    ws.set_env("MAX_CHILDREN_PER_SEED", "1000");
    let server = ws.serve(&urls[0]).await;
    run_attack(&server, fan_out(1, 1001), json!({}))
        .await
        .assert_failed_as(
            "fan_out_limit",
            "returned 1001 children for one seed, above the limit of 1000 children per seed",
        );
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_per_job_are_bounded_at_generate_and_at_each_expansion() {
    let mut ws = hostile_server_workspace();
    ws.set_env("MAX_RUNS_PER_JOB", "10");
    std::fs::copy(FANOUT, ws.plugins_dir().join("fanout.wasm")).unwrap();
    let seeds = |n: usize| {
        Value::Array(
            (0..n)
                .map(|i| json!({"repetitions": 1, "metadata": {"n": i}}))
                .collect(),
        )
    };
    let (urls, stores, schema) = databases(&ws).await;
    for url in &urls {
        let server = ws.serve(url).await;
        let pipeline =
            create_pipeline(&server, json!({"name": "fan", "definition": fan_out(4, 4)})).await;
        // 11 runs planned by the seed file: refused before the job exists.
        let response = generate(&server, pipeline, "seeds.json", seeds(11).to_string(), 1).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains("11 runs") && error.contains("limit of 10 runs per job"),
            "{body}"
        );
        assert_eq!(body["detail"]["runs"], 11, "{body}");
        assert_eq!(body["detail"]["limit"], 10, "{body}");

        // 3 seeds of 4 children each: the expansion that would make 12 runs fails its seed.
        let response = generate(&server, pipeline, "seeds.json", seeds(3).to_string(), 1).await;
        assert_eq!(response.status(), StatusCode::OK);
        let job_id = response.json::<Value>().await.unwrap()["job_id"]
            .as_i64()
            .unwrap();
        let job = wait_for(&server, job_id, |j| j["status"] != "running").await;
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(
            (&job["records_generated"], &job["records_failed"]),
            (&json!(8), &json!(1)),
            "{job}"
        );
        assert_eq!(job["total_seeds"], 9, "{job}");
        let records = get_json(&server, &format!("/api/records?job_id={job_id}&limit=20")).await;
        let failed: Vec<&Value> = records
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["run_status"] == "failed")
            .collect();
        assert_eq!(failed.len(), 1, "{records}");
        let failed = get_json(&server, &format!("/api/records/{}", failed[0]["id"])).await;
        assert_eq!(
            failed["trace"][0]["failure"]["kind"], "fan_out_limit",
            "{failed}"
        );
        let error = failed["error"].as_str().unwrap();
        assert!(
            error.contains(
                "FanOut (step 0) returned 4 children, which would make the job 12 runs, above \
                 the limit of 10 runs per job (MAX_RUNS_PER_JOB)"
            ),
            "{error}"
        );
        server.kill9().await;
    }
    cleanup(stores, &schema).await;

    // blockforge run: the same two limits.
    let pipeline = fan_out(4, 4).to_string();
    let (out, records) = ws.run_pipeline(&pipeline, &seeds(11), &[]).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("plans 11 runs, above the limit of 10 runs per job"),
        "{}",
        out.stderr
    );
    assert!(records.is_empty());
    let (out, records) = ws
        .run_pipeline(&pipeline, &seeds(3), &["--concurrency", "1"])
        .await;
    out.assert_success();
    assert_eq!(records.len(), 9, "8 children and the failed seed");
    let failed: Vec<&Value> = records.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["trace"][0]["failure"]["kind"], "fan_out_limit");
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("would make the job 12 runs, above the limit of 10 runs per job"),
        "{}",
        failed[0]
    );
}
