//! Multipliers: one seed becomes many runs (a multiplier after other blocks: mid_multiplier.rs).

use blockforge_tests::fixtures;
use blockforge_tests::harness::Workspace;
use serde_json::json;

fn workspace() -> Workspace {
    let ws = Workspace::new();
    std::fs::copy(fixtures::SPLITTER, ws.plugins_dir().join("splitter.wasm")).unwrap();
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multiplier_turns_each_seed_into_one_run_per_item() {
    let ws = workspace();
    let pipeline = r#"{"name": "m", "blocks": [
        {"type": "LineSplitter"},
        {"type": "FieldMapper", "config": {"mappings": {"shout": "{{ line | upper }} ({{ source }})"}}}]}"#;
    let seed_file = json!([
        {"repetitions": 1, "metadata": {"text": "a\n\nb\nc", "source": "first"}},
        {"repetitions": 2, "metadata": {"text": "d", "source": "second"}}
    ]);
    let (out, records) = ws.run_pipeline(pipeline, &seed_file, &[]).await;
    out.assert_success();
    assert_eq!(records.len(), 3 + 2);
    let mut shouts: Vec<&str> = records
        .iter()
        .map(|r| r["accumulated_state"]["shout"].as_str().unwrap())
        .collect();
    shouts.sort();
    assert_eq!(
        shouts,
        [
            "A (first)",
            "B (first)",
            "C (first)",
            "D (second)",
            "D (second)"
        ]
    );
    let first_seed: Vec<_> = records.iter().filter(|r| r["seed_index"] == 0).collect();
    let mut splits: Vec<u64> = first_seed
        .iter()
        .map(|r| r["split_index"].as_u64().unwrap())
        .collect();
    splits.sort();
    assert_eq!(splits, [0, 1, 2]);
    let trace = records[0]["trace"].as_array().unwrap();
    assert_eq!(trace.len(), 2);
    assert_eq!(trace[0]["block_type"], "LineSplitter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_multiplier_fails_that_seed_only() {
    let ws = workspace();
    let pipeline =
        r#"{"name": "m", "blocks": [{"type": "LineSplitter", "config": {"fail_on": "bad"}}]}"#;
    let seed_file = json!([{"metadata": {"text": "bad line"}}, {"metadata": {"text": "x\ny"}}]);
    let (out, records) = ws.run_pipeline(pipeline, &seed_file, &[]).await;
    out.assert_success();
    assert_eq!(records.len(), 3);
    let failed: Vec<_> = records.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("text contains 'bad'")
    );
}
