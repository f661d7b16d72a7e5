//! The language SDKs' finer promises: one LLM error detail in every language, thrown values
//! JSON cannot write, block files named like a Python standard module, typings that check a
//! typical JavaScript block, the Node.js version the JavaScript build needs, and toolchain
//! folders that follow what they install.

use std::path::{Path, PathBuf};

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{CmdOutput, Workspace, checkout, run_tool};
use blockforge_tests::language_blocks::{copy_js_sdk, path};
use serde_json::{Value, json};

async fn block_test(ws: &Workspace, wasm: &Path, state: Value, config: Value) -> CmdOutput {
    ws.run(&[
        "block",
        "test",
        &wasm.display().to_string(),
        "--state",
        &state.to_string(),
        "--config",
        &config.to_string(),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_model_call_has_the_same_detail_in_every_sdk() {
    // Every request answers 400: a bad request, which is not retried.
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::failing(u32::MAX, 400)).await;
    let cases = [
        (
            "rust",
            PathBuf::from(blockforge_tests::fixtures::GREEDY),
            json!({}),
            json!({"attack": "huge_prompt"}),
        ),
        (
            "python",
            path("py_host_calls"),
            json!({"text": "a"}),
            json!({}),
        ),
        ("js", path("js_host_calls"), json!({"text": "a"}), json!({})),
    ];
    for (language, wasm, state, config) in cases {
        let out = block_test(&ws, &wasm, state, config).await;
        out.assert_failure();
        let report = out.json();
        assert_eq!(
            report["failure"]["kind"], "block_error",
            "{language}: {report}"
        );
        assert_eq!(
            report["failure"]["detail"],
            json!({"llm_error": "bad-request"}),
            "{language}: {report}"
        );
        let error = report["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("failed (host call failed): llm.chat failed (bad-request): "),
            "{language}: {error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_block_throwing_what_json_cannot_write_still_reports_it() {
    let ws = Workspace::new();
    let wasm = path("js_parse_count");
    let out = block_test(&ws, &wasm, json!({"throw": "bigint"}), json!({})).await;
    out.assert_failure();
    let report = out.json();
    assert_eq!(
        report["error"],
        "JsParseCount (step 0) failed (internal error): uncaught 100000000000000000000n",
        "{report}"
    );
    assert_eq!(report["failure"]["kind"], "block_error", "{report}");

    let out = block_test(&ws, &wasm, json!({"throw": "cyclic"}), json!({})).await;
    out.assert_failure();
    let report = out.json();
    assert_eq!(
        report["error"],
        r#"JsParseCount (step 0) failed (internal error): uncaught {"name":"Loop","self":"[Circular]"}"#,
        "{report}"
    );

    // One object met twice side by side is written twice: only a cycle is circular.
    let out = block_test(&ws, &wasm, json!({"throw": "shared"}), json!({})).await;
    out.assert_failure();
    let report = out.json();
    assert_eq!(
        report["error"],
        r#"JsParseCount (step 0) failed (internal error): uncaught {"name":"Twice","size":"10n","first":{"x":1},"second":{"x":1},"both":[{"x":1},{"x":1}]}"#,
        "{report}"
    );

    // A BlockError whose detail holds a BigInt keeps its code, message and detail.
    let out = block_test(&ws, &wasm, json!({"throw": "detail"}), json!({})).await;
    out.assert_failure();
    let report = out.json();
    assert_eq!(
        report["error"], "JsParseCount (step 0) failed (rejected): too big",
        "{report}"
    );
    assert_eq!(
        report["failure"]["detail"],
        json!({"size": "18446744073709551616n"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_block_named_like_a_standard_module_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let build = checkout().join("sdk/python/build_block.py");
    // `annotationlib` is new in Python 3.14, the CPython componentize-py bundles: refused
    // whatever Python runs the build.
    for name in ["json", "random", "annotationlib", "wit_world"] {
        let file = dir.path().join(format!("{name}.py"));
        std::fs::write(&file, PYTHON_BLOCK).unwrap();
        let out = run_tool(
            "python3",
            &[
                &build.display().to_string(),
                &file.display().to_string(),
                "-o",
                &dir.path().join("b.wasm").display().to_string(),
            ],
            None,
            &[],
        )
        .await;
        out.assert_failure();
        assert!(
            out.stderr
                .contains(&format!("error: {name}.py has the name of"))
                && out
                    .stderr
                    .contains(&format!("rename it, e.g. to {name}_block.py")),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("has no attribute 'Guest'"),
            "{}",
            out.stderr
        );
    }
    // Standard modules of the Python running the build that the bundled CPython does not have
    // (`chunk` left in 3.13) are free names.
    let sdk = checkout().join("sdk/python").display().to_string();
    let check = format!(
        "import sys; from pathlib import Path; sys.path.insert(0, {sdk:?}); import build_block; \
         print([build_block.module_name_problem(Path(n + '.py')) for n in ['chunk', 'word_count']])"
    );
    let out = run_tool("python3", &["-c", &check], None, &[]).await;
    out.assert_success();
    assert_eq!(out.stdout.trim(), "[None, None]", "{}", out.stderr);
}

/// The `[stdlib]` section of `sdk/python/reserved_modules.txt`, and the file's text.
fn reserved_standard_modules() -> (Vec<String>, String) {
    let text = std::fs::read_to_string(checkout().join("sdk/python/reserved_modules.txt")).unwrap();
    let names = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .skip_while(|line| *line != "[stdlib]")
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .map(str::to_owned)
        .collect();
    (names, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reserved_standard_modules_are_those_of_the_cpython_componentize_py_bundles() {
    let ws = Workspace::new();
    let out = block_test(&ws, &path("py_stdlib_names"), json!({}), json!({})).await;
    out.assert_success();
    let output = &out.json()["output"];
    let bundled: Vec<String> =
        serde_json::from_value(output["stdlib_module_names"].clone()).unwrap();
    let version = output["version"].as_str().unwrap();
    let (shipped, text) = reserved_standard_modules();
    assert!(bundled.len() > 200, "{output}");
    assert_eq!(
        shipped, bundled,
        "sdk/python/reserved_modules.txt's [stdlib] is not the standard library of CPython {version}, which componentize-py bundles: regenerate it as its header says"
    );
    assert!(
        text.contains(&format!("of CPython {version}, ")),
        "the header names another CPython than {version}"
    );
}

/// The TypeScript compiler the web UI installs (`make web`, which `make test` runs).
fn tsc() -> PathBuf {
    let tsc = checkout().join("web/node_modules/.bin/tsc");
    assert!(
        tsc.is_file(),
        "{} is missing: run `make web` (make test does) to install TypeScript",
        tsc.display()
    );
    tsc
}

async fn type_check(files: &[&Path]) -> CmdOutput {
    let tsc = tsc();
    let mut args = vec![
        "--noEmit",
        "--allowJs",
        "--checkJs",
        "--strict",
        "--module",
        "nodenext",
        "--target",
        "es2022",
    ];
    let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(files.iter().map(String::as_str));
    run_tool(&tsc.display().to_string(), &args, None, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_typings_check_a_typical_block() {
    let ws = Workspace::new();
    let mut blocks = vec![checkout().join("examples/blocks/js/shout.js")];
    for (dir, flags) in [("plain", &[][..]), ("llm", &["--llm"][..])] {
        let project = ws.path().join(dir);
        let project_arg = project.display().to_string();
        let mut args = vec![
            "new-block",
            "word-count",
            "--lang",
            "js",
            "--dir",
            &project_arg,
        ];
        args.extend(flags);
        ws.run(&args).await.assert_success();
        blocks.push(project.join("word_count.js"));
    }
    let checked: Vec<&Path> = blocks.iter().map(PathBuf::as_path).collect();
    let out = type_check(&checked).await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);

    // The config's types come from its schema: misusing them is an error.
    let wrong = ws.write(
        "plain/wrong.js",
        "// @ts-check\nimport { defineBlock } from './blockforge_sdk/blockforge.js';\n\
         export const guest = defineBlock({\n  typeName: 'Wrong',\n  config: {\n    \
         limit: { type: 'integer', default: 3 },\n    mode: { enum: ['a', 'b'], default: 'a' },\n  },\n  \
         execute(ctx) {\n    /** @type {string} */\n    const limit = ctx.config.limit;\n    \
         /** @type {'a'} */\n    const mode = ctx.config.mode;\n    return { limit, mode };\n  },\n});\n",
    );
    let out = type_check(&[&wrong]).await;
    // tsc reports on stdout.
    assert_ne!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "wrong.js(11,11): error TS2322: Type 'number' is not assignable to type 'string'"
        ) && out.stdout.contains(
            "wrong.js(13,11): error TS2322: Type '\"a\" | \"b\"' is not assignable to type '\"a\"'"
        ),
        "{}",
        out.stdout
    );

    // A key named in `required` is always there (the host refuses a config without it); a key
    // neither required nor with a default may be missing; `required` names config keys only.
    let required = ws.write(
        "plain/required.js",
        "// @ts-check\nimport { defineBlock } from './blockforge_sdk/blockforge.js';\n\
         export const guest = defineBlock({\n  typeName: 'Required',\n  config: {\n    \
         name: { type: 'string' },\n    note: { type: 'string' },\n  },\n  required: ['name'],\n  \
         execute(ctx) {\n    /** @type {string} */\n    const name = ctx.config.name;\n    \
         /** @type {string} */\n    const note = ctx.config.note;\n    return { name, note };\n  },\n});\n\
         export const typo = defineBlock({\n  typeName: 'Typo',\n  config: { name: { type: 'string' } },\n  \
         required: ['nmae'],\n  execute: () => ({}),\n});\n",
    );
    let out = type_check(&[&required]).await;
    assert_ne!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    // Each error line, from the file's name on (tsc may print the path relative or absolute).
    let errors: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|line| line.find("required.js(").map(|at| &line[at..]))
        .collect();
    assert_eq!(
        errors,
        [
            "required.js(14,11): error TS2322: Type 'string | undefined' is not assignable to type 'string'.",
            "required.js(21,14): error TS2322: Type '\"nmae\"' is not assignable to type '\"name\"'.",
        ],
        "{}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_build_names_the_node_version_it_needs() {
    let module = checkout().join("sdk/js/node_version.mjs");
    let script = format!(
        "import {{ nodeVersionProblem }} from {module:?};\n\
         console.log(JSON.stringify(['18.20.4', '20.18.3', '21.7.3', '22.11.0', '20.19.0', '22.12.0', '24.1.0', process.versions.node].map(nodeVersionProblem)));",
        module = module.display().to_string()
    );
    let out = run_tool("node", &["--input-type=module", "-e", &script], None, &[]).await;
    out.assert_success();
    let problems: Vec<Option<String>> = serde_json::from_str(out.stdout.trim()).unwrap();
    for (version, problem) in ["18.20.4", "20.18.3", "21.7.3", "22.11.0"]
        .iter()
        .zip(&problems)
    {
        let problem = problem.as_deref().unwrap_or_default();
        assert!(
            problem.starts_with(&format!(
                "Node.js {version} cannot build a JavaScript block"
            )) && problem.contains("^20.19.0 || >=22.12.0"),
            "{version}: {problem}"
        );
    }
    // The supported releases, and the Node.js the tests build with.
    assert_eq!(problems[4..], [None, None, None, None], "{problems:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_toolchain_folders_follow_what_they_install() {
    let dir = tempfile::tempdir().unwrap();
    copy_js_sdk(dir.path());
    let build = dir.path().join("build_block.mjs").display().to_string();
    let toolchain_dir = || async {
        let out = run_tool("node", &[&build, "--toolchain-dir"], None, &[]).await;
        out.assert_success();
        out.stdout.trim().to_owned()
    };
    let first = toolchain_dir().await;
    assert!(first.contains("/componentize-js-0.23.0-"), "{first}");
    assert_eq!(toolchain_dir().await, first);
    // A changed lock file (a dependency bumped) is another toolchain, installed afresh.
    let lock = dir.path().join("toolchain/package-lock.json");
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&lock, text.replacen("\"version\"", "\"version\" ", 1)).unwrap();
    let changed = toolchain_dir().await;
    assert_ne!(changed, first);
    std::fs::write(&lock, &text).unwrap();
    assert_eq!(toolchain_dir().await, first);

    // The Python venv is named for the pinned componentize-py and the interpreter that made it.
    let out = run_tool(
        "python3",
        &[
            &checkout()
                .join("sdk/python/build_block.py")
                .display()
                .to_string(),
            "--toolchain-dir",
        ],
        None,
        &[],
    )
    .await;
    out.assert_success();
    let version = run_tool(
        "python3",
        &[
            "-c",
            "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
        ],
        None,
        &[],
    )
    .await;
    let venv = out.stdout.trim();
    assert!(
        venv.ends_with(&format!(
            "/componentize-py-0.25.1-py{}",
            version.stdout.trim()
        )),
        "{venv}"
    );
}

/// Sets the modification time of the file at `path`.
fn set_modified(path: &Path, time: std::time::SystemTime) {
    std::fs::File::options()
        .append(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_block_is_rebuilt_when_an_input_changes_and_only_then() {
    // The SDK in a folder of its own, beside the block's (not below it), as in a checkout; the
    // component written into the block's own folder, as `new-block`'s Makefile does.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("sdk");
    copy_js_sdk(&dir);
    let block_dir = root.path().join("block");
    std::fs::create_dir_all(&block_dir).unwrap();
    std::fs::write(
        block_dir.join("block.js"),
        "import { defineBlock } from '../sdk/blockforge.js';\n\
         export const guest = defineBlock({ typeName: 'Lockstep', inputs: [], outputs: [], \
         execute: () => ({}) });\n",
    )
    .unwrap();
    let build = dir.join("build_block.mjs").display().to_string();
    let wit = checkout().join("wit/since_v0.1.0").display().to_string();
    let out = block_dir.join("block.wasm");
    let out_arg = out.display().to_string();
    let args = [build.as_str(), "block.js", "-o", &out_arg, "--wit", &wit];
    let build_block = || run_tool("node", &args, Some(&block_dir), &[]);
    build_block().await.assert_success();
    let again = build_block().await;
    again.assert_success();
    assert!(again.stderr.contains("is up to date"), "{}", again.stderr);
    // Each input, made newer than the component, makes the next build a real one; put back in
    // the past after, so only the next input is newer.
    let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    for input in [
        "block/block.js",
        "sdk/toolchain/package-lock.json",
        "sdk/toolchain/package.json",
        "sdk/node_version.mjs",
    ] {
        let input = root.path().join(input);
        let later = std::fs::metadata(&out).unwrap().modified().unwrap()
            + std::time::Duration::from_secs(60);
        set_modified(&input, later);
        let rebuilt = build_block().await;
        rebuilt.assert_success();
        assert!(
            rebuilt.stderr.contains("built ") && !rebuilt.stderr.contains("up to date"),
            "{}: {}",
            input.display(),
            rebuilt.stderr
        );
        set_modified(&input, past);
    }
    let again = build_block().await;
    assert!(again.stderr.contains("is up to date"), "{}", again.stderr);
    a_changed_file_list_rebuilds(&block_dir, build_block).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_block_is_rebuilt_when_its_files_change_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("listed_block.py"), PYTHON_BLOCK).unwrap();
    let build = checkout()
        .join("sdk/python/build_block.py")
        .display()
        .to_string();
    let out = dir.path().join("listed.wasm").display().to_string();
    let args = [build.as_str(), "listed_block.py", "-o", &out];
    let build_block = || run_tool("python3", &args, Some(dir.path()), &[]);
    build_block().await.assert_success();
    let again = build_block().await;
    assert!(again.stderr.contains("is up to date"), "{}", again.stderr);
    a_changed_file_list_rebuilds(dir.path(), build_block).await;
}

/// A Python block the build accepts.
const PYTHON_BLOCK: &str = "import blockforge\nfrom blockforge import Block\n\nclass B(Block):\n    type_name = \"B\"\n\n    def execute(self, ctx):\n        return {}\n\nGuest = blockforge.export(B)\n";

/// The block folder's file list changing makes the next `build` a real one, though no file
/// is newer than the component: a file added with an old time, the same renamed (`mv` keeps
/// its time), then deleted; after that, nothing changed and the build is skipped.
async fn a_changed_file_list_rebuilds<F, Fut>(block_dir: &Path, build: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = CmdOutput>,
{
    let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let rebuilt = |how: &str, out: CmdOutput| {
        out.assert_success();
        assert!(
            out.stderr.contains("built ") && !out.stderr.contains("up to date"),
            "{how}: {}",
            out.stderr
        );
    };
    let added = block_dir.join("notes.txt");
    std::fs::write(&added, "notes").unwrap();
    set_modified(&added, past);
    rebuilt("a file added with an old time", build().await);
    let renamed = block_dir.join("notes-renamed.txt");
    std::fs::rename(&added, &renamed).unwrap();
    rebuilt("a file renamed", build().await);
    std::fs::remove_file(&renamed).unwrap();
    rebuilt("a file deleted", build().await);
    let again = build().await;
    assert!(again.stderr.contains("is up to date"), "{}", again.stderr);
}

/// The id of a process that has ended.
fn ended_process_id() -> u32 {
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("cannot run true");
    let pid = child.id();
    child.wait().expect("true did not end");
    pid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_builds_install_the_javascript_toolchain_once_into_an_empty_toolchains_folder() {
    let sdk = tempfile::tempdir().unwrap();
    copy_js_sdk(sdk.path());
    let toolchains = tempfile::tempdir().unwrap();
    let build = sdk.path().join("build_block.mjs").display().to_string();
    let env = [("BLOCKFORGE_TOOLCHAINS", toolchains.path().as_os_str())];
    let named = run_tool("node", &[&build, "--toolchain-dir"], None, &env).await;
    named.assert_success();
    let dir = named.stdout.trim().to_owned();
    assert!(dir.starts_with(&toolchains.path().display().to_string()));
    // What a killed install leaves: its lock file and its half-installed staging folder.
    let gone = ended_process_id();
    let abandoned = PathBuf::from(format!("{dir}.partial-{gone}"));
    std::fs::create_dir_all(abandoned.join("node_modules")).unwrap();
    let lock = PathBuf::from(format!("{dir}.lock"));
    std::fs::write(&lock, gone.to_string()).unwrap();

    let install_args = [build.as_str(), "--install-toolchain"];
    let install = || run_tool("node", &install_args, None, &env);
    let (first, second) = tokio::join!(install(), install());
    for out in [&first, &second] {
        out.assert_success();
        // Only the folder is printed on stdout, so a Makefile can use `$(...)` around it.
        assert_eq!(out.stdout, format!("{dir}\n"), "{}", out.stderr);
    }
    let installs = [&first, &second]
        .iter()
        .filter(|out| out.stderr.contains("installing componentize-js"))
        .count();
    assert_eq!(installs, 1, "{}\n---\n{}", first.stderr, second.stderr);
    assert!(
        Path::new(&dir)
            .join("node_modules/.bin/componentize-js")
            .exists(),
        "{dir}"
    );
    // Nothing is left beside the toolchain: no staging folder, no lock.
    let left: Vec<String> = std::fs::read_dir(toolchains.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        [Path::new(&dir).file_name().unwrap().to_string_lossy()],
        "{left:?}"
    );
}
