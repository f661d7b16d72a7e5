//! ScenarioSampler and jobs without a seed file: a seeder first block makes the runs from its
//! config, through `blockforge run` (no `--seeds`) and `POST /api/generate` (no `file`), on
//! SQLite and PostgreSQL; anything else without seeds is refused, saying a seed file is needed.

use blockforge_tests::harness::{CmdOutput, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{create_pipeline, databases, generate, get_json, post_generate, wait_for};
use crate::chat_quality::{scored_criteria, script, verdict_on};
use crate::store::cleanup;

/// A ScenarioSampler pipeline: `count` scenarios of `preset`, seeded with `seed`.
fn sampler_pipeline(preset: &str, count: u32, seed: i64) -> Value {
    json!({"name": "scenarios", "blocks": [
        {"type": "ScenarioSampler", "config": {"preset": preset, "count": count, "seed": seed}},
        {"type": "FieldMapper", "config": {"mappings": {"brief": "{{ scenario_prompt }}"}}}
    ]})
}

/// `blockforge run --pipeline p.json [--seeds s.json]` and the records it wrote.
async fn run(ws: &Workspace, pipeline: &Value, seeds: Option<&Value>) -> (CmdOutput, Vec<Value>) {
    let pipeline_path = ws.write("pipeline.json", &pipeline.to_string());
    let out = ws.path().join("records.jsonl");
    let _ = std::fs::remove_file(&out);
    let mut args = vec![
        "run".to_owned(),
        "--pipeline".to_owned(),
        pipeline_path.display().to_string(),
        "--out".to_owned(),
        out.display().to_string(),
    ];
    if let Some(seeds) = seeds {
        let path = ws.write("seeds.json", &seeds.to_string());
        args.extend(["--seeds".to_owned(), path.display().to_string()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = ws.run(&refs).await;
    let records = std::fs::read_to_string(&out)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (output, records)
}

/// The scenarios of `records` (final states), ordered by seed and `scenario_index`.
fn scenarios(records: &[Value]) -> Vec<Value> {
    let mut keyed: Vec<(u64, u64, u64, Value)> = records
        .iter()
        .map(|r| {
            let state = &r["accumulated_state"];
            (
                r["seed_index"].as_u64().unwrap(),
                r["repetition"].as_u64().unwrap(),
                state["scenario_index"].as_u64().unwrap(),
                state["scenario"].clone(),
            )
        })
        .collect();
    keyed.sort_by_key(|(seed, repetition, index, _)| (*seed, *repetition, *index));
    keyed.into_iter().map(|(_, _, _, s)| s).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeder_pipeline_runs_without_a_seed_file_and_a_seed_repeats_its_scenarios() {
    let ws = Workspace::new();
    let pipeline = sampler_pipeline("customer_support", 20, 7);
    let (out, records) = run(&ws, &pipeline, None).await;
    out.assert_success();
    assert_eq!(records.len(), 20, "{}", out.stderr);
    let first = scenarios(&records);
    let subdomains = [
        "technical troubleshooting",
        "billing and payments",
        "account access",
        "orders, returns and refunds",
        "product questions",
    ];
    for (record, scenario) in records.iter().zip(&first) {
        assert_eq!(record["status"], "completed");
        assert_eq!(scenario["domain"], "customer support");
        assert!(subdomains.contains(&scenario["subdomain"].as_str().unwrap()));
        for key in [
            "channel",
            "conversation_type",
            "complexity",
            "question_structure",
            "emotional_tone",
            "communication_style",
        ] {
            assert!(scenario[key].is_string(), "{key} in {scenario}");
        }
    }
    let state = &records[0]["accumulated_state"];
    let brief = state["brief"].as_str().unwrap();
    assert!(
        brief.starts_with("Domain: customer support\nSubdomain: "),
        "{brief}"
    );
    assert!(brief.contains("\nEmotional tone: "), "{brief}");
    let mut indices: Vec<u64> = records
        .iter()
        .map(|r| r["accumulated_state"]["scenario_index"].as_u64().unwrap())
        .collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..20).collect::<Vec<u64>>());

    // The same seed and config: the same scenarios; another seed: others.
    let (out, again) = run(&ws, &pipeline, None).await;
    out.assert_success();
    assert_eq!(scenarios(&again), first);
    let (out, other) = run(&ws, &sampler_pipeline("customer_support", 20, 8), None).await;
    out.assert_success();
    assert_ne!(scenarios(&other), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repetitions_of_one_seed_row_draw_different_scenarios_and_the_same_set_each_time() {
    let ws = Workspace::new();
    let pipeline = sampler_pipeline("legal", 5, 11);
    let seed_file = json!([{"repetitions": 3, "metadata": {}}, {"metadata": {"audience": "x"}}]);
    let (out, records) = run(&ws, &pipeline, Some(&seed_file)).await;
    out.assert_success();
    assert_eq!(records.len(), 4 * 5);
    let set = |records: &[Value]| {
        let mut all: Vec<String> = scenarios(records).iter().map(Value::to_string).collect();
        all.sort();
        all
    };
    let groups: Vec<Vec<String>> = (0..3)
        .map(|rep| {
            let of_rep: Vec<Value> = records
                .iter()
                .filter(|r| r["seed_index"] == 0 && r["repetition"] == rep)
                .cloned()
                .collect();
            set(&of_rep)
        })
        .collect();
    assert_ne!(groups[0], groups[1]);
    assert_ne!(groups[1], groups[2]);
    // The seed row's metadata stays in every child's state.
    assert!(
        records
            .iter()
            .filter(|r| r["seed_index"] == 1)
            .all(|r| r["accumulated_state"]["audience"] == "x")
    );
    let (out, again) = run(&ws, &pipeline, Some(&seed_file)).await;
    out.assert_success();
    assert_eq!(set(&again), set(&records));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_seeds_a_pipeline_that_does_not_start_with_a_seeder_is_refused() {
    let ws = Workspace::new();
    let mapper = json!({"name": "m", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"a": "1"}}}]});
    let (out, records) = run(&ws, &mapper, None).await;
    out.assert_failure();
    assert!(
        out.stderr.contains(
            "a seed file is needed: the pipeline's first block, FieldMapper, is not a seeder"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("pass one with --seeds"),
        "{}",
        out.stderr
    );
    assert!(records.is_empty());
    // A seeder that reads the seed (a document) still needs one.
    let chunker = json!({"name": "c", "blocks": [{"type": "MarkdownMultiplierBlock"}]});
    let (out, _) = run(&ws, &chunker, None).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("MarkdownMultiplierBlock, reads `file_content` from each seed"),
        "{}",
        out.stderr
    );
    // A ScenarioSampler without a domain or preset fails its run, naming what is missing.
    let bare =
        json!({"name": "b", "blocks": [{"type": "ScenarioSampler", "config": {"count": 2}}]});
    let (out, records) = run(&ws, &bare, None).await;
    out.assert_failure();
    assert_eq!(records.len(), 1);
    assert!(
        records[0]["error"]
            .as_str()
            .unwrap()
            .contains("set `domain`"),
        "{}",
        records[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_without_a_file_runs_a_seeder_job_on_sqlite_and_postgres() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = create_pipeline(&server, sampler_pipeline("education", 12, 3)).await;
        let form = reqwest::multipart::Form::new()
            .text("pipeline_id", id.to_string())
            .text("concurrency", "4");
        let response = post_generate(&server, form).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let job_id = response.json::<Value>().await.unwrap()["job_id"]
            .as_i64()
            .unwrap();
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(job["records_generated"], 12, "{job}");
        assert_eq!(job["total_seeds"], 12, "{job}");
        assert_eq!(job["options"]["seedless"], true);
        let records = get_json(&server, &format!("/api/records?job_id={job_id}&limit=100")).await;
        let records = records.as_array().unwrap();
        assert_eq!(records.len(), 12);
        assert!(
            records
                .iter()
                .all(|r| r["output"]["scenario"]["domain"] == "education")
        );

        // The file path still works: two seed rows, twelve scenarios each.
        let seeds = json!([{"metadata": {"a": 1}}, {"metadata": {"a": 2}}]).to_string();
        let response = generate(&server, id, "seeds.json", seeds, 4).await;
        assert_eq!(response.status(), StatusCode::OK);
        let job_id = response.json::<Value>().await.unwrap()["job_id"]
            .as_i64()
            .unwrap();
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(job["records_generated"], 24, "{job}");

        // No file for a pipeline that does not start with a seeder: 400 saying a file is needed.
        // A browser form's empty file input (`filename=""`, no bytes) and `curl -F file=` (no
        // filename, no bytes) count as no file.
        let mapper = create_pipeline(
            &server,
            json!({"name": "m", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"a": "1"}}}]}),
        )
        .await;
        for empty_part in [None, Some(Some("")), Some(None)] {
            let mut form = reqwest::multipart::Form::new().text("pipeline_id", mapper.to_string());
            if let Some(file_name) = empty_part {
                let mut part = reqwest::multipart::Part::bytes(Vec::new());
                if let Some(name) = file_name {
                    part = part.file_name(name);
                }
                form = form.part("file", part);
            }
            let response = post_generate(&server, form).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST);
            let body: Value = response.json().await.unwrap();
            assert!(
                body["error"]
                    .as_str()
                    .unwrap()
                    .starts_with("a seed file is needed: the pipeline's first block, FieldMapper"),
                "{body}"
            );
            assert_eq!(body["detail"]["first_block"], "FieldMapper", "{body}");
            assert_eq!(body["detail"]["field"], "file", "{body}");
        }
        drop(server);
    }
    cleanup(stores, &schema).await;
}

