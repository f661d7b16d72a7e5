//! DataGenFlow's `qa_generation`, `json_generation` and `text_classification` templates and
//! the quality-controlled `document_summarization`, `instruction_following`,
//! `classification_with_confidence` and `document_qa_pairs`, as the gallery ships them (`host/templates/<id>.yaml`
//! and `host/templates/seeds/seed_<id>.*`, DataGenFlow's own formats), run unchanged against the fake LLM: through `blockforge run`,
//! and through `POST /api/pipelines` + `POST /api/generate` on a server.

use std::path::PathBuf;

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Workspace, checkout};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{create_pipeline, generate, wait_for};
use crate::chat_quality::{scored_criteria, script, verdict, verdict_on};
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

/// `state` with its record's `trace_id` added (MinHashDedup's `duplicate_of` names one).
fn with_trace_id(mut state: Value, record: &Value) -> Value {
    state["trace_id"] = record["trace_id"].clone();
    state
}

/// The final states of the template's records from `blockforge run` (every run completed),
/// each with its `trace_id`.
async fn states_from_cli(ws: &Workspace, id: &str) -> Vec<Value> {
    let (pipeline, seeds) = template_files(id);
    let (out, records) = ws.run_files(&pipeline, &seeds, &[]).await;
    out.assert_success();
    records
        .into_iter()
        .map(|record| {
            assert_eq!(record["status"], "completed", "{id}: {record}");
            with_trace_id(record["accumulated_state"].clone(), &record)
        })
        .collect()
}

/// The final states of the template's records from a server, each with its `trace_id`: the
/// YAML posted as the JSON a client sends, the seed file uploaded as it is.
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
    assert_eq!(started.status(), StatusCode::OK, "{id}");
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
            with_trace_id(record["output"].clone(), &record)
        })
        .collect()
}

/// Both ways of running template `id`, each checked by `check`.
async fn run_both_ways(id: &str, check: impl Fn(&str, Vec<Value>)) {
    run_both_ways_with(FakeLlmConfig::default(), id, check).await;
}

/// Both ways of running template `id` against a fake LLM configured by `fake`.
async fn run_both_ways_with(fake: FakeLlmConfig, id: &str, check: impl Fn(&str, Vec<Value>)) {
    let (_fake, ws) = Workspace::with_fake_llm(fake).await;
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

/// The seed file's metadata of template `id`, in order.
fn seed_metadata(id: &str) -> Vec<Value> {
    let (_, seed_file) = template_files(id);
    let seeds: Value = serde_json::from_str(&std::fs::read_to_string(seed_file).unwrap()).unwrap();
    seeds
        .as_array()
        .unwrap()
        .iter()
        .map(|seed| seed["metadata"].clone())
        .collect()
}

/// The state whose `field` equals `value`.
fn state_with<'a>(states: &'a [Value], field: &str, value: &Value) -> &'a Value {
    states
        .iter()
        .find(|s| &s[field] == value)
        .unwrap_or_else(|| panic!("no record with {field} = {value}"))
}

