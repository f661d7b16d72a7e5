//! `MarkdownMultiplierBlock` through the host: one block call with `blockforge block test`,
//! a Markdown seed through `blockforge run` becoming one run per chunk, and the server's seed
//! check asking for the document.

use blockforge_tests::harness::{CmdOutput, Workspace};
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, get_json};
use crate::providers::sqlite_server;

async fn chunk(ws: &Workspace, document: &str, config: Value) -> CmdOutput {
    ws.run(&[
        "block",
        "test",
        "MarkdownMultiplierBlock",
        "--state",
        &json!({"file_content": document}).to_string(),
        "--config",
        &config.to_string(),
    ])
    .await
}

/// The `chunk_text` of each seed the block returned, checking `chunk_index` counts from 0.
fn chunk_texts(out: &CmdOutput) -> Vec<String> {
    out.assert_success();
    let seeds = out.json()["seeds"].as_array().cloned().unwrap_or_default();
    seeds
        .iter()
        .enumerate()
        .map(|(index, seed)| {
            assert_eq!(seed["chunk_index"], index, "{seed}");
            assert_eq!(seed.as_object().map(|s| s.len()), Some(2), "{seed}");
            seed["chunk_text"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_sections_become_chunks_and_sentences_pack_with_overlap() {
    let ws = Workspace::new();
    let document =
        "Preface.\n\n# One\n\nFirst part.\n\n```sh\n# a comment\n```\n\n## Two\n\nSecond part.";
    let sections = chunk_texts(&chunk(&ws, document, json!({})).await);
    assert_eq!(
        sections,
        [
            "Preface.",
            "# One\n\nFirst part.\n\n```sh\n# a comment\n```",
            "## Two\n\nSecond part."
        ]
    );

    let prose = "One two three. Four five six. Seven eight nine. Ten eleven twelve.";
    let packed = chunk_texts(
        &chunk(
            &ws,
            prose,
            json!({"parser_type": "sentence", "chunk_size": 10, "chunk_overlap": 5}),
        )
        .await,
    );
    assert_eq!(
        packed,
        [
            "One two three. Four five six.",
            "Four five six. Seven eight nine.",
            "Seven eight nine. Ten eleven twelve."
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_that_cannot_chunk_and_a_missing_document_are_clear_errors() {
    let ws = Workspace::new();
    let out = chunk(&ws, "text", json!({"parser_type": "sentence"})).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("parser_type 'sentence' needs a chunk_size above 0"),
        "{}",
        out.stderr
    );
    let out = chunk(&ws, "text", json!({"chunk_size": 40, "chunk_overlap": 40})).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("chunk_overlap (40) must be smaller than chunk_size (40)"),
        "{}",
        out.stderr
    );
    let out = chunk(&ws, "text", json!({"parser_type": "paragraph"})).await;
    out.assert_failure();
    assert!(out.stderr.contains("parser_type"), "{}", out.stderr);
    let out = ws
        .run(&["block", "test", "MarkdownMultiplierBlock", "--state", "{}"])
        .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("state field 'file_content' is missing"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_markdown_seed_file_runs_once_per_chunk_keeping_the_document() {
    let ws = Workspace::new();
    let pipeline = ws.write(
        "chunks.yaml",
        "name: chunks\nblocks:\n  - type: MarkdownMultiplierBlock\n  - type: FieldMapper\n    config:\n      mappings:\n        heading: \"{{ chunk_text[:3] }}\"\n",
    );
    let seeds = ws.write("notes.md", "# A\nalpha\n# B\nbeta\n# C\ngamma\n");
    let (out, mut records) = ws.run_files(&pipeline, &seeds, &[]).await;
    out.assert_success();
    records.sort_by_key(|r| r["accumulated_state"]["chunk_index"].as_u64());
    let headings: Vec<&str> = records
        .iter()
        .map(|r| r["accumulated_state"]["heading"].as_str().unwrap())
        .collect();
    assert_eq!(headings, ["# A", "# B", "# C"]);
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        assert_eq!(
            record["accumulated_state"]["file_content"],
            "# A\nalpha\n# B\nbeta\n# C\ngamma\n"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_check_asks_for_the_document_the_multiplier_reads() {
    let ws = Workspace::new();
    let server = sqlite_server(&ws).await;
    let id = create_pipeline(
        &server,
        json!({"name": "chunks", "blocks": [
            {"type": "MarkdownMultiplierBlock"},
            {"type": "FieldMapper", "config": {"mappings": {"n": "{{ chunk_index }}"}}}]}),
    )
    .await;
    let fields = get_json(
        &server,
        &format!("/api/pipelines/{id}/accumulated_state_schema"),
    )
    .await;
    assert_eq!(fields["seed_fields"], json!(["file_content"]));
    assert_eq!(fields["steps"][0]["reads"], json!(["file_content"]));
    let report: Value = client()
        .post(server.url("/api/seeds/validate"))
        .json(&json!({"pipeline_id": id, "seeds": [
            {"metadata": {"file_content": "# A"}},
            {"metadata": {"text": "# A"}}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["required_fields"], json!(["file_content"]));
    assert_eq!(report["seeds"][0]["seed"], 2, "{report}");
    assert_eq!(
        report["seeds"][0]["missing_fields"],
        json!(["file_content"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multiplier_anywhere_reads_its_input_or_the_field_its_config_names() {
    let ws = Workspace::new();
    let server = sqlite_server(&ws).await;
    let seed_fields = |blocks: Value| {
        let server = &server;
        async move {
            let id = create_pipeline(server, json!({"name": "m", "blocks": blocks})).await;
            let path = format!("/api/pipelines/{id}/accumulated_state_schema");
            get_json(server, &path).await["seed_fields"].clone()
        }
    };
    // After another block, a multiplier still reads the document no earlier block writes.
    let later = seed_fields(json!([
        {"type": "FieldMapper", "config": {"mappings": {"n": "{{ topic }}"}}},
        {"type": "MarkdownMultiplierBlock"}]))
    .await;
    assert_eq!(later, json!(["file_content", "topic"]));
    // ... and nothing the seed must bring when an earlier block writes what it reads.
    let written = seed_fields(json!([
        {"type": "FieldMapper", "config": {"mappings": {"body": "{{ topic }}"}}},
        {"type": "TokenChunker", "config": {"field_name": "body"}}]))
    .await;
    assert_eq!(written, json!(["topic"]));
    // A field named in its config replaces the declared input, first block or not.
    let named =
        seed_fields(json!([{"type": "TokenChunker", "config": {"field_name": "body"}}])).await;
    assert_eq!(named, json!(["body"]));
}
