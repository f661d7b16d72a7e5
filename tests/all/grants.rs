//! Operator grants over the real binary: a plugin denied a capability cannot use it and can
//! once granted, without a restart; a model outside its list is refused; per-plugin memory
//! limits hold; grants survive a restart and are shared by workers through PostgreSQL; the CLI
//! reads them from a file.

use blockforge_tests::fake_llm::{FakeLlm, FakeLlmConfig};
use blockforge_tests::fixtures;
use blockforge_tests::harness::{CmdOutput, Server, Workspace};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, generate, seeds, wait_for};
use crate::models_routing::call;
use crate::store::cleanup;

/// `PUT /api/plugins/{name}/grants` with `grant`, answered 200.
async fn grant(server: &Server, name: &str, grant: Value) -> Value {
    let path = format!("/api/plugins/{name}/grants");
    let (status, answer) = call(server, Method::PUT, &path, Some(grant)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// Runs `pipeline` once through `/execute`: the status and the answer.
async fn execute(server: &Server, pipeline: i64, input: Value) -> (StatusCode, Value) {
    let path = format!("/api/pipelines/{pipeline}/execute");
    call(server, Method::POST, &path, Some(input)).await
}

/// Runs the workspace's `pipeline.yaml` over `seeds.json` with the grants file `grants`,
/// which the CLI must refuse: its output.
async fn run_refused(ws: &Workspace, grants: &str) -> CmdOutput {
    let args = [
        "run",
        "--pipeline",
        "pipeline.yaml",
        "--seeds",
        "seeds.json",
    ];
    let out = ws.run(&[&args[..], &["--grants", grants]].concat()).await;
    out.assert_failure();
    out
}

fn text_generator() -> Value {
    json!({"name": "t", "blocks": [{"type": "TextGenerator", "config": {"user_prompt": "hi"}}]})
}

/// Asserts that `answer` is a run failed by a `denied` call naming `what` and `plugin`.
fn assert_denied(answer: &Value, what: &str, plugin: &str) {
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("denied") && error.contains(what) && error.contains(plugin),
        "expected a denial of {what} to {plugin}: {answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_is_denied_until_granted_and_models_outside_the_list_are_refused() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let url = format!("sqlite://{}", ws.path().join("data/g.db").display());
    let server = ws.serve(&url).await;

    let path = "/api/plugins/text_generator/grants";
    let (status, shown) = call(&server, Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["kind"], "builtin");
    assert_eq!(
        shown["stored"], false,
        "a builtin runs with its default grant"
    );
    assert_eq!(shown["grant"]["models"], json!(["*"]));
    assert_eq!(shown["declared"], json!(["llm"]));

    let (status, missing) = call(&server, Method::GET, "/api/plugins/nope/grants", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    assert!(
        missing["error"].as_str().unwrap().contains("nope"),
        "{missing}"
    );
    let bad = json!({"capabilities": ["fly"], "models": []});
    let (status, refused) = call(&server, Method::PUT, path, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("fly"),
        "{refused}"
    );

    let pipeline = create_pipeline(&server, text_generator()).await;
    let stored = grant(
        &server,
        "text_generator",
        json!({"capabilities": ["log", "template"], "models": ["*"]}),
    )
    .await;
    assert_eq!(stored["stored"], true);
    let (status, denied) = execute(&server, pipeline, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{denied}");
    assert_denied(&denied, "`llm`", "builtin plugin text_generator");
    assert_eq!(fake.chat_requests(), 0, "a denied call reaches no model");

    // Granted, but not the model it asks for (none: the default).
    grant(
        &server,
        "text_generator",
        json!({"capabilities": ["llm", "log", "template"], "models": ["cheap-*"]}),
    )
    .await;
    let (status, refused) = execute(&server, pipeline, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_denied(&refused, "model \"default\"", "text_generator");
    assert_eq!(fake.chat_requests(), 0);

    grant(
        &server,
        "text_generator",
        json!({"capabilities": ["llm", "log", "template"], "models": ["cheap-*", "default"]}),
    )
    .await;
    let (status, done) = execute(&server, pipeline, json!({})).await;
    assert_eq!(status, StatusCode::OK, "granted without a restart: {done}");
    assert_eq!(fake.chat_requests(), 1);

    // The grant is data: it is there after a restart.
    server.kill9().await;
    let server = ws.serve(&url).await;
    let (_, shown) = call(&server, Method::GET, path, None).await;
    assert_eq!(shown["stored"], true, "{shown}");
    assert_eq!(shown["grant"]["models"], json!(["cheap-*", "default"]));
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_plugin_is_conservative_until_the_operator_widens_it() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("PLUGIN_DEFAULT_GRANT", "conservative");
    std::fs::copy(fixtures::GREEDY, ws.plugins_dir().join("greedy.wasm")).unwrap();
    let url = format!("sqlite://{}", ws.path().join("data/g.db").display());
    let server = ws.serve(&url).await;
    let pipeline = create_pipeline(
        &server,
        json!({"name": "g", "blocks": [{"type": "Greedy", "config": {"attack": "huge_prompt"}}]}),
    )
    .await;
    let (_, shown) = call(&server, Method::GET, "/api/plugins/greedy/grants", None).await;
    assert_eq!(shown["kind"], "plugin", "{shown}");
    assert_eq!(shown["grant"]["models"], json!([]), "{shown}");
    let (status, denied) = execute(&server, pipeline, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{denied}");
    assert_denied(&denied, "`llm`", "plugin greedy");
    assert_eq!(fake.chat_requests(), 0);

    grant(
        &server,
        "greedy",
        json!({"capabilities": ["llm", "kv", "log", "template"], "models": ["*"]}),
    )
    .await;
    let (status, done) = execute(&server, pipeline, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(fake.chat_requests(), 1);
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_granted_64_mib_fails_there_while_one_granted_256_mib_goes_on() {
    let mut ws = Workspace::new();
    // A call gets 128 MiB unless its plugin's grant says otherwise; a grant may give 256.
    ws.set_env("BLOCK_MEMORY_MB", "128");
    ws.set_env("BLOCK_MEMORY_MAX_MB", "256");
    std::fs::copy(fixtures::HOARDER_SMALL, ws.plugins_dir().join("small.wasm")).unwrap();
    std::fs::copy(fixtures::HOARDER_BIG, ws.plugins_dir().join("big.wasm")).unwrap();
    let url = format!("sqlite://{}", ws.path().join("data/g.db").display());
    let server = ws.serve(&url).await;
    let (_, shown) = call(&server, Method::GET, "/api/plugins/big/grants", None).await;
    assert_eq!(
        shown["server_limits"]["default"]["memory_bytes"],
        128u64 << 20,
        "{shown}"
    );
    assert_eq!(
        shown["server_limits"]["maximum"]["memory_bytes"],
        256u64 << 20,
        "{shown}"
    );
    // Both in one job: each call runs under its own plugin's limit. The big one holds more
    // than the default.
    let pipeline = create_pipeline(
        &server,
        json!({"name": "m", "blocks": [
            {"type": "HoarderBig", "config": {"mib": 160}},
            {"type": "HoarderSmall", "config": {"mib": 128}}
        ]}),
    )
    .await;
    let (status, failed) = execute(&server, pipeline, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{failed}");
    let trace = failed["detail"]["trace"].as_array().expect("a trace");
    let error = trace[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("HoarderBig") && error.contains("limit 128.0 MiB"),
        "without a grant the default holds: {failed}"
    );

    let all = json!(["llm", "embeddings", "kv", "log", "template"]);
    grant(
        &server,
        "small",
        json!({"capabilities": all, "models": ["*"], "limits": {"memory_bytes": 64u64 << 20}}),
    )
    .await;
    grant(
        &server,
        "big",
        json!({"capabilities": all, "models": ["*"], "limits": {"memory_bytes": 256u64 << 20}}),
    )
    .await;
    let (status, failed) = execute(&server, pipeline, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{failed}");
    let trace = failed["detail"]["trace"].as_array().expect("a trace");
    assert_eq!(
        trace[0]["output"]["held_mib"], 160,
        "granted 256 MiB, it goes on past the 128 MiB default: {failed}"
    );
    let error = trace[1]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("HoarderSmall") && error.contains("limit 64.0 MiB"),
        "{failed}"
    );
    assert_eq!(trace[1]["failure"]["kind"], "memory_limit");

    // Above the maximum: refused, naming the limit, the maximum and its setting.
    let above =
        json!({"capabilities": all, "models": ["*"], "limits": {"memory_bytes": 512u64 << 20}});
    let (status, refused) =
        call(&server, Method::PUT, "/api/plugins/big/grants", Some(above)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(
        refused["detail"]["limit"], "limits.memory_bytes",
        "{refused}"
    );
    assert_eq!(refused["detail"]["maximum"], 256u64 << 20, "{refused}");
    assert_eq!(
        refused["detail"]["setting"], "BLOCK_MEMORY_MAX_MB",
        "{refused}"
    );
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or_default()
            .contains("268435456"),
        "{refused}"
    );
    let (_, kept) = call(&server, Method::GET, "/api/plugins/big/grants", None).await;
    assert_eq!(
        kept["grant"]["limits"]["memory_bytes"],
        256u64 << 20,
        "the refused PUT changed nothing: {kept}"
    );
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maximum_below_its_default_stops_the_start() {
    let mut ws = Workspace::new();
    ws.set_env("BLOCK_MEMORY_MB", "512");
    ws.set_env("BLOCK_MEMORY_MAX_MB", "256");
    let out = ws.run(&["blocks"]).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("BLOCK_MEMORY_MAX_MB")
            && out.stderr.contains("at least BLOCK_MEMORY_MB"),
        "{}",
        out.stderr
    );
    ws.set_env("BLOCK_MEMORY_MAX_MB", "512");
    ws.run(&["blocks"]).await.assert_success();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_the_grants_in_postgres() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("RUN_JOBS", "false");
    let (urls, stores, schema) = databases(&ws).await;
    let postgres = &urls[1];
    let server = ws.serve(postgres).await;
    let worker = ws.worker(postgres).await;
    let pipeline = create_pipeline(&server, text_generator()).await;
    grant(
        &server,
        "text_generator",
        json!({"capabilities": ["log", "template"], "models": ["*"]}),
    )
    .await;
    let job = run_job(&server, pipeline).await;
    assert_eq!(job["records_failed"], 2, "the worker read the grant: {job}");
    assert_eq!(fake.chat_requests(), 0);

    grant(
        &server,
        "text_generator",
        json!({"capabilities": ["llm", "log", "template"], "models": ["*"]}),
    )
    .await;
    let job = run_job(&server, pipeline).await;
    assert_eq!(
        job["records_generated"], 2,
        "the next job sees the change: {job}"
    );
    assert_eq!(fake.chat_requests(), 2);
    worker.kill9().await;
    server.kill9().await;
    cleanup(stores, &schema).await;
}

/// Submits a job of two runs and waits until it ends.
async fn run_job(server: &Server, pipeline: i64) -> Value {
    let answer: Value = generate(server, pipeline, "seeds.json", seeds(2), 2)
        .await
        .json()
        .await
        .unwrap();
    let job_id = answer["job_id"].as_i64().expect("a job");
    wait_for(server, job_id, |j| {
        j["status"] != "running" && j["status"] != "pending"
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_reads_grants_from_a_file() {
    let (fake, ws): (FakeLlm, Workspace) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let pipeline = text_generator().to_string();
    let seeds = json!([{"metadata": {}}]);
    ws.write(
        "grants.yaml",
        "text_generator:\n  capabilities: [log, template]\n  models: ['*']\n",
    );
    let (out, records) = ws
        .run_pipeline(&pipeline, &seeds, &["--grants", "grants.yaml"])
        .await;
    assert_eq!(records.len(), 1, "{}", out.stderr);
    assert_eq!(records[0]["status"], "failed");
    assert_denied(&records[0], "`llm`", "text_generator");
    assert_eq!(fake.chat_requests(), 0);

    ws.write("wrong.yaml", "nobody:\n  capabilities: []\n  models: []\n");
    let out = run_refused(&ws, "wrong.yaml").await;
    out.assert_failure();
    assert!(out.stderr.contains("\"nobody\""), "{}", out.stderr);
}

/// `blockforge block test BLOCK --config CONFIG` with `extra` arguments.
async fn block_test(ws: &Workspace, block: &str, config: Value, extra: &[&str]) -> CmdOutput {
    let config = config.to_string();
    let args = ["block", "test", block, "--config", config.as_str()];
    ws.run(&[&args[..], extra].concat()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_test_reads_grants_from_a_file() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("PLUGIN_DEFAULT_GRANT", "conservative");
    let prompt = json!({"user_prompt": "hi"});
    ws.write(
        "deny.yaml",
        "text_generator:\n  capabilities: [log, template]\n  models: ['*']\n",
    );
    let out = block_test(
        &ws,
        "TextGenerator",
        prompt.clone(),
        &["--grants", "deny.yaml"],
    )
    .await;
    out.assert_failure();
    assert_denied(&out.json(), "`llm`", "builtin plugin text_generator");
    assert_eq!(fake.chat_requests(), 0, "a denied call reaches no model");

    ws.write(
        "allow.yaml",
        "text_generator:\n  capabilities: [llm, log, template]\n  models: ['*']\n",
    );
    let out = block_test(&ws, "TextGenerator", prompt, &["--grants", "allow.yaml"]).await;
    out.assert_success();
    assert!(out.json()["output"].is_object(), "{}", out.stdout);
    assert_eq!(fake.chat_requests(), 1);

    // A component outside the plugins folder is named by its file stem.
    let mine = ws.path().join("mine.wasm");
    std::fs::copy(fixtures::GREEDY, &mine).unwrap();
    let mine = mine.display().to_string();
    let attack = json!({"attack": "huge_prompt"});
    let out = block_test(&ws, &mine, attack.clone(), &[]).await;
    out.assert_failure();
    assert_denied(&out.json(), "`llm`", "plugin mine");
    assert_eq!(fake.chat_requests(), 1, "conservative by default");
    ws.write(
        "mine.yaml",
        "mine:\n  capabilities: [llm, kv, log, template]\n  models: ['*']\n",
    );
    let out = block_test(&ws, &mine, attack, &["--grants", "mine.yaml"]).await;
    out.assert_success();
    assert_eq!(fake.chat_requests(), 2);

    // The file's limits are checked against this server's maxima, as PUT checks them.
    ws.set_env("BLOCK_MEMORY_MAX_MB", "256");
    ws.write(
        "greedy.yaml",
        "text_generator:\n  capabilities: [llm]\n  models: ['*']\n  limits: {memory_bytes: 536870912}\n",
    );
    let out = block_test(
        &ws,
        "TextGenerator",
        json!({"user_prompt": "hi"}),
        &["--grants", "greedy.yaml"],
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("greedy.yaml")
            && out.stderr.contains("limits.memory_bytes")
            && out.stderr.contains("BLOCK_MEMORY_MAX_MB"),
        "{}",
        out.stderr
    );
    assert_eq!(fake.chat_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugins_kv_quota_holds_below_the_servers() {
    let ws = Workspace::new();
    std::fs::copy(fixtures::DEDUP, ws.plugins_dir().join("dedup.wasm")).unwrap();
    ws.write(
        "grants.yaml",
        "dedup:\n  capabilities: [kv, log, template]\n  models: []\n  kv_quota: {max_keys: 2}\n",
    );
    let pipeline = json!({"name": "d", "blocks": [
        {"type": "ExactDedup", "config": {"field": "text", "scope": "job"}}]});
    let seeds = json!([
        {"metadata": {"text": "a"}},
        {"metadata": {"text": "b"}},
        {"metadata": {"text": "c"}}
    ]);
    let (out, records) = ws
        .run_pipeline(
            &pipeline.to_string(),
            &seeds,
            &["--grants", "grants.yaml", "--concurrency", "1"],
        )
        .await;
    assert_eq!(records.len(), 3, "{}", out.stderr);
    let statuses: Vec<_> = records.iter().map(|r| r["status"].clone()).collect();
    assert_eq!(
        statuses,
        ["completed", "completed", "failed"],
        "{records:?}"
    );
    assert_eq!(
        records[2]["trace"][0]["failure"]["kind"], "kv_quota",
        "{:?}",
        records[2]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_both_a_plugin_file_and_a_builtin_carry_must_say_which() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    std::fs::copy(
        fixtures::GREEDY,
        ws.plugins_dir().join("text_generator.wasm"),
    )
    .unwrap();
    let url = format!("sqlite://{}", ws.path().join("data/g.db").display());
    let server = ws.serve(&url).await;

    let path = "/api/plugins/text_generator/grants";
    let narrow = json!({"capabilities": ["log"], "models": []});
    for (method, body) in [(Method::GET, None), (Method::PUT, Some(narrow.clone()))] {
        let (status, answer) = call(&server, method, path, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap_or_default()
                .contains("?kind="),
            "{answer}"
        );
        assert_eq!(answer["detail"]["kinds"], json!(["plugin", "builtin"]));
    }
    let (_, shown) = call(&server, Method::GET, &format!("{path}?kind=plugin"), None).await;
    assert_eq!(
        shown["stored"], false,
        "the refused PUT stored nothing: {shown}"
    );
    let (status, stored) = call(
        &server,
        Method::PUT,
        &format!("{path}?kind=plugin"),
        Some(narrow),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["kind"], "plugin");
    let (status, builtin) = call(&server, Method::GET, &format!("{path}?kind=builtin"), None).await;
    assert_eq!(status, StatusCode::OK, "{builtin}");
    assert_eq!(builtin["kind"], "builtin");
    assert_eq!(builtin["stored"], false, "{builtin}");
    server.kill9().await;

    let pipeline = text_generator().to_string();
    let seeds = json!([{"metadata": {}}]);
    let deny_llm = "  capabilities: [log, template]\n  models: ['*']\n";
    ws.write("bare.yaml", &format!("text_generator:\n{deny_llm}"));
    ws.write("pipeline.yaml", &pipeline);
    ws.write("seeds.json", &seeds.to_string());
    let out = run_refused(&ws, "bare.yaml").await;
    out.assert_failure();
    assert!(
        out.stderr.contains("\"text_generator\"") && out.stderr.contains("builtin:text_generator"),
        "{}",
        out.stderr
    );

    ws.write(
        "picked.yaml",
        &format!("'builtin:text_generator':\n{deny_llm}"),
    );
    let (out, records) = ws
        .run_pipeline(&pipeline, &seeds, &["--grants", "picked.yaml"])
        .await;
    assert_eq!(records.len(), 1, "{}", out.stderr);
    assert_denied(&records[0], "`llm`", "text_generator");
    assert_eq!(fake.chat_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_grant_row_denies_its_plugin_and_nothing_else() {
    use sqlx::Connection;
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    // Its default would grant `llm`: an unreadable row must not fall back to it.
    ws.set_env("PLUGIN_DEFAULT_GRANT", "declared");
    std::fs::copy(fixtures::GREEDY, ws.plugins_dir().join("greedy.wasm")).unwrap();
    let url = format!("sqlite://{}", ws.path().join("data/g.db").display());
    let server = ws.serve(&url).await;
    let greedy = create_pipeline(
        &server,
        json!({"name": "g", "blocks": [{"type": "Greedy", "config": {"attack": "huge_prompt"}}]}),
    )
    .await;
    let text = create_pipeline(&server, text_generator()).await;
    // A row a newer version wrote (a field this one does not know), with wide capabilities.
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO grants (kind, name, grant_json, updated_at) VALUES ('plugin', 'greedy', \
         '{\"capabilities\": [\"llm\", \"kv\", \"log\", \"template\"], \"models\": [\"*\"], \"surprise\": 1}', 0)",
    )
    .execute(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();

    let (status, shown) = call(&server, Method::GET, "/api/plugins/greedy/grants", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{shown}");
    let error = shown["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("greedy") && error.contains("surprise"),
        "{shown}"
    );
    let path = "/api/plugins/text_generator/grants";
    let (status, other) = call(&server, Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{other}");

    let (status, done) = execute(&server, text, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(fake.chat_requests(), 1);
    let (status, denied) = execute(&server, greedy, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{denied}");
    assert_denied(&denied, "`llm`", "plugin greedy");
    assert_eq!(fake.chat_requests(), 1);

    let wide = json!({"capabilities": ["llm", "kv", "log", "template"], "models": ["*"]});
    grant(&server, "greedy", wide).await;
    let (status, done) = execute(&server, greedy, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(fake.chat_requests(), 2);
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_body_is_bounded_like_other_definitions() {
    let ws = Workspace::new();
    let url = format!("sqlite://{}", ws.path().join("data/g.db").display());
    let server = ws.serve(&url).await;
    let path = "/api/plugins/text_generator/grants";
    // Above the definition limit (4 MiB), far below the plugin upload limit: 413 unparsed.
    let huge = json!({"capabilities": [], "models": ["x".repeat(5 * 1024 * 1024)]});
    let (status, answer) = call(&server, Method::PUT, path, Some(huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");

    let many: Vec<String> = (0..257).map(|i| format!("m{i}")).collect();
    let (status, answer) = call(
        &server,
        Method::PUT,
        path,
        Some(json!({"capabilities": [], "models": many})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let message = answer["detail"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("257") && message.contains("256"),
        "{answer}"
    );
    let (status, answer) = call(
        &server,
        Method::PUT,
        path,
        Some(json!({"capabilities": [], "models": ["y".repeat(300)]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_starts_above_the_default_memory_loads_and_runs_when_granted() {
    let mut ws = Workspace::new();
    // Roomy's initial memory (over 12 MiB) is above the 8 MiB default, within the 32 MiB maximum.
    ws.set_env("BLOCK_MEMORY_MB", "8");
    ws.set_env("BLOCK_MEMORY_MAX_MB", "32");
    let roomy = ws.path().join("roomy.wasm");
    std::fs::copy(fixtures::ROOMY, &roomy).unwrap();
    let roomy = roomy.display().to_string();
    let out = block_test(&ws, &roomy, json!({}), &[]).await;
    out.assert_failure();
    let failed = out.json();
    assert_eq!(
        failed["failure"]["kind"], "memory_limit",
        "it loads, and its call fails under the default: {failed}\n{}",
        out.stderr
    );
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("Roomy") && e.contains("limit 8.0 MiB")),
        "{failed}"
    );
    ws.write(
        "roomy.yaml",
        "roomy:\n  capabilities: [log]\n  models: []\n  limits: {memory_bytes: 33554432}\n",
    );
    let out = block_test(&ws, &roomy, json!({}), &["--grants", "roomy.yaml"]).await;
    out.assert_success();
    assert_eq!(
        out.json()["output"]["room_bytes"],
        12 << 20,
        "{}",
        out.stdout
    );

    std::fs::copy(fixtures::ROOMY, ws.plugins_dir().join("roomy.wasm")).unwrap();
    let url = format!("sqlite://{}", ws.path().join("data/g.db").display());
    let server = ws.serve(&url).await;
    let (_, blocks) = call(&server, Method::GET, "/api/blocks", None).await;
    assert!(
        blocks
            .as_array()
            .is_some_and(|b| b.iter().any(|b| b["type"] == "Roomy")),
        "the server loaded it: {blocks}"
    );
    grant(
        &server,
        "roomy",
        json!({"capabilities": ["log"], "models": [], "limits": {"memory_bytes": 32u64 << 20}}),
    )
    .await;
    let pipeline = create_pipeline(
        &server,
        json!({"name": "r", "blocks": [{"type": "Roomy", "config": {}}]}),
    )
    .await;
    let (status, done) = execute(&server, pipeline, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["result"]["room_bytes"], 12 << 20, "{done}");
    server.kill9().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_test_asks_which_when_the_tested_file_shares_a_builtins_name() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("PLUGIN_DEFAULT_GRANT", "conservative");
    let tested = ws.path().join("text_generator.wasm");
    std::fs::copy(fixtures::GREEDY, &tested).unwrap();
    let tested = tested.display().to_string();
    let attack = json!({"attack": "huge_prompt"});
    let allow = "  capabilities: [llm, kv, log, template]\n  models: ['*']\n";
    ws.write("bare.yaml", &format!("text_generator:\n{allow}"));
    let out = block_test(&ws, &tested, attack.clone(), &["--grants", "bare.yaml"]).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("\"text_generator\"")
            && out.stderr.contains("plugin:text_generator")
            && out.stderr.contains("builtin:text_generator"),
        "{}",
        out.stderr
    );
    assert_eq!(fake.chat_requests(), 0);

    ws.write("picked.yaml", &format!("'plugin:text_generator':\n{allow}"));
    let out = block_test(&ws, &tested, attack, &["--grants", "picked.yaml"]).await;
    out.assert_success();
    assert_eq!(fake.chat_requests(), 1, "the grant went to the tested file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_grant_above_the_defaults_is_noted_once_at_start() {
    let mut ws = Workspace::new();
    ws.set_env("BLOCK_MEMORY_MB", "64");
    let url = format!("sqlite://{}", ws.path().join("data/g.db").display());
    let server = ws.serve(&url).await;
    let all = json!(["llm", "embeddings", "kv", "log", "template"]);
    grant(
        &server,
        "text_generator",
        json!({"capabilities": all, "models": ["*"], "limits": {"memory_bytes": 128u64 << 20}}),
    )
    .await;
    grant(
        &server,
        "validator",
        json!({"capabilities": all, "models": ["*"], "limits": {"memory_bytes": 32u64 << 20}}),
    )
    .await;
    server.kill9().await;

    let server = ws.serve(&url).await;
    let noted: Vec<String> = server
        .stderr_lines()
        .into_iter()
        .filter(|line| line.contains("above the server's defaults"))
        .collect();
    assert_eq!(noted.len(), 1, "{noted:?}");
    assert!(
        noted[0].contains("text_generator")
            && noted[0].contains("limits.memory_bytes=134217728 (default 67108864)"),
        "{noted:?}"
    );
    server.kill9().await;
}
