//! Blocks written in Rust, Python and JavaScript with their SDKs (`examples/blocks/*`, built by
//! `make language-blocks`): each runs under `blockforge block test`, in a `blockforge run` job
//! and in a server that hot-loads it from its plugins folder; their errors (a `BlockError`, an
//! uncaught Python exception, a thrown JavaScript `Error`, a component importing `wasi:http`)
//! reach the user with what happened and what to do.

use std::time::{Duration, Instant};

use blockforge_tests::harness::{CmdOutput, Workspace, run_tool};
use blockforge_tests::language_blocks::{EXAMPLES, path};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, get_json};

/// A safety net for a server to compile and load an 18 MB component on a loaded machine
/// (the compile cache makes it far quicker after the first test).
const LOAD_DEADLINE: Duration = Duration::from_secs(300);

async fn block_test(ws: &Workspace, component: &str, state: Value, config: Value) -> CmdOutput {
    let wasm = path(component).display().to_string();
    ws.run(&[
        "block",
        "test",
        &wasm,
        "--state",
        &state.to_string(),
        "--config",
        &config.to_string(),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_block_of_each_language_runs_under_block_test() {
    let ws = Workspace::new();
    for (language, component, block_type) in EXAMPLES {
        let out = block_test(
            &ws,
            component,
            json!({"text": "hello big world", "name": "Ada"}),
            json!({"prefix": "{{ name }}: "}),
        )
        .await;
        out.assert_success();
        let report = out.json();
        assert_eq!(report["block_type"], block_type, "{language}: {report}");
        assert_eq!(
            report["output"],
            json!({"shouted": "Ada: HELLO BIG WORLD", "words": 3}),
            "{language}: {report}"
        );
        let logged: Vec<&str> = report["logs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|line| line["message"].as_str())
            .collect();
        assert!(logged.contains(&"shouting 3 words"), "{language}: {report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sdk_derives_the_config_schema_the_editor_shows() {
    let ws = Workspace::new();
    for (_, component, _) in EXAMPLES {
        std::fs::copy(
            path(component),
            ws.plugins_dir().join(format!("{component}.wasm")),
        )
        .unwrap();
    }
    let out = ws.run(&["blocks", "--json"]).await;
    out.assert_success();
    let blocks = out.json()["blocks"].clone();
    for (language, _, block_type) in EXAMPLES {
        let block = blocks
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == block_type)
            .unwrap_or_else(|| panic!("{language}: {block_type} not listed: {blocks}"));
        assert_eq!(block["inputs"], json!(["text"]), "{language}: {block}");
        assert_eq!(
            block["outputs"],
            json!(["shouted", "words"]),
            "{language}: {block}"
        );
        let schema = &block["config_schema"];
        let prefix = &schema["properties"]["prefix"];
        assert_eq!(prefix["type"], "string", "{language}: {schema}");
        assert_eq!(prefix["format"], "jinja2", "{language}: {schema}");
        assert_eq!(prefix["default"], "", "{language}: {schema}");
        assert!(
            prefix["description"]
                .as_str()
                .is_some_and(|d| d.starts_with("Text put in front")),
            "{language}: {schema}"
        );
        assert_eq!(
            schema["properties"]["max_words"]["type"], "integer",
            "{language}: {schema}"
        );
        assert_eq!(
            schema["additionalProperties"], false,
            "{language}: {schema}"
        );
    }
    // The host checks a config against the derived schema before the block runs.
    for (language, component, _) in EXAMPLES {
        let out = block_test(&ws, component, json!({"text": "x"}), json!({"shout": true})).await;
        out.assert_failure();
        assert!(
            out.stderr.contains("invalid config") && out.stderr.contains("shout"),
            "{language}: {}",
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_error_keeps_its_code_message_and_detail_in_every_language() {
    let ws = Workspace::new();
    for (language, component, block_type) in EXAMPLES {
        let out = block_test(
            &ws,
            component,
            json!({"text": "one two three"}),
            json!({"max_words": 2}),
        )
        .await;
        out.assert_failure();
        let report = out.json();
        assert_eq!(
            report["error"],
            format!("{block_type} (step 0) failed (rejected): text has 3 words, above max_words 2"),
            "{language}: {report}"
        );
        assert_eq!(report["failure"]["kind"], "block_error", "{language}");
        assert_eq!(
            report["failure"]["detail"],
            json!({"words": 3, "max_words": 2}),
            "{language}: {report}"
        );

        // The SDKs' state helpers name the missing field.
        let out = block_test(&ws, component, json!({}), json!({})).await;
        out.assert_failure();
        assert_eq!(
            out.json()["error"],
            format!("{block_type} (step 0) failed (invalid input): state field 'text' is missing"),
            "{language}: {}",
            out.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uncaught_python_exception_is_the_runs_error_with_its_traceback() {
    let ws = Workspace::new();
    let out = block_test(&ws, "py_parse_count", json!({"count": "abc"}), json!({})).await;
    out.assert_failure();
    let report = out.json();
    let error = report["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            "PyParseCount (step 0) failed (internal error): ValueError: invalid literal for int() with base 10: 'abc'"
        ),
        "{report}"
    );
    assert!(
        error.contains("Traceback (most recent call last):"),
        "{error}"
    );
    assert!(
        error.contains("File \"parse_count.py\", line") && error.contains("in execute"),
        "the traceback names the block's own line, in the file as its author knows it: {error}"
    );
    let full = report["failure"]["detail"]["traceback"].as_str().unwrap();
    assert!(
        full.contains("File \"parse_count.py\", line") && !full.contains("\"/0/"),
        "{full}"
    );
    assert!(!error.contains("panicked"), "{error}");
    assert_eq!(report["failure"]["detail"]["exception"], "ValueError");

    let out = block_test(&ws, "py_parse_count", json!({"count": "41"}), json!({})).await;
    out.assert_success();
    assert_eq!(out.json()["output"], json!({"next": 42}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thrown_javascript_error_keeps_its_message_and_stack() {
    let ws = Workspace::new();
    let out = block_test(&ws, "js_parse_count", json!({"count": "abc"}), json!({})).await;
    out.assert_failure();
    let report = out.json();
    let error = report["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            "JsParseCount (step 0) failed (internal error): Error: count is not a number: abc"
        ),
        "{report}"
    );
    assert!(
        error.contains("parseCount") && error.contains("parse_count.js"),
        "the stack names the throwing function and file: {error}"
    );
    assert!(!error.contains("unreachable"), "{error}");

    let out = block_test(&ws, "js_parse_count", json!({"count": "41"}), json!({})).await;
    out.assert_success();
    assert_eq!(out.json()["output"], json!({"next": 42}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_importing_wasi_http_is_refused_with_how_to_rebuild_it() {
    let ws = Workspace::new();
    let out = block_test(&ws, "js_with_http", json!({"count": "1"}), json!({})).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("cannot be linked")
            && out.stderr.contains("wasi:http")
            && out.stderr.contains("--disable http fetch-event")
            && out.stderr.contains("sdk/js/build_block.mjs"),
        "{}",
        out.stderr
    );
}

const PIPELINE: &str = r#"
name: three languages
blocks:
  - type: RustShout
    config: {prefix: "rust {{ n }}: "}
  - type: PyShout
    config: {prefix: "python {{ n }}: "}
  - type: JsShout
    config: {prefix: "js {{ n }}: "}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_job_chains_the_blocks_of_the_three_languages() {
    let ws = Workspace::new();
    for (_, component, _) in EXAMPLES {
        std::fs::copy(
            path(component),
            ws.plugins_dir().join(format!("{component}.wasm")),
        )
        .unwrap();
    }
    let seeds = blockforge_tests::harness::seeds(
        6,
        |i| json!({"n": i, "text": "word ".repeat(i + 1).trim_end()}),
    );
    let (out, records) = ws.run_pipeline(PIPELINE, &seeds, &[]).await;
    out.assert_success();
    assert_eq!(records.len(), 6, "{}", out.stderr);
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        let n = record["metadata"]["n"].as_u64().unwrap();
        let text = "WORD ".repeat(n as usize + 1);
        let text = text.trim_end();
        let trace = record["trace"].as_array().unwrap();
        for (step, language) in ["rust", "python", "js"].iter().enumerate() {
            assert_eq!(
                trace[step]["output"],
                json!({"shouted": format!("{language} {n}: {text}"), "words": n + 1}),
                "{record}"
            );
        }
        assert_eq!(
            record["accumulated_state"]["shouted"],
            format!("js {n}: {text}")
        );
    }
}

/// Polls `/api/blocks` until every type of `types` is listed.
async fn until_listed(server: &blockforge_tests::harness::Server, types: &[&str]) {
    let started = Instant::now();
    loop {
        let blocks = get_json(server, "/api/blocks").await;
        let listed = |t: &&str| blocks.as_array().unwrap().iter().any(|b| b["type"] == *t);
        if types.iter().all(listed) {
            eprintln!("hot-loaded {types:?} after {:?}", started.elapsed());
            return;
        }
        assert!(
            started.elapsed() < LOAD_DEADLINE,
            "not all of {types:?} loaded within {LOAD_DEADLINE:?}: {}",
            get_json(server, "/api/plugins").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_hot_loads_each_language_from_its_plugins_folder() {
    let ws = Workspace::new();
    let database = format!(
        "sqlite://{}",
        ws.path().join("data/blockforge.db").display()
    );
    let server = ws.serve(&database).await;
    for (_, component, _) in EXAMPLES {
        std::fs::copy(
            path(component),
            ws.plugins_dir().join(format!("{component}.wasm")),
        )
        .unwrap();
    }
    let types: Vec<&str> = EXAMPLES.iter().map(|(_, _, t)| *t).collect();
    until_listed(&server, &types).await;
    let plugins = get_json(&server, "/api/plugins").await;
    for plugin in plugins.as_array().unwrap() {
        assert_eq!(plugin["status"], "loaded", "{plugins}");
    }
    let blocks: Vec<Value> = types
        .iter()
        .map(|t| json!({"type": t, "config": {"prefix": format!("{t}> ")}}))
        .collect();
    let pipeline = create_pipeline(&server, json!({"name": "languages", "blocks": blocks})).await;
    let response = client()
        .post(server.url(&format!("/api/pipelines/{pipeline}/execute")))
        .json(&json!({"text": "hot loaded"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let result: Value = response.json().await.unwrap();
    let trace = result["trace"].as_array().unwrap();
    for (step, block_type) in types.iter().enumerate() {
        assert_eq!(
            trace[step]["output"]["shouted"],
            format!("{block_type}> HOT LOADED"),
            "{result}"
        );
    }
    server.kill9().await;
}

/// `make -C project test` with the blockforge under test, and builds kept between test runs
/// (a Rust project's in `<target>/new-block-rust`; the Python and JavaScript toolchains in
/// their usual cache).
async fn make_test(ws: &Workspace, project: &std::path::Path, llm: Option<&str>) -> CmdOutput {
    make(ws, project, "test", llm).await
}

/// `make -C project goal`, as [`make_test`] runs it.
async fn make(
    ws: &Workspace,
    project: &std::path::Path,
    goal: &str,
    llm: Option<&str>,
) -> CmdOutput {
    let bin = blockforge_tests::harness::blockforge_bin();
    let target = blockforge_tests::language_blocks::dir().with_file_name("new-block-rust");
    let mut command = tokio::process::Command::new("make");
    command
        .arg("-C")
        .arg(project)
        .arg(goal)
        .arg(format!("BLOCKFORGE={}", bin.display()))
        .env("CARGO_TARGET_DIR", &target)
        .env("PLUGINS_DIR", ws.plugins_dir())
        .env(
            "BLOCKFORGE_CACHE_DIR",
            bin.with_file_name("test-component-cache"),
        );
    // Make and cargo started by a test must not take the outer build's settings.
    command
        .env_remove("MAKEFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if let Some(endpoint) = llm {
        command
            .env("LLM_ENDPOINT", endpoint)
            .env("LLM_MODEL", "fake-model");
    }
    let output = command.output().await.expect("cannot run make");
    CmdOutput {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_block_writes_a_project_that_builds_and_passes_its_test_in_each_language() {
    let ws = Workspace::new();
    for language in ["rust", "python", "js"] {
        let dir = ws.path().join(format!("word-count-{language}"));
        let dir_arg = dir.display().to_string();
        let new_block = [
            "new-block",
            "word-count",
            "--lang",
            language,
            "--dir",
            &dir_arg,
        ];
        let out = ws.run(&new_block).await;
        out.assert_success();
        assert!(out.stdout.contains("make"), "{}", out.stdout);
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        assert!(
            readme.contains("make ")
                && readme.contains("blockforge block test word_count.wasm")
                && readme.contains("plugins/"),
            "{readme}"
        );
        // A Rust project ships its Cargo.lock, which the build uses as written.
        let lock = std::fs::read_to_string(dir.join("Cargo.lock")).ok();
        assert_eq!(lock.is_some(), language == "rust", "{language}");
        let made = make_test(&ws, &dir, None).await;
        made.assert_success();
        assert_eq!(
            std::fs::read_to_string(dir.join("Cargo.lock")).ok(),
            lock,
            "{language}: the build changed the lock file"
        );
        assert!(
            made.stdout
                .contains("test passed: word_count.wasm wrote \"result\": \"HELLO BLOCKS\""),
            "{language}: {}\n{}",
            made.stdout,
            made.stderr
        );
        // What the test checked, read back: the block's output, its log line.
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("test-output.json")).unwrap())
                .unwrap();
        assert_eq!(report["block_type"], "WordCount", "{report}");
        assert_eq!(report["output"], json!({"result": "HELLO BLOCKS"}));
        assert_eq!(
            report["logs"][0]["message"], "WordCount got 12 characters",
            "{language}: {report}"
        );
        // Writing over a project is refused.
        let again = ws.run(&new_block).await;
        again.assert_failure();
        assert!(again.stderr.contains("not empty"), "{}", again.stderr);
    }
}

/// `blockforge new-block name --lang language flags...` into `<workspace>/name`; returns that
/// folder.
async fn new_project(
    ws: &Workspace,
    name: &str,
    language: &str,
    flags: &[&str],
) -> std::path::PathBuf {
    let dir = ws.path().join(name);
    let dir_arg = dir.display().to_string();
    let mut args = vec!["new-block", name, "--lang", language, "--dir", &dir_arg];
    args.extend(flags);
    ws.run(&args).await.assert_success();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_rust_project_builds_from_its_lock_file_as_written() {
    let ws = Workspace::new();
    let dir = new_project(&ws, "word-count", "rust", &[]).await;
    // A lock file that no longer matches the manifest (the crate's own entry dropped): the
    // build stops and says so, instead of resolving versions anew and rewriting it.
    let lock = dir.join("Cargo.lock");
    let written = std::fs::read_to_string(&lock).unwrap();
    let root = "[[package]]\nname = \"word_count\"\n";
    let start = written.find(root).expect("the crate's entry in Cargo.lock");
    let end = written[start..]
        .find("\n\n")
        .map_or(written.len(), |at| start + at + 2);
    let stale = format!("{}{}", &written[..start], &written[end..]);
    std::fs::write(&lock, &stale).unwrap();
    let made = make(&ws, &dir, "build", None).await;
    made.assert_failure();
    assert!(
        made.stderr.contains("--locked") && made.stderr.contains("Cargo.lock"),
        "{}",
        made.stderr
    );
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), stale);
    assert!(!dir.join("word_count.wasm").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_block_with_llm_writes_a_block_that_asks_the_model() {
    let (fake, ws) =
        Workspace::with_fake_llm(blockforge_tests::fake_llm::FakeLlmConfig::default()).await;
    let dir = new_project(&ws, "titler", "rust", &["--llm"]).await;
    let made = make_test(&ws, &dir, Some(&fake.base_url())).await;
    made.assert_success();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("test-output.json")).unwrap())
            .unwrap();
    assert_eq!(
        report["output"],
        json!({"result": "Echo: Give a short title to: hello blocks"}),
        "{report}"
    );
    assert_eq!(report["llm_calls"], 1, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_block_refuses_a_name_that_cannot_be_a_block_type() {
    let ws = Workspace::new();
    let out = ws
        .run(&["new-block", "../escape", "--lang", "python"])
        .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("invalid block name '../escape'"),
        "{}",
        out.stderr
    );
    assert!(!ws.path().join("escape").exists());

    // A Python block named like a standard module would write a project its own build refuses
    // (`random.py` would import as the standard library's `random`): refused now, with a name
    // to use instead.
    let out = ws.run(&["new-block", "random", "--lang", "python"]).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("random.py")
            && out
                .stderr
                .contains("the Python standard library's `random` module")
            && out
                .stderr
                .contains("choose another name, e.g. random-block"),
        "{}",
        out.stderr
    );
    assert!(!ws.path().join("random").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_and_javascript_sdks_reach_the_model_embeddings_and_kv() {
    for (component, block_type) in [
        ("py_host_calls", "PyHostCalls"),
        ("js_host_calls", "JsHostCalls"),
    ] {
        let (_fake, mut ws) =
            Workspace::with_fake_llm(blockforge_tests::fake_llm::FakeLlmConfig::default()).await;
        ws.set_env("EMBEDDING_MODEL", "fake-embedding");
        std::fs::copy(
            path(component),
            ws.plugins_dir().join(format!("{component}.wasm")),
        )
        .unwrap();
        let pipeline = format!("name: host calls\nblocks:\n  - type: {block_type}\n");
        let seeds = json!([
            {"repetitions": 1, "metadata": {"text": "a"}},
            {"repetitions": 1, "metadata": {"text": "a"}},
            {"repetitions": 1, "metadata": {"text": "b"}},
        ]);
        let (out, mut records) = ws
            .run_pipeline(&pipeline, &seeds, &["--concurrency", "1"])
            .await;
        out.assert_success();
        records.sort_by_key(|r| r["seed_index"].as_u64());
        let states: Vec<&Value> = records.iter().map(|r| &r["accumulated_state"]).collect();
        assert_eq!(states.len(), 3, "{block_type}: {}", out.stderr);
        assert_eq!(
            states[0]["answer"], "Echo: a",
            "{block_type}: {:?}",
            records[0]
        );
        assert_eq!(
            states[0]["vector"],
            json!(blockforge_tests::fake_llm::vector_of("a")),
            "{block_type}"
        );
        assert!(
            states[0]["input_tokens"].as_u64().unwrap() > 0,
            "{block_type}"
        );
        let first: Vec<&Value> = states.iter().map(|s| &s["first_time"]).collect();
        assert_eq!(
            first,
            [&json!(true), &json!(false), &json!(true)],
            "{block_type}"
        );
        // The second "a" found the first run's claim; the last run sees both keys.
        assert_eq!(
            states[1]["claimed_by"], records[0]["trace_id"],
            "{block_type}"
        );
        assert_eq!(
            states[2]["keys"],
            json!(["seen:a", "seen:b"]),
            "{block_type}"
        );
        assert_eq!(
            records[0]["trace"][0]["llm_calls"].as_array().map(Vec::len),
            Some(2)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_without_its_export_fails_the_build_with_the_line_to_write() {
    let checkout = blockforge_tests::harness::checkout();
    // Asked for, so the test sees that build_block.py leaves componentize-py's out.
    let backtrace = [("RUST_BACKTRACE", std::ffi::OsStr::new("1"))];
    let dir = tempfile::tempdir().unwrap();
    let python = dir.path().join("forgot.py");
    std::fs::write(
        &python,
        "from blockforge import Block\n\nclass Forgot(Block):\n    type_name = \"Forgot\"\n\n    def execute(self, ctx):\n        return {}\n",
    )
    .unwrap();
    let out = run_tool(
        "python3",
        &[
            &checkout
                .join("sdk/python/build_block.py")
                .display()
                .to_string(),
            &python.display().to_string(),
            "-o",
            &dir.path().join("forgot.wasm").display().to_string(),
        ],
        None,
        &backtrace,
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("hint: end ")
            && out.stderr.contains("Guest = blockforge.export(YourBlock)"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("Stack backtrace"), "{}", out.stderr);

    let js = dir.path().join("forgot.js");
    std::fs::write(
        &js,
        "import { defineBlock } from './blockforge_sdk/blockforge.js';\nexport const block = defineBlock({ typeName: 'Forgot', execute() { return {}; } });\n",
    )
    .unwrap();
    let out = build_js_beside_sdk(dir.path(), "forgot.js", "forgot-js.wasm", &backtrace).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("hint: export the block as `export const guest = defineBlock({...})`"),
        "{}",
        out.stderr
    );

    // The checkout's build script and a block elsewhere that share only `/`: said, not a
    // mangled module path from componentize-js. (Only where the checkout is not below the
    // temporary folder.)
    if checkout.components().nth(1) == dir.path().components().nth(1) {
        return;
    }
    let elsewhere = checkout
        .join("sdk/js/build_block.mjs")
        .display()
        .to_string();
    let out = run_tool(
        "node",
        &[&elsewhere, &js.display().to_string(), "-o", "x.wasm"],
        None,
        &backtrace,
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("share no folder but /")
            && out.stderr.contains("copy the SDK beside the block"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_syntax_error_fails_the_build_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // componentize-js alone says "failed to parse JS source, encountered [1] errors".
    std::fs::write(
        dir.path().join("typo.js"),
        "import { defineBlock } from './blockforge_sdk/blockforge.js';\nexport const guest = defineBlock({\n  typeName: 'Typo',\n  execute(ctx) {\n    const x = ;\n    return {};\n  },\n});\n",
    )
    .unwrap();
    let out = build_js_beside_sdk(dir.path(), "typo.js", "typo.wasm", &[]).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("typo.js:5\n")
            && out.stderr.contains("SyntaxError: Unexpected token ';'"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("typo.wasm").exists());
}

/// `node build_block.mjs SOURCE -o OUT` in `dir` (both named relative to it) against the
/// checkout's 0.1.0 WIT, with a copy of the JavaScript SDK in `dir/blockforge_sdk`, as
/// `new-block` lays a project out.
async fn build_js_beside_sdk(
    dir: &std::path::Path,
    source: &str,
    out: &str,
    env: &[(&str, &std::ffi::OsStr)],
) -> CmdOutput {
    let sdk = dir.join("blockforge_sdk");
    blockforge_tests::language_blocks::copy_js_sdk(&sdk);
    let wit = blockforge_tests::harness::checkout()
        .join("wit/since_v0.1.0")
        .display()
        .to_string();
    let script = sdk.join("build_block.mjs").display().to_string();
    run_tool(
        "node",
        &[&script, source, "--wit", &wit, "-o", out],
        Some(dir),
        env,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_test_says_when_it_compiles_a_component_and_not_after() {
    let mut ws = Workspace::new();
    // A compile cache of its own, in which the component is not yet.
    let cache = ws.path().join("compile-cache").display().to_string();
    ws.set_env("BLOCKFORGE_CACHE_DIR", &cache);
    let component = path("rust_shout").display().to_string();
    for first in [true, false] {
        let out = ws
            .run(&["block", "test", &component, "--state", r#"{"text": "hi"}"#])
            .await;
        out.assert_success();
        let said = out.stderr.contains("compiling ")
            && out.stderr.contains("rust_shout.wasm (")
            && out.stderr.contains("the first time only");
        assert_eq!(said, first, "{}", out.stderr);
    }
}
