//! `blockforge blocks` and `blockforge block test`.

use blockforge_tests::fixtures;
use blockforge_tests::harness::Workspace;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_lists_every_builtin_with_description_io_and_schema() {
    let ws = Workspace::new();
    let listing = ws.run(&["blocks", "--json"]).await;
    listing.assert_success();
    let json = listing.json();
    let blocks = json["blocks"].as_array().expect("blocks list");
    let expect = [
        (
            "TextGenerator",
            &["assistant", "system", "user"][..],
            &[
                "model",
                "temperature",
                "max_tokens",
                "system_prompt",
                "user_prompt",
            ][..],
        ),
        (
            "StructuredGenerator",
            &["generated"][..],
            &[
                "json_schema",
                "user_prompt",
                "model",
                "temperature",
                "max_tokens",
            ][..],
        ),
        (
            "ValidatorBlock",
            &["text", "valid", "assistant"][..],
            &["min_length", "max_length", "forbidden_words"][..],
        ),
        (
            "JSONValidatorBlock",
            &["valid", "parsed_json"][..],
            &["field_name", "required_fields", "strict"][..],
        ),
        ("FieldMapper", &["*"][..], &["mappings"][..]),
        (
            "MarkdownMultiplierBlock",
            &["chunk_text", "chunk_index"][..],
            &["parser_type", "chunk_size", "chunk_overlap"][..],
        ),
    ];
    for (type_name, outputs, config_keys) in expect {
        let block = blocks
            .iter()
            .find(|b| b["type"] == type_name)
            .unwrap_or_else(|| panic!("{type_name} missing"));
        assert!(
            !block["description"].as_str().unwrap_or("").is_empty(),
            "{type_name} has no description"
        );
        let declared: Vec<&str> = block["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| o.as_str())
            .collect();
        assert_eq!(declared, outputs, "{type_name} outputs");
        for key in config_keys {
            assert!(
                block["config_schema"]["properties"].get(*key).is_some(),
                "{type_name} config lacks {key}"
            );
        }
        assert_eq!(block["source"]["kind"], "builtin");
    }
    assert_eq!(
        blocks[0]["config_schema"]["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let text = ws.run(&["blocks"]).await;
    text.assert_success();
    assert!(
        text.stdout.contains("TextGenerator (generators, builtin)"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("config schema:"), "{}", text.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_in_the_plugins_folder_is_listed_with_its_source() {
    let ws = Workspace::new();
    std::fs::copy(fixtures::DEDUP, ws.plugins_dir().join("dedup.wasm")).unwrap();
    let json = ws.run(&["blocks", "--json"]).await.assert_success().json();
    let dedup = json["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "ExactDedup")
        .expect("ExactDedup listed");
    assert_eq!(dedup["source"]["kind"], "plugin");
    assert_eq!(dedup["capabilities"], serde_json::json!(["kv"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_test_prints_output_logs_and_usage() {
    let ws = Workspace::new();
    let out = ws
        .run(&[
            "block",
            "test",
            fixtures::DEDUP,
            "--state",
            r#"{"text": "Hello"}"#,
        ])
        .await;
    out.assert_success();
    let json = out.json();
    assert_eq!(json["output"], serde_json::json!({"is_duplicate": false}));
    assert_eq!(json["logs"][0]["message"], "claimed=true");
    assert_eq!(json["usage"]["input_tokens"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_mapper_renders_each_value_alone_so_quotes_newlines_and_lists_survive() {
    let ws = Workspace::new();
    let state = r#"{"quote": "She said \"no\" then left\nfor good", "tags": ["a", "b \"c\""]}"#;
    let config = r#"{"mappings": {"said": "{{ quote }}", "tags_copy": "{{ tags | tojson }}", "count": "{{ tags | length }}", "literal": 7}}"#;
    let out = ws
        .run(&[
            "block",
            "test",
            "FieldMapper",
            "--state",
            state,
            "--config",
            config,
        ])
        .await;
    out.assert_success();
    let output = &out.json()["output"];
    assert_eq!(output["said"], "She said \"no\" then left\nfor good");
    assert_eq!(output["tags_copy"], serde_json::json!(["a", "b \"c\""]));
    assert_eq!(output["count"], 2);
    assert_eq!(output["literal"], 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_reads_compiled_components_from_the_cache() {
    let mut ws = Workspace::new();
    let cache = ws.path().join("cache");
    ws.set_env("BLOCKFORGE_CACHE_DIR", &cache.display().to_string());
    ws.set_env("RUST_LOG", "blockforge::runtime=debug");
    let first = ws.run(&["blocks", "--json"]).await;
    first.assert_success();
    assert!(first.stderr.contains("cache=Compiled"), "{}", first.stderr);
    let builtins = first.json()["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["source"]["kind"] == "builtin")
        .count();
    let cached = |ext: &str| {
        std::fs::read_dir(&cache)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().to_string_lossy().ends_with(ext))
            .count()
    };
    assert!(builtins >= 6, "{builtins} builtins");
    assert_eq!(cached(".cwasm"), builtins, "one compiled file per builtin");
    assert_eq!(cached(".json"), builtins, "one description per builtin");
    // The second start lists the builtins from their descriptions, loading no component...
    let second = ws.run(&["blocks"]).await;
    second.assert_success();
    assert!(!second.stderr.contains("cache="), "{}", second.stderr);
    // ...and a block's first call reads its compiled form from the cache.
    let call = ws
        .run(&[
            "block",
            "test",
            "ValidatorBlock",
            "--state",
            r#"{"text": "hello"}"#,
        ])
        .await;
    call.assert_success();
    assert!(
        call.stderr.contains("cache=Hit") && !call.stderr.contains("cache=Compiled"),
        "{}",
        call.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_early_ends_the_listing_quietly() {
    // `blockforge blocks | head -1`: the reader is gone before the listing is written.
    let ws = Workspace::new();
    let mut child = ws
        .command(&["blocks"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start blockforge blocks");
    drop(child.stdout.take());
    let output = child.wait_with_output().await.expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
