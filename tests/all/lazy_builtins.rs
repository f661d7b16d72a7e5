//! Builtin blocks listed from the descriptions kept in the compile cache's folder: a start
//! compiles, maps and instantiates none of them; each is linked on its first call.

use std::collections::BTreeSet;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use blockforge_tests::harness::{Workspace, shared_cache_dir};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtins_are_listed_from_kept_descriptions_and_linked_on_their_first_call() {
    let mut ws = Workspace::new();
    // A private cache folder holding the compiled builtins (from the shared cache, which this
    // listing fills) but no description yet.
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
    let kept = |hash: &String| cache.join(format!("{hash}.describe-v1.json"));
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
        let preview: Value = client()
            .post(server.url(&format!("/api/pipelines/{id}/execute")))
            .json(&json!({"text": text}))
            .send()
            .await
            .expect("execute")
            .json()
            .await
            .expect("JSON");
        assert_eq!(preview["result"]["valid"], valid, "{preview}");
    }
    assert_eq!(
        mapped_components(pid),
        BTreeSet::from([text_generator, hash_of(&described, "ValidatorBlock")])
    );
}
