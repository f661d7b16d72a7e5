//! The language SDKs' finer promises: one LLM error detail in every language, thrown values
//! JSON cannot write, block files named like a Python standard module, typings that check a
//! typical JavaScript block, the Node.js version the JavaScript build needs, and toolchain
//! folders that follow what they install.

use std::path::{Path, PathBuf};

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{CmdOutput, Workspace, checkout};
use blockforge_tests::language_blocks::path;
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

/// Runs `program args` (in `dir` when given) and returns what it printed.
async fn run_tool(program: &str, args: &[&str], dir: Option<&Path>) -> CmdOutput {
    run_tool_with(program, args, dir, &[]).await
}

/// Runs `program args` (in `dir` when given) with the extra environment `env`.
async fn run_tool_with(
    program: &str,
    args: &[&str],
    dir: Option<&Path>,
    env: &[(&str, &Path)],
) -> CmdOutput {
    let mut command = tokio::process::Command::new(program);
    command.args(args);
    command.envs(env.iter().copied());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    CmdOutput {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
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
    for name in ["json", "random", "wit_world"] {
        let file = dir.path().join(format!("{name}.py"));
        std::fs::write(
            &file,
            "import blockforge\nfrom blockforge import Block\n\nclass B(Block):\n    type_name = \"B\"\n\n    def execute(self, ctx):\n        return {}\n\nGuest = blockforge.export(B)\n",
        )
        .unwrap();
        let out = run_tool(
            "python3",
            &[
                &build.display().to_string(),
                &file.display().to_string(),
                "-o",
                &dir.path().join("b.wasm").display().to_string(),
            ],
            None,
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
    run_tool(&tsc.display().to_string(), &args, None).await
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_build_names_the_node_version_it_needs() {
    let module = checkout().join("sdk/js/node_version.mjs");
    let script = format!(
        "import {{ nodeVersionProblem }} from {module:?};\n\
         console.log(JSON.stringify(['18.20.4', '20.18.3', '21.7.3', '22.11.0', '20.19.0', '22.12.0', '24.1.0', process.versions.node].map(nodeVersionProblem)));",
        module = module.display().to_string()
    );
    let out = run_tool("node", &["--input-type=module", "-e", &script], None).await;
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

/// The JavaScript SDK's build script and toolchain files, copied into `dir`.
fn copy_js_sdk(dir: &Path) {
    std::fs::create_dir_all(dir.join("toolchain")).unwrap();
    for file in [
        "build_block.mjs",
        "node_version.mjs",
        "blockforge.js",
        "toolchain/package.json",
        "toolchain/package-lock.json",
    ] {
        std::fs::copy(checkout().join("sdk/js").join(file), dir.join(file)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_toolchain_folders_follow_what_they_install() {
    let dir = tempfile::tempdir().unwrap();
    copy_js_sdk(dir.path());
    let build = dir.path().join("build_block.mjs").display().to_string();
    let toolchain_dir = || async {
        let out = run_tool("node", &[&build, "--toolchain-dir"], None).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_toolchain_lock_rebuilds_a_javascript_block() {
    // The SDK in a folder of its own, beside the block's (not below it), as in a checkout.
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
    let built = tempfile::tempdir().unwrap();
    let out = built.path().join("block.wasm").display().to_string();
    let args = [build.as_str(), "block.js", "-o", &out, "--wit", &wit];
    run_tool("node", &args, Some(&block_dir))
        .await
        .assert_success();
    let again = run_tool("node", &args, Some(&block_dir)).await;
    assert!(again.stderr.contains("is up to date"), "{}", again.stderr);
    // Each toolchain input, made newer than the component, makes the next build a real one.
    for input in [
        "toolchain/package-lock.json",
        "toolchain/package.json",
        "node_version.mjs",
    ] {
        let later = std::fs::metadata(&out).unwrap().modified().unwrap()
            + std::time::Duration::from_secs(60);
        std::fs::File::options()
            .append(true)
            .open(dir.join(input))
            .unwrap()
            .set_modified(later)
            .unwrap();
        let rebuilt = run_tool("node", &args, Some(&block_dir)).await;
        rebuilt.assert_success();
        assert!(
            rebuilt.stderr.contains("built ") && !rebuilt.stderr.contains("up to date"),
            "{input}: {}",
            rebuilt.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_toolchain_installs_into_an_empty_toolchains_folder() {
    let sdk = tempfile::tempdir().unwrap();
    copy_js_sdk(sdk.path());
    let toolchains = tempfile::tempdir().unwrap();
    let build = sdk.path().join("build_block.mjs").display().to_string();
    let env = [("BLOCKFORGE_TOOLCHAINS", toolchains.path())];
    let out = run_tool_with("node", &[&build, "--install-toolchain"], None, &env).await;
    out.assert_success();
    // Only the folder is printed on stdout, so a Makefile can use `$(...)` around it.
    let installed = out.stdout.trim();
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(installed.starts_with(&toolchains.path().display().to_string()));
    let named = run_tool_with("node", &[&build, "--toolchain-dir"], None, &env).await;
    assert_eq!(named.stdout.trim(), installed);
    assert!(
        Path::new(installed)
            .join("node_modules/.bin/componentize-js")
            .exists(),
        "{installed}"
    );
}
