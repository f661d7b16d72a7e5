//! Builtin blocks listed from the descriptions kept in the compile cache's folder: a start
//! compiles, maps and instantiates none of them; each is linked on its first call.

use std::collections::BTreeSet;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use blockforge_tests::harness::{Server, Workspace, shared_cache_dir};
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, get_json};

/// The content hashes of the compiled components process `pid` has mapped.
fn mapped_components(pid: u32) -> BTreeSet<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("the server's maps");
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .filter(|path| path.ends_with(".cwasm"))
        .filter_map(|path| Path::new(path).file_name()?.to_str()?.split('-').next())
        .map(str::to_owned)
        .collect()
}

/// The content hash of the builtin block `type_name` in a `GET /api/blocks` listing.
fn hash_of(blocks: &Value, type_name: &str) -> String {
    blocks
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == type_name))
        .and_then(|block| block["content_hash"].as_str())
        .unwrap_or_else(|| panic!("{type_name} is not listed"))
        .to_owned()
}

/// The file keeping the description of the component of `hash` in `cache`:
/// `<hash>-<engine key>-<describe key>.describe-v1.json`.
fn kept_file(cache: &Path, hash: &str) -> PathBuf {
    let prefix = format!("{hash}-");
    let mut kept: Vec<PathBuf> = std::fs::read_dir(cache)
        .expect("the cache folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| {
                    name.starts_with(&prefix) && name.ends_with(".describe-v1.json")
                })
        })
        .collect();
    assert_eq!(kept.len(), 1, "one description of {hash}: {kept:?}");
    kept.remove(0)
}

/// A workspace whose commands use a private cache folder holding the compiled builtins (from
/// the shared cache, which a listing fills) but no description yet: the workspace, the folder
/// and a SQLite database URL for its servers.
async fn workspace_with_private_cache() -> (Workspace, PathBuf, String) {
    let mut ws = Workspace::new();
    ws.run(&["blocks", "--json"]).await.assert_success();
    let cache = ws.path().join("cache");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&cache)
        .expect("cache folder");
    for entry in std::fs::read_dir(shared_cache_dir()).expect("the shared cache") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|ext| ext == "cwasm") {
            let copy = cache.join(path.file_name().expect("a name"));
            std::fs::copy(&path, &copy).expect("copy");
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
    }
    ws.set_env("BLOCKFORGE_CACHE_DIR", &cache.display().to_string());
    let database = format!("sqlite://{}", ws.path().join("db.sqlite").display());
    (ws, cache, database)
}

/// What `POST /api/pipelines/{id}/execute` answers for `body`.
async fn execute(server: &Server, id: i64, body: Value) -> Value {
    client()
        .post(server.url(&format!("/api/pipelines/{id}/execute")))
        .json(&body)
        .send()
        .await
        .expect("execute")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtins_are_listed_from_kept_descriptions_and_linked_on_their_first_call() {
    let (ws, cache, database) = workspace_with_private_cache().await;

    // First start: nothing kept, so every builtin is loaded and described, and its
    // description kept.
    let server = ws.serve(&database).await;
    let described = get_json(&server, "/api/blocks").await;
    let builtins: BTreeSet<String> = described
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|b| b["content_hash"].as_str().map(str::to_owned))
        .collect();
    assert!(builtins.len() > 20, "{builtins:?}");
    let kept = |hash: &String| kept_file(&cache, hash);
    assert!(builtins.iter().all(|hash| kept(hash).exists()));
    server.terminate().await;

    // A kept description that cannot be read is made again, from the component.
    let text_generator = hash_of(&described, "TextGenerator");
    std::fs::write(kept(&text_generator), "{ not json").expect("spoil a description");

    // Second start: the same listing, with only the spoilt block's component mapped.
    let server = ws.serve(&database).await;
    let pid = server.pid().expect("a running server");
    assert_eq!(get_json(&server, "/api/blocks").await, described);
    assert_eq!(
        mapped_components(pid),
        BTreeSet::from([text_generator.clone()])
    );
    let remade: Value =
        serde_json::from_slice(&std::fs::read(kept(&text_generator)).expect("remade"))
            .expect("the description is JSON again");
    assert_eq!(remade["type_name"], "TextGenerator");

    // A block's first call links it; its result is the block's own.
    let id = create_pipeline(
        &server,
        json!({"name": "lazy", "blocks": [
            {"type": "ValidatorBlock", "config": {"min_length": 3, "forbidden_words": ["lorem"]}}]}),
    )
    .await;
    for (text, valid) in [("fine text", true), ("Lorem ipsum", false)] {
        let preview = execute(&server, id, json!({"text": text})).await;
        assert_eq!(preview["result"]["valid"], valid, "{preview}");
    }
    assert_eq!(
        mapped_components(pid),
        BTreeSet::from([text_generator, hash_of(&described, "ValidatorBlock")])
    );
}

/// A kept description that differs from what the component describes (a file left by another
/// build, or edited) is caught at the block's first call: the call is checked against the
/// component's own description, the block is listed again with it, and the file is replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_description_that_differs_from_the_components_own_is_replaced_at_first_call() {
    let (ws, cache, database) = workspace_with_private_cache().await;
    let server = ws.serve(&database).await;
    let described = get_json(&server, "/api/blocks").await;
    server.terminate().await;

    // The kept file says ValidatorBlock has another description and no `valid` output.
    let validator = hash_of(&described, "ValidatorBlock");
    let path = kept_file(&cache, &validator);
    let own: Value = serde_json::from_slice(&std::fs::read(&path).expect("kept")).expect("JSON");
    let mut stale = own.clone();
    stale["description"] = json!("a description the component never gave");
    stale["outputs"] = json!(["text"]);
    std::fs::write(&path, serde_json::to_vec(&stale).expect("JSON")).expect("edit");

    let server = ws.serve(&database).await;
    let listed = |blocks: &Value| {
        blocks
            .as_array()
            .and_then(|blocks| blocks.iter().find(|b| b["type"] == "ValidatorBlock"))
            .cloned()
            .expect("ValidatorBlock is listed")
    };
    let before = listed(&get_json(&server, "/api/blocks").await);
    assert_eq!(before["description"], stale["description"], "{before}");

    // Its first call links and describes it: the output `valid`, which the kept file does not
    // declare, is checked against the component's own outputs and passes.
    let id = create_pipeline(
        &server,
        json!({"name": "redescribed", "blocks": [
            {"type": "ValidatorBlock", "config": {"min_length": 3}}]}),
    )
    .await;
    let preview = execute(&server, id, json!({"text": "fine text"})).await;
    assert_eq!(preview["result"]["valid"], true, "{preview}");

    // Listed again as the component describes itself, and kept so for the next start.
    assert_eq!(get_json(&server, "/api/blocks").await, described);
    let replaced: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("kept")).expect("JSON");
    assert_eq!(replaced, own);
    let later = execute(&server, id, json!({"text": "no"})).await;
    assert_eq!(later["result"]["valid"], false, "{later}");
}
