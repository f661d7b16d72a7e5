//! The metric blocks (RougeScore, DiversityScore, CoherenceScore, RagasMetrics) and the
//! `ragas_evaluation` template through the real binary: `blockforge run`, and the server's
//! `POST /api/pipelines` + `POST /api/generate`, against the fake LLM.

use blockforge_tests::fake_llm::{FakeLlmConfig, cosine, vector_of};
use blockforge_tests::harness::{Workspace, checkout};
use serde_json::{Value, json};

use crate::api::{create_pipeline, generate, get_json, wait_for};

/// The reference values the plugin crates test against (`testdata/expected.json`, made with
/// the Python packages whose numbers they reproduce).
pub(crate) fn testdata(block_crate: &str) -> Value {
    let path = checkout().join(format!("plugins/{block_crate}/testdata/expected.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn assert_close(got: &Value, want: f64, what: &str) {
    let got = got
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {got} is not a number"));
    assert!((got - want).abs() <= 1e-6, "{what}: {got} != {want}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rouge_scores_through_the_host_equal_the_rouge_score_package() {
    let ws = Workspace::new();
    // Each RougeScore writes `rouge_score`; FieldMapper keeps each measure under its own name.
    let mut blocks = Vec::new();
    for kind in ["rouge1", "rouge2", "rougeL", "rougeLsum"] {
        blocks.push(json!({"type": "RougeScore", "config": {
            "generated_field": "generated", "reference_field": "reference", "rouge_type": kind}}));
        blocks.push(json!({"type": "FieldMapper", "config": {
            "mappings": {kind: "{{ rouge_score }}"}}}));
    }
    let pipeline = json!({"name": "rouge", "blocks": blocks}).to_string();
    let expected = testdata("rouge_score");
    let cases = expected["cases"].as_array().unwrap();
    let seeds: Vec<Value> = cases
        .iter()
        .map(|case| {
            json!({"repetitions": 1, "metadata": {
                "generated": case["generated"], "reference": case["reference"]}})
        })
        .collect();
    let (out, records) = ws.run_pipeline(&pipeline, &json!(seeds), &[]).await;
    out.assert_success();
    assert_eq!(records.len(), cases.len());
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        let case = &cases[record["seed_index"].as_u64().unwrap() as usize];
        for kind in ["rouge1", "rouge2", "rougeL", "rougeLsum"] {
            let want = case["scores"][kind]["fmeasure"].as_f64().unwrap();
            let what = format!("{kind} of {}", case["reference"]);
            assert_close(&record["accumulated_state"][kind], want, &what);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diversity_and_coherence_scores_through_the_host() {
    let ws = Workspace::new();
    let pipeline = r#"{"name": "lexical", "blocks": [
        {"type": "DiversityScore", "config": {"field_name": "texts"}},
        {"type": "CoherenceScore", "config": {"field_name": "text"}}]}"#;
    let expected = testdata("diversity_score");
    let cases = expected["cases"].as_array().unwrap();
    let text = "One two three four five. Six seven eight nine ten.";
    let mut seeds: Vec<Value> = cases
        .iter()
        .map(|case| json!({"repetitions": 1, "metadata": {"texts": case["texts"], "text": text}}))
        .collect();
    // One text is not a list: no diversity; a list holding a number is refused.
    seeds.push(json!({"repetitions": 1, "metadata": {"texts": "one text", "text": ""}}));
    seeds.push(json!({"repetitions": 1, "metadata": {"texts": ["a", 2], "text": text}}));
    let (out, records) = ws.run_pipeline(pipeline, &json!(seeds), &[]).await;
    out.assert_success();
    assert_eq!(records.len(), cases.len() + 2);
    for record in &records {
        let index = record["seed_index"].as_u64().unwrap() as usize;
        let state = &record["accumulated_state"];
        if let Some(case) = cases.get(index) {
            assert_eq!(record["status"], "completed", "{record}");
            let want = case["diversity_score"].as_f64().unwrap();
            assert_close(&state["diversity_score"], want, &case["texts"].to_string());
            // 10 words in 2 sentences: 5 / 20.
            assert_close(&state["coherence_score"], 0.25, text);
        } else if index == cases.len() {
            assert_eq!(state["diversity_score"], 0.0);
            assert_eq!(state["coherence_score"], 0.0);
        } else {
            assert_eq!(record["status"], "failed");
            let error = record["error"].to_string();
            assert!(
                error.contains("'texts'") && error.contains("item 1"),
                "{error}"
            );
        }
    }
}

/// The judge's answers, chosen by the text of each prompt.
fn judge_script() -> Vec<(String, Value)> {
    [
        (
            "Break the answer",
            json!({"statements": ["Paris is the capital of France.", "Paris is in Europe.", "Paris has ten million people."]}),
        ),
        (
            "Judge each statement",
            json!({"verdicts": [
                {"statement": "1", "reason": "stated", "verdict": 1},
                {"statement": "2", "reason": "implied", "verdict": 1},
                {"statement": "3", "reason": "not stated", "verdict": 0}]}),
        ),
        (
            "questions that the answer",
            json!({"questions": ["Which city is the capital of France?", "Where is France's seat of government?"], "noncommittal": 0}),
        ),
        ("Passage: Berlin", json!({"reason": "about Germany", "verdict": 0})),
        ("Passage: Paris", json!({"reason": "names the capital", "verdict": 1})),
        (
            "Break the reference answer",
            json!({"classifications": [
                {"statement": "1", "reason": "in the passage", "attributed": 1},
                {"statement": "2", "reason": "not there", "attributed": 0}]}),
        ),
    ]
    .into_iter()
    .map(|(text, answer)| (text.to_owned(), answer))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ragas_metrics_follow_each_formula_through_the_llm_and_embeddings_imports() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig {
        scripted: judge_script(),
        ..FakeLlmConfig::default()
    })
    .await;
    ws.set_env("EMBEDDING_MODEL", "fake-embed");
    let question = "What is the capital of France?";
    let pipeline = r#"{"name": "ragas", "blocks": [{"type": "RagasMetrics", "config": {
        "metrics": "{{ wanted | tojson }}", "score_threshold": 0.5}}]}"#;
    let seeds = json!([{"repetitions": 1, "metadata": {
        "question": question,
        "answer": "Paris is the capital of France, in Europe, with ten million people.",
        "contexts": ["Berlin is the capital of Germany.", "Paris is the capital and largest city of France."],
        "ground_truth": "Paris is the capital of France. It lies on the Seine.",
        "wanted": ["faithfulness", "answer_relevancy", "context_precision", "context_recall"]}}]);
    let (out, records) = ws.run_pipeline(pipeline, &seeds, &[]).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], "completed", "{}", records[0]["error"]);
    out.assert_success();
    let scores = &records[0]["accumulated_state"]["ragas_scores"];
    // Two of three statements supported.
    assert_close(&scores["faithfulness"], 2.0 / 3.0, "faithfulness");
    // The mean cosine of the question with each question written back from the answer.
    let q = vector_of(question);
    let relevancy = (cosine(&q, &vector_of("Which city is the capital of France?"))
        + cosine(&q, &vector_of("Where is France's seat of government?")))
        / 2.0;
    assert_close(&scores["answer_relevancy"], relevancy, "answer_relevancy");
    // The useful passage is ranked second: precision@2 = 1/2.
    assert_close(&scores["context_precision"], 0.5, "context_precision");
    assert_close(&scores["context_recall"], 0.5, "context_recall");
    let computed = [2.0 / 3.0, relevancy, 0.5, 0.5];
    assert_eq!(
        scores["passed"],
        json!(computed.iter().all(|s| *s >= 0.5)),
        "{scores}"
    );
    assert_all_four_metrics_and_passed(scores);

    // Calls: 2 for faithfulness, 1 for relevancy, 1 per context, 1 for recall; one embedding
    // request for the question and the two generated ones; every judgement at temperature 0.
    assert_eq!(fake.chat_requests(), 6);
    assert_eq!(fake.embedding_requests(), 1);
    let bodies = fake.request_bodies();
    for body in bodies.iter().filter(|b| b.get("messages").is_some()) {
        assert_eq!(body["temperature"], 0.0, "{body}");
        assert!(body["response_format"]["json_schema"]["schema"].is_object());
    }
    let embedded = bodies.iter().find(|b| b.get("input").is_some()).unwrap();
    assert_eq!(embedded["input"][0], question);
    assert_eq!(embedded["input"].as_array().unwrap().len(), 3);
    // Usage of the judge's calls is counted on the record.
    assert!(records[0]["usage"]["input_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ragas_metrics_refuses_an_unknown_metric_and_scores_zero_without_an_answer() {
    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    let pipeline = r#"{"name": "ragas", "blocks": [{"type": "RagasMetrics", "config": {
        "metrics": "{{ wanted | tojson }}"}}]}"#;
    let seeds = json!([
        {"repetitions": 1, "metadata": {"question": "q", "answer": "a", "wanted": ["faithfullness"]}},
        {"repetitions": 1, "metadata": {"question": "q", "answer": "", "wanted": ["context_recall"]}}
    ]);
    let (_, records) = ws.run_pipeline(pipeline, &seeds, &[]).await;
    assert_eq!(records.len(), 2);
    for record in &records {
        if record["seed_index"] == 0 {
            assert_eq!(record["status"], "failed");
            let error = record["error"].to_string();
            assert!(
                error.contains("faithfullness") && error.contains("available"),
                "{error}"
            );
        } else {
            assert_eq!(record["status"], "completed");
            assert_eq!(
                record["accumulated_state"]["ragas_scores"],
                json!({"context_recall": 0.0, "passed": false})
            );
        }
    }
}