const CONVERSATION_CRITERIA: [&str; 4] = ["scenario_fit", "helpfulness", "realism", "formatting"];

/// The fake LLM of the Domain conversations template: billing scenarios get a conversation
/// the judge keeps; any other scenario a terse one the judge scores low, whose rewrite (asked
/// with the judge's reasons) it scores high.
fn scripted_conversations(rewrite: &str) -> blockforge_tests::fake_llm::FakeLlmConfig {
    let message = |role: &str, content: &str| json!({"role": role, "content": content});
    let system = "You are a customer support assistant.";
    script(&[
        ("REASON-TERSE", json!({"rewritten": rewrite})),
        (
            "REWRITTEN",
            verdict_on(&CONVERSATION_CRITERIA, 9.0, "helpful"),
        ),
        (
            "charged twice",
            verdict_on(&CONVERSATION_CRITERIA, 8.0, "fits"),
        ),
        (
            "Where is my parcel?",
            verdict_on(&CONVERSATION_CRITERIA, 4.0, "REASON-TERSE"),
        ),
        (
            "billing and payments",
            json!({"messages": [
                message("system", system),
                message("user", "I was charged twice for one order."),
                message("assistant", "I have refunded the second charge; it shows in 3 days.")
            ]}),
        ),
        (
            "Write one realistic conversation",
            json!({"messages": [
                message("system", system),
                message("user", "Where is my parcel?"),
                message("assistant", "No idea.")
            ]}),
        ),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_domain_conversations_template_runs_without_a_seed_file() {
    let rewrite = "<|im_start|>system\nYou are a customer support assistant.<|im_end|>\n\
        <|im_start|>user\nWhere is my parcel?<|im_end|>\n\
        <|im_start|>assistant\nSorry it is late. Your order number, please? REWRITTEN<|im_end|>";
    let (_fake, ws) = Workspace::with_fake_llm(scripted_conversations(rewrite)).await;
    let template = blockforge_tests::harness::checkout()
        .join("host/templates/scenario_conversations.yaml")
        .display()
        .to_string();
    let out = ws.path().join("records.jsonl").display().to_string();
    ws.run(&["run", "--pipeline", &template, "--out", &out])
        .await
        .assert_success();
    let records: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 10);
    let mut actions = Vec::new();
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        let state = &record["accumulated_state"];
        assert_eq!(state["scenario"]["domain"], "customer support");
        // The generator was asked for the scenario (one call, after the sampler's expansion).
        assert_eq!(record["trace"][1]["block_type"], "StructuredGenerator");
        let calls = record["trace"][1]["llm_calls"].as_array().map(Vec::len);
        assert_eq!(calls, Some(1), "{record}");
        let billing = state["scenario"]["subdomain"] == "billing and payments";
        let action = state["judge_action"].as_str().unwrap();
        assert_eq!(action, if billing { "kept" } else { "fixed" }, "{state}");
        assert_eq!(state["judge_score"], if billing { 8.0 } else { 9.0 });
        assert_eq!(
            scored_criteria(state),
            ["formatting", "helpfulness", "realism", "scenario_fit"]
        );
        // The judge saw the scenario and the conversation as ChatML; a rewrite replaced the
        // ChatML and was read back into `messages`.
        let conversation = state["conversation"].as_str().unwrap();
        assert!(conversation.starts_with("<|im_start|>system\n"), "{state}");
        let last = if billing {
            assert!(conversation.contains("charged twice"), "{state}");
            "I have refunded the second charge; it shows in 3 days."
        } else {
            assert_eq!(conversation, rewrite, "{state}");
            "Sorry it is late. Your order number, please? REWRITTEN"
        };
        let messages = state["messages"].as_array().unwrap();
        let roles: Vec<&str> = messages
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant"], "{state}");
        assert_eq!(messages[2]["content"], last, "{state}");
        assert_eq!(state["valid"], true, "{state}");
        assert_eq!(state["errors"], json!([]), "{state}");
        actions.push(action.to_owned());
    }
    // Seed 42 draws both kinds of scenario.
    assert!(actions.iter().any(|a| a == "kept"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "fixed"), "{actions:?}");
}
