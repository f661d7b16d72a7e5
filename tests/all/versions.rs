//! Contract versions side by side: a component built for 0.1.0 against `wit/since_v0.1.0`
//! itself (the `pinned_v0_1_0` fixture, which the SDK's moving on never rebuilds for a newer
//! version) loads and runs beside the SDK's blocks. Keep this test for good.

use blockforge_tests::fixtures;
use blockforge_tests::harness::Workspace;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_1_0_component_runs_beside_the_newest_blocks() {
    let ws = Workspace::new();
    std::fs::copy(
        fixtures::PINNED_V0_1_0,
        ws.plugins_dir().join("pinned.wasm"),
    )
    .unwrap();
    std::fs::copy(fixtures::DEDUP, ws.plugins_dir().join("dedup.wasm")).unwrap();
    let pipeline = json!({"name": "v", "blocks": [
        {"type": "PinnedV010"},
        {"type": "ExactDedup", "config": {"field": "greeting", "scope": "job"}}]});
    let seeds = json!([
        {"metadata": {"name": "ada"}},
        {"metadata": {"name": "ada"}},
        {"metadata": {"name": "bob"}}
    ]);
    let (out, records) = ws
        .run_pipeline(&pipeline.to_string(), &seeds, &["--concurrency", "1"])
        .await;
    out.assert_success();
    assert_eq!(records.len(), 3, "{}", out.stderr);
    let greetings: Vec<_> = records
        .iter()
        .map(|r| {
            r["accumulated_state"]["greeting"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        greetings,
        ["hello ada", "hello ada", "hello bob"],
        "{records:?}"
    );
    // Its kv import works: the second "hello ada" was seen before.
    let seen: Vec<_> = records
        .iter()
        .map(|r| r["accumulated_state"]["seen_before"].clone())
        .collect();
    assert_eq!(
        seen,
        [json!(false), json!(true), json!(false)],
        "{records:?}"
    );
    assert_eq!(
        records[0]["trace"][0]["logs"][0]["message"],
        "pinned 0.1.0 block running"
    );
}
