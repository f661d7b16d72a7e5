//! DataGenFlow's `qa_generation`, `json_generation` and `text_classification` templates, as
//! the gallery ships them (`host/templates/<id>.yaml` and `host/templates/seeds/seed_<id>.*`,
//! DataGenFlow's own formats), run unchanged against the fake LLM: through `blockforge run`,
//! and through `POST /api/pipelines` + `POST /api/generate` on a server.

use std::path::PathBuf;

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Workspace, checkout};
use reqwest::StatusCode;
use serde_json::Value;

use crate::api::{create_pipeline, generate, wait_for};
use crate::llm_cache::records;
use crate::providers::sqlite_server;

/// The template file of `id` and its seed file.
fn template_files(id: &str) -> (PathBuf, PathBuf) {
    let folder = checkout().join("host/templates");
    let seeds = folder.join("seeds");
    let seed = ["json", "md"]
        .iter()
        .map(|ext| seeds.join(format!("seed_{id}.{ext}")))
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("no seed file for {id}"));
    (folder.join(format!("{id}.yaml")), seed)
}

/// The final states of the template's records from `blockforge run` (every run completed).
async fn states_from_cli(ws: &Workspace, id: &str) -> Vec<Value> {
    let (pipeline, seeds) = template_files(id);
    let (out, records) = ws.run_files(&pipeline, &seeds, &[]).await;
    out.assert_success();
    records
        .into_iter()
        .map(|record| {
            assert_eq!(record["status"], "completed", "{id}: {record}");
            record["accumulated_state"].clone()
        })
        .collect()
}

/// The final states of the template's records from a server: the YAML posted as the JSON a
/// client sends, the seed file uploaded as it is.
async fn states_from_api(ws: &Workspace, id: &str) -> Vec<Value> {
    let (pipeline, seeds) = template_files(id);
    let server = sqlite_server(ws).await;
    let definition: Value =
        serde_norway::from_str(&std::fs::read_to_string(&pipeline).unwrap()).unwrap();
    let pipeline_id = create_pipeline(&server, definition).await;
    let file_name = seeds.file_name().unwrap().to_str().unwrap().to_owned();
    let started = generate(
        &server,
        pipeline_id,
        &file_name,
        std::fs::read_to_string(&seeds).unwrap(),
        4,
    )
    .await;
    assert_eq!(started.status(), StatusCode::CREATED, "{id}");
    let job_id = started.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    let job = wait_for(&server, job_id, |j| j["status"] != "running").await;
    assert_eq!(job["status"], "completed", "{id}: {job}");
    let records = records(&server, &job_id.into()).await;
    assert_eq!(job["records_generated"], records.len(), "{id}: {job}");
    records
        .into_iter()
        .map(|record| {
            assert_eq!(record["run_status"], "completed", "{id}: {record}");
            record["output"].clone()
        })
        .collect()
}

/// Both ways of running template `id`, each checked by `check`.
async fn run_both_ways(id: &str, check: impl Fn(&str, Vec<Value>)) {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    check("blockforge run", states_from_cli(&ws, id).await);
    check("the API", states_from_api(&ws, id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qa_generation_turns_each_chunk_of_the_markdown_seed_into_checked_qa_pairs() {
    let (_, seed_file) = template_files("qa_generation");
    let document = std::fs::read_to_string(seed_file).unwrap();
    run_both_ways("qa_generation", |how, mut states| {
        // Six sections (the `#` lines inside the code fence start none); the worker section
        // is above 512 tokens (2048 bytes) and makes two chunks.
        assert_eq!(states.len(), 7, "{how}");
        states.sort_by_key(|s| s["chunk_index"].as_u64());
        let chunks: Vec<&str> = states
            .iter()
            .map(|s| s["chunk_text"].as_str().unwrap())
            .collect();
        for (index, state) in states.iter().enumerate() {
            assert_eq!(state["chunk_index"], index, "{how}");
            assert_eq!(state["file_content"], document.as_str(), "{how}");
            assert!(
                chunks[index].len() <= 2048,
                "{how}: chunk {index} is too big"
            );
            assert!(
                document.contains(chunks[index]),
                "{how}: chunk {index} is the text"
            );
            let chunk = chunks[index];
            assert!(
                state["assistant"].as_str().unwrap().contains(chunk),
                "{how}: the questions were asked about the chunk"
            );
            let pairs = state["generated"]["qa_pairs"].as_array().unwrap();
            assert_eq!(pairs.len(), 3, "{how}: minItems of the schema");
            assert!(
                pairs
                    .iter()
                    .all(|p| p["question"].is_string() && p["answer"].is_string())
            );
            assert_eq!(state["valid"], true, "{how}");
            assert_eq!(state["parsed_json"], state["generated"], "{how}");
        }
        let starts = [
            "# The Honeybee Colony\n",
            "## Who Lives in the Hive\n",
            "### A Worker's Career\n",
            "Guarding is a short job",
            "## Finding Food Together\n",
            "## Keeping the Nest Warm\n",
            "## Choosing a New Home\n",
        ];
        for (chunk, start) in chunks.iter().zip(starts) {
            assert!(
                chunk.starts_with(start),
                "{how}: {chunk:?} should start {start:?}"
            );
        }
        assert!(chunks[6].contains("# hive 7") && chunks[6].ends_with("not headings."));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_generation_extracts_a_checked_title_and_description_per_seed() {
    run_both_ways("json_generation", |how, states| {
        assert_eq!(states.len(), 2, "{how}");
        for state in &states {
            assert!(state["content"].is_string(), "{how}");
            let generated = &state["generated"];
            assert!(generated["title"].is_string() && generated["description"].is_string());
            assert_eq!(state["valid"], true, "{how}");
            assert_eq!(&state["parsed_json"], generated, "{how}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_classification_gives_each_seed_a_category_and_a_confidence() {
    run_both_ways("text_classification", |how, states| {
        assert_eq!(states.len(), 3, "{how}");
        let categories = ["environment", "technology", "health", "finance", "sports"];
        for state in &states {
            let generated = &state["generated"];
            let category = generated["category"].as_str().unwrap();
            assert!(categories.contains(&category), "{how}: {category}");
            let confidence = generated["confidence"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&confidence), "{how}: {confidence}");
            assert_eq!(state["valid"], true, "{how}");
        }
    })
    .await;
}