/// `ragas_scores` holds the four metrics in the order the config names them, then `passed`.
fn assert_all_four_metrics_and_passed(scores: &Value) {
    let names: Vec<&String> = scores.as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "faithfulness",
            "answer_relevancy",
            "context_precision",
            "context_recall",
            "passed"
        ]
    );
}

/// The gallery's `ragas_evaluation` written the way DataGenFlow keeps a template: the pipeline
/// YAML (`name`, `description`, `blocks`) in one file and the seeds in `seed_<id>.json`.
fn datagenflow_files(ws: &Workspace) -> (std::path::PathBuf, std::path::PathBuf, usize) {
    let text =
        std::fs::read_to_string(checkout().join("host/templates/ragas_evaluation.yaml")).unwrap();
    let yaml: String = text
        .lines()
        .take_while(|line| !line.starts_with("example_seed:"))
        .filter(|line| !line.starts_with("id:"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(yaml.contains("\nname: ") && yaml.contains("\nblocks:\n"));
    let template = blockforge::engine::templates::get("ragas_evaluation").unwrap();
    let seeds = template.example_seed.as_array().unwrap().len();
    let pipeline = ws.write("ragas_evaluation.yaml", &yaml);
    let seed_file = ws.write(
        "seed_ragas_evaluation.json",
        &serde_json::to_string_pretty(&template.example_seed).unwrap(),
    );
    (pipeline, seed_file, seeds)
}

/// What the fake's answers make of each record: the smallest instance of the generator's
/// schema (`"example"` everywhere), verdicts of 0, and questions equal to the question (cosine
/// 1), so only answer_relevancy is computed as non-zero and it passes.
fn assert_evaluated(state: &Value) {
    assert_eq!(state["question"], "example");
    assert_eq!(state["answer"], "example");
    assert_eq!(state["ground_truth"], "example");
    assert_eq!(state["contexts"], json!(["example"]));
    assert!(state["content"].as_str().unwrap().len() > 50);
    let scores = &state["ragas_scores"];
    assert_all_four_metrics_and_passed(scores);
    for (metric, want) in [
        ("faithfulness", 0.0),
        ("answer_relevancy", 1.0),
        ("context_precision", 0.0),
        ("context_recall", 0.0),
    ] {
        assert_close(&scores[metric], want, metric);
    }
    assert_eq!(scores["passed"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ragas_evaluation_template_runs_in_datagenflow_form_through_the_cli_and_the_api() {
    let (fake, mut ws) = Workspace::with_fake_llm(FakeLlmConfig::default()).await;
    ws.set_env("EMBEDDING_MODEL", "fake-embed");
    let (pipeline, seed_file, seeds) = datagenflow_files(&ws);
    assert_eq!(seeds, 2);

    let out_path = ws.path().join("records.jsonl");
    let out = ws
        .run(&[
            "run",
            "--pipeline",
            &pipeline.display().to_string(),
            "--seeds",
            &seed_file.display().to_string(),
            "--out",
            &out_path.display().to_string(),
            // The two records' judge prompts are the same: uncached, each is asked.
            "--cache",
            "off",
        ])
        .await;
    out.assert_success();
    let records: Vec<Value> = std::fs::read_to_string(&out_path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), seeds);
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        assert_evaluated(&record["accumulated_state"]);
        let blocks: Vec<&Value> = record["trace"]
            .as_array()
            .unwrap()
            .iter()
            .map(|step| &step["block_type"])
            .collect();
        assert_eq!(
            blocks,
            ["StructuredGenerator", "FieldMapper", "RagasMetrics"]
        );
    }
    // Per record: 1 generation + 2 faithfulness + 1 relevancy + 1 precision + 1 recall.
    assert_eq!(fake.chat_requests() as usize, seeds * 6);

    api_run(&ws, &pipeline, &seed_file, seeds).await;
}

/// The same files through `POST /api/pipelines` (the YAML's blocks as they are) and
/// `POST /api/generate` (the seed file as uploaded).
async fn api_run(
    ws: &Workspace,
    pipeline: &std::path::Path,
    seed_file: &std::path::Path,
    seeds: usize,
) {
    let server = ws
        .serve(&format!(
            "sqlite://{}",
            ws.path().join("db.sqlite").display()
        ))
        .await;
    let definition = blockforge::engine::Pipeline::from_file(pipeline).unwrap();
    let body = json!({"name": definition.name, "blocks": definition.blocks});
    let pipeline_id = create_pipeline(&server, body).await;
    let upload = std::fs::read_to_string(seed_file).unwrap();
    let response = generate(
        &server,
        pipeline_id,
        "seed_ragas_evaluation.json",
        upload,
        2,
    )
    .await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let job_id = response.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    let job = wait_for(&server, job_id, |j| j["status"] != "running").await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["records_generated"], seeds as u64);
    let records = get_json(&server, &format!("/api/records?job_id={job_id}")).await;
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), seeds);
    for record in records {
        assert_evaluated(&record["output"]);
    }
    server.kill9().await;
}