const SUMMARY_CRITERIA: [&str; 3] = ["faithfulness", "coverage", "concision"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_summarization_judges_fixes_and_writes_openai_messages() {
    let documents: Vec<Value> = seed_metadata("document_summarization")
        .into_iter()
        .map(|m| m["document"].clone())
        .collect();
    assert_eq!(documents.len(), 3);
    // The first summary passes, the second is rewritten into a better one, the third's rewrite
    // scores lower and is dropped. Rewrite prompts carry the judge's reasons (REASON-*).
    let fake = script(&[
        (
            "REASON-WEAK",
            json!({"rewritten": "A fair summary. FIXED-SUMMARY"}),
        ),
        (
            "REASON-POOR",
            json!({"rewritten": "Too short. WORSE-SUMMARY"}),
        ),
        (
            "FIXED-SUMMARY",
            verdict_on(&SUMMARY_CRITERIA, 9.0, "now faithful"),
        ),
        ("WORSE-SUMMARY", verdict_on(&SUMMARY_CRITERIA, 2.0, "worse")),
        (
            "keepers who lived",
            verdict_on(&SUMMARY_CRITERIA, 8.0, "REASON-GOOD"),
        ),
        (
            "four-day working week",
            verdict_on(&SUMMARY_CRITERIA, 4.0, "REASON-WEAK"),
        ),
        (
            "Tardigrades are animals",
            verdict_on(&SUMMARY_CRITERIA, 5.0, "REASON-POOR"),
        ),
    ]);
    let instruction = "Summarise the following document in a few sentences.";
    run_both_ways_with(fake, "document_summarization", |how, states| {
        assert_eq!(states.len(), 3, "{how}");
        let outcomes = [("kept", 8.0), ("fixed", 9.0), ("flagged", 5.0)];
        for (document, (action, score)) in documents.iter().zip(outcomes) {
            let state = state_with(&states, "document", document);
            let document = document.as_str().unwrap();
            // The model was asked to summarise the document (the fake echoes the prompt).
            let generated = state["assistant"].as_str().unwrap();
            assert!(
                generated.starts_with("Echo: Summarise the document below"),
                "{how}"
            );
            assert!(generated.contains(document), "{how}");
            assert_eq!(state["judge_action"], action, "{how}: {state}");
            assert_eq!(state["judge_score"], score, "{how}: {state}");
            assert_eq!(
                scored_criteria(state),
                ["concision", "coverage", "faithfulness"],
                "{how}"
            );
            let summary = match action {
                "fixed" => "A fair summary. FIXED-SUMMARY",
                _ => generated,
            };
            assert_eq!(state["output"], summary, "{how}");
            assert_eq!(
                state["messages"],
                json!([
                    {"role": "user", "content": format!("{instruction}\n{document}")},
                    {"role": "assistant", "content": summary}
                ]),
                "{how}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instruction_following_writes_judged_alpaca_examples() {
    let git = "Explain what a commit records in git and why small commits help.";
    let email = "Write a short, polite email declining a meeting invitation.";
    let email_input = "The meeting is on Friday at 3 pm about the quarterly budget.";
    // Generator prompts name the topic; judge and rewrite prompts hold the answer (the fake
    // echoes the instruction), and the rewrite prompt the judge's reasons. The editing topic
    // is not scripted: its instruction is the schema's smallest instance and every score 0.
    let fake = script(&[
        (
            "REASON-WEAK",
            json!({"rewritten": "Dear Sam, thank you for the invitation. REWRITTEN"}),
        ),
        ("REWRITTEN", verdict(9.0, "fixed")),
        (&format!("Echo: {git}"), verdict(8.5, "clear")),
        (&format!("Echo: {email}"), verdict(4.0, "REASON-WEAK")),
        (
            "version control with git",
            json!({"instruction": git, "input": ""}),
        ),
        (
            "declining a meeting",
            json!({"instruction": email, "input": email_input}),
        ),
    ]);
    run_both_ways_with(fake, "instruction_following", |how, states| {
        assert_eq!(states.len(), 6, "two repetitions of three topics: {how}");
        let topics = seed_metadata("instruction_following");
        for topic in &topics {
            let runs: Vec<&Value> = states
                .iter()
                .filter(|s| s["topic"] == topic["topic"])
                .collect();
            assert_eq!(runs.len(), 2, "{how}");
            for state in runs {
                assert_eq!(state["valid"], true, "{how}: {state}");
                assert_eq!(state["errors"], json!([]), "{how}");
                let (instruction, input, output, action) = match state["task_type"].as_str() {
                    Some("explanation") => (git, "", format!("Echo: {git}"), "kept"),
                    Some("writing") => (
                        email,
                        email_input,
                        "Dear Sam, thank you for the invitation. REWRITTEN".to_owned(),
                        "fixed",
                    ),
                    _ => (
                        "example",
                        "example",
                        "Echo: example\nexample".to_owned(),
                        "flagged",
                    ),
                };
                assert_eq!(state["instruction"], instruction, "{how}");
                assert_eq!(state["input"], input, "{how}");
                assert_eq!(state["output"], output, "{how}: {state}");
                assert_eq!(state["judge_action"], action, "{how}: {state}");
                assert_eq!(
                    state["judge_scores"].as_object().unwrap().len(),
                    5,
                    "the default criteria: {how}"
                );
                // The answer was asked for exactly as Alpaca shows it: instruction, input.
                let asked = if input.is_empty() {
                    instruction.to_owned()
                } else {
                    format!("{instruction}\n{input}")
                };
                assert_eq!(state["user"], asked, "{how}");
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classification_with_confidence_flags_labels_outside_the_set() {
    let rationale = "It names the thing that decides it.";
    let fake = script(&[
        (
            "charged twice",
            json!({"label": "billing", "confidence": 0.95, "rationale": rationale}),
        ),
        (
            "photo editor",
            json!({"label": "bug report", "confidence": 0.8, "rationale": rationale}),
        ),
        (
            "dark mode",
            json!({"label": "feature request", "confidence": 0, "rationale": rationale}),
        ),
        (
            "reset link",
            json!({"label": "password", "confidence": 0.7, "rationale": rationale}),
        ),
    ]);
    let seeds = seed_metadata("classification_with_confidence");
    run_both_ways_with(fake, "classification_with_confidence", |how, states| {
        assert_eq!(states.len(), 5, "one record per text: {how}");
        for seed in &seeds {
            let state = state_with(&states, "text", &seed["text"]);
            for key in ["label", "confidence", "rationale"] {
                assert_eq!(state[key], state["generated"][key], "{how}: {key}");
            }
            let pointers: Vec<&str> = state["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["pointer"].as_str().unwrap())
                .collect();
            let text = seed["text"].as_str().unwrap();
            if text.contains("reset link") {
                // A label the seed's set does not have.
                assert_eq!(state["valid"], false, "{how}");
                assert_eq!(pointers, ["/label"], "{how}: {state}");
            } else if text.contains("support team") {
                // Not scripted: the fake's smallest instance, "example" and 1.5.
                assert_eq!(state["valid"], false, "{how}");
                let mut pointers = pointers.clone();
                pointers.sort();
                assert_eq!(pointers, ["/confidence", "/label"], "{how}: {state}");
            } else {
                assert_eq!(state["valid"], true, "{how}: {state}");
                assert!(pointers.is_empty(), "{how}");
                let label = state["label"].as_str().unwrap();
                assert!(seed["labels"].as_array().unwrap().contains(&json!(label)));
                let confidence = state["confidence"].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&confidence), "{how}");
                assert_eq!(state["rationale"], rationale, "{how}");
            }
        }
    })
    .await;
}

const QA_CRITERIA: [&str; 3] = ["groundedness", "question_quality", "answer_quality"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_qa_pairs_chunks_judges_flags_near_duplicates_and_writes_openai_messages() {
    let (_, seed_file) = template_files("document_qa_pairs");
    let document = std::fs::read_to_string(seed_file).unwrap();
    let question = "Why do water treatment plants add a coagulant to raw water?";
    let answer = "The smallest particles carry a negative charge and repel each other, so they \
                  never settle; a coagulant such as aluminium sulphate neutralises the charge \
                  so they can clump together.";
    let settling = "How are the filters of a treatment plant cleaned?";
    let fixed = "Every day or two clean water is pumped upward through the filter bed, lifting \
                 the grains and carrying the trapped dirt to a drain. FIXED-ANSWER";
    // Chunk 0's pair passes; chunk 1's is rewritten into a better one; chunk 2's is a near-copy
    // of chunk 0's (one word differs) whose rewrite scores lower, so it is flagged as it is.
    // Generator prompts hold the chunk; judge prompts the answer; rewrite prompts the reasons.
    let fake = script(&[
        ("REASON-VAGUE", json!({"rewritten": fixed})),
        (
            "REASON-OFF",
            json!({"rewritten": "Backwashing. WORSE-ANSWER"}),
        ),
        ("FIXED-ANSWER", verdict_on(&QA_CRITERIA, 9.0, "complete")),
        ("WORSE-ANSWER", verdict_on(&QA_CRITERIA, 2.0, "worse")),
        ("ANSWER-GOOD", verdict_on(&QA_CRITERIA, 8.0, "grounded")),
        (
            "ANSWER-VAGUE",
            verdict_on(&QA_CRITERIA, 4.0, "REASON-VAGUE"),
        ),
        ("ANSWER-OFF", verdict_on(&QA_CRITERIA, 5.0, "REASON-OFF")),
        (
            "Most people turn on a tap",
            json!({"question": question, "answer": format!("{answer} ANSWER-GOOD")}),
        ),
        (
            "sedimentation basins",
            json!({"question": settling, "answer": "They are washed. ANSWER-VAGUE"}),
        ),
        (
            "distribution network is the longest",
            json!({"question": question, "answer": format!("{answer} ANSWER-OFF")}),
        ),
    ]);
    let expected = [
        ("kept", 8.0, question, format!("{answer} ANSWER-GOOD")),
        ("fixed", 9.0, settling, fixed.to_owned()),
        ("flagged", 5.0, question, format!("{answer} ANSWER-OFF")),
    ];
    run_both_ways_with(fake, "document_qa_pairs", |how, mut states| {
        // About 1,100 tokens of Markdown in chunks of at most 512: a record per chunk.
        assert_eq!(states.len(), 3, "{how}");
        states.sort_by_key(|s| s["chunk_index"].as_u64());
        for (index, state) in states.iter().enumerate() {
            assert_eq!(state["chunk_index"], index, "{how}");
            assert!(state["chunk_tokens"].as_u64().unwrap() <= 512, "{how}");
            let chunk = state["chunk_text"].as_str().unwrap();
            assert!(document.contains(chunk), "{how}: chunk {index} is the text");
            if let Some(next) = states.get(index + 1) {
                // The next chunk starts with this one's last pieces (its heading fits in 64).
                let heading = next["chunk_text"].as_str().unwrap().lines().next().unwrap();
                assert!(heading.starts_with("## "), "{how}");
                assert!(chunk.ends_with(heading), "{how}: overlap of chunk {index}");
            }
            let (action, score, question, output) = &expected[index];
            assert_eq!(state["judge_action"], *action, "{how}: {state}");
            assert_eq!(state["judge_score"], *score, "{how}: {state}");
            assert_eq!(
                scored_criteria(state),
                ["answer_quality", "groundedness", "question_quality"],
                "{how}"
            );
            assert_eq!(state["instruction"], *question, "{how}");
            assert_eq!(state["output"], *output, "{how}: {state}");
            assert_eq!(state["qa_text"], format!("{question}\n{output}"), "{how}");
            assert_eq!(
                state["messages"],
                json!([
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": output}
                ]),
                "{how}"
            );
        }
        assert!(
            states[0]["chunk_text"]
                .as_str()
                .unwrap()
                .starts_with("# How a City")
        );
        assert!(
            document
                .trim_end()
                .ends_with(states[2]["chunk_text"].as_str().unwrap())
        );
        // Chunks 0 and 2 hold near-copies: whichever ran MinHashDedup later names the other.
        let (first, second) = (&states[0], &states[2]);
        let flagged: Vec<&Value> = [first, second]
            .into_iter()
            .filter(|s| s["is_duplicate"] == true)
            .collect();
        assert_eq!(
            flagged.len(),
            1,
            "{how}: one of the two near-copies is flagged"
        );
        let other = if flagged[0] == first { second } else { first };
        assert_eq!(flagged[0]["duplicate_of"], other["trace_id"], "{how}");
        let jaccard = flagged[0]["jaccard"].as_f64().unwrap();
        assert!((0.8..1.0).contains(&jaccard), "{how}: {jaccard}");
        assert_eq!(other["duplicate_of"], Value::Null, "{how}");
        assert_eq!(states[1]["is_duplicate"], false, "{how}");
        assert_eq!(states[1]["duplicate_of"], Value::Null, "{how}");
        assert!(states[1]["jaccard"].as_f64().unwrap() < 0.8, "{how}");
    })
    .await;
}
