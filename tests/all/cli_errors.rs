//! Bad input: a non-zero exit and a message naming the file and what is wrong.

use blockforge_tests::fixtures;
use blockforge_tests::harness::Workspace;

const RUN_ARGS: [&str; 7] = [
    "run",
    "--pipeline",
    "p.yaml",
    "--seeds",
    "s.json",
    "--out",
    "out.jsonl",
];

async fn run(ws: &Workspace, pipeline: &str, seeds: &str) -> blockforge_tests::harness::CmdOutput {
    ws.write("p.yaml", pipeline);
    ws.write("s.json", seeds);
    ws.run(&RUN_ARGS).await
}

const GOOD_PIPELINE: &str =
    "name: ok\nblocks:\n  - type: FieldMapper\n    config: {mappings: {a: '1'}}\n";
const GOOD_SEEDS: &str = r#"[{"metadata": {}}]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_pipelines_and_seeds_name_the_file() {
    let ws = Workspace::new();
    let out = run(&ws, "name: x\nblocks: [unclosed\n", GOOD_SEEDS).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("invalid pipeline definition in p.yaml"),
        "{}",
        out.stderr
    );
    let out = run(&ws, GOOD_PIPELINE, "[{\"metadata\": ").await;
    out.assert_failure();
    assert!(
        out.stderr.contains("invalid seeds in s.json"),
        "{}",
        out.stderr
    );
    let out = run(
        &ws,
        GOOD_PIPELINE,
        r#"[{"repetitions": -2, "metadata": {}}]"#,
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("seed 1") && out.stderr.contains("repetitions"),
        "{}",
        out.stderr
    );
    let out = ws
        .run(&["run", "--pipeline", "missing.yaml", "--seeds", "s.json"])
        .await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("cannot read pipeline file missing.yaml"),
        "{}",
        out.stderr
    );
    assert!(
        !ws.path().join("out.jsonl").exists(),
        "nothing is written for bad input"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_block_names_the_available_ones() {
    let ws = Workspace::new();
    let out = run(
        &ws,
        "name: x\nblocks:\n  - type: TextGenerater\n",
        GOOD_SEEDS,
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("step 0 (TextGenerater): unknown block type 'TextGenerater'"),
        "{}",
        out.stderr
    );
    // The known types, sorted (other builtins may join the list).
    let available: Vec<&str> = out
        .stderr
        .split("available: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_else(|| panic!("no list of available types: {}", out.stderr))
        .split(", ")
        .collect();
    assert!(available.is_sorted(), "{available:?}");
    for builtin in [
        "FieldMapper",
        "JSONValidatorBlock",
        "MarkdownMultiplierBlock",
        "StructuredGenerator",
        "TextGenerator",
        "ValidatorBlock",
    ] {
        assert!(available.contains(&builtin), "{builtin}: {}", out.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_config_is_refused_with_the_key_at_fault() {
    let ws = Workspace::new();
    let out = run(&ws, "name: x\nblocks:\n  - type: TextGenerator\n    config: {temperature: hot, user_promt: hi}\n", GOOD_SEEDS).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("step 0 (TextGenerator): invalid config"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("/temperature"), "{}", out.stderr);
    assert!(out.stderr.contains("user_promt"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_output_file_is_not_overwritten_without_asking() {
    let ws = Workspace::new();
    ws.write("out.jsonl", "{\"precious\": true}\n");
    let out = run(&ws, GOOD_PIPELINE, GOOD_SEEDS).await;
    out.assert_failure();
    assert!(out.stderr.contains("already holds data"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("out.jsonl")).unwrap(),
        "{\"precious\": true}\n"
    );
    let appended = ws.run(&[RUN_ARGS.as_slice(), &["--append"]].concat()).await;
    appended.assert_success();
    assert_eq!(
        std::fs::read_to_string(ws.path().join("out.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_are_not_blocks_are_refused_with_the_reason() {
    let ws = Workspace::new();
    let text = ws.write("notes.wasm", "not wasm at all");
    let out = ws.run(&["block", "test", text.to_str().unwrap()]).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("notes.wasm is not a WebAssembly file"),
        "{}",
        out.stderr
    );

    let core = ws.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let out = ws.run(&["block", "test", core.to_str().unwrap()]).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("core.wasm is a core WebAssembly module, not a component"),
        "{}",
        out.stderr
    );

    let out = ws.run(&["block", "test", fixtures::WRONG_VERSION]).await;
    out.assert_failure();
    assert!(
        out.stderr.contains(
            "targets `blockforge:block/guest@9.0.0`, but this host runs \
             `blockforge:block/guest@0.2.0` or `blockforge:block/guest@0.1.0`"
        ),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_plugin_is_reported_and_the_other_blocks_keep_working() {
    let ws = Workspace::new();
    std::fs::write(
        ws.plugins_dir().join("broken.wasm"),
        b"\0asm\x0d\0\x01\0garbage",
    )
    .unwrap();
    std::fs::copy(
        fixtures::WRONG_VERSION,
        ws.plugins_dir().join("future.wasm"),
    )
    .unwrap();
    let listing = ws.run(&["blocks", "--json"]).await;
    listing.assert_success();
    let json = listing.json();
    let failed = json["failed_plugins"].as_array().unwrap();
    assert_eq!(failed.len(), 2, "{json}");
    assert!(failed.iter().any(|f| {
        f["error"]
            .as_str()
            .unwrap()
            .contains("could not be compiled")
    }));
    assert!(
        failed
            .iter()
            .any(|f| f["error"].as_str().unwrap().contains("guest@9.0.0"))
    );
    let out = run(&ws, GOOD_PIPELINE, GOOD_SEEDS).await;
    out.assert_success();
}
