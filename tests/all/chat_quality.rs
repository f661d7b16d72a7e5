//! ChatFormatConverter, FormatValidator and LLMJudge through the real binary: pipelines run
//! with `blockforge run`, single calls with `blockforge block test`, the judge against the
//! fake LLM's scripted answers.

use blockforge_tests::fake_llm::FakeLlmConfig;
use blockforge_tests::harness::{Workspace, seeds};
use serde_json::{Map, Value, json};

use crate::builtins::call as block_test;

fn sharegpt(system: Option<&str>, turns: &[&str]) -> Value {
    let mut conversation = Vec::new();
    if let Some(system) = system {
        conversation.push(json!({"from": "system", "value": system}));
    }
    for (i, text) in turns.iter().enumerate() {
        let from = if i % 2 == 0 { "human" } else { "gpt" };
        conversation.push(json!({"from": from, "value": text}));
    }
    Value::Array(conversation)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_format_converter_chains_formats_and_comes_back_unchanged() {
    let ws = Workspace::new();
    // sharegpt → chatml → llama3 → vicuna → openai → sharegpt; the middle three steps detect
    // their input (`from` auto or left out), the first and last name it.
    let pipeline = json!({"name": "formats", "blocks": [
        {"type": "ChatFormatConverter", "config": {"from": "sharegpt", "to": "chatml", "field": "conversation", "output_field": "chatml"}},
        {"type": "ChatFormatConverter", "config": {"from": "auto", "to": "llama3", "field": "chatml", "output_field": "llama3"}},
        {"type": "ChatFormatConverter", "config": {"to": "vicuna", "field": "llama3", "output_field": "vicuna"}},
        {"type": "ChatFormatConverter", "config": {"to": "openai", "field": "vicuna"}},
        {"type": "ChatFormatConverter", "config": {"from": "openai", "to": "sharegpt", "output_field": "back"}}
    ]})
    .to_string();
    let conversations = [
        sharegpt(
            Some("You are terse."),
            &["Hi", "Hello.", "Capital of France?", "Paris."],
        ),
        sharegpt(None, &["Write \"JSON\": {\"a\": 1}", "{\"a\": 1}"]),
        sharegpt(None, &["Café ☕ et naïveté\nsur deux lignes ?"]),
    ];
    let seed_file = seeds(
        conversations.len(),
        |i| json!({"conversation": conversations[i]}),
    );
    let (out, records) = ws.run_pipeline(&pipeline, &seed_file, &[]).await;
    out.assert_success();
    assert_eq!(records.len(), 3);
    for record in &records {
        let i = record["seed_index"].as_u64().unwrap() as usize;
        let state = &record["accumulated_state"];
        assert_eq!(record["status"], "completed", "{}", record["error"]);
        assert_eq!(state["back"], conversations[i], "{state}");
    }
    let first = &records.iter().find(|r| r["seed_index"] == 0).unwrap()["accumulated_state"];
    assert_eq!(
        first["chatml"],
        "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\nParis.<|im_end|>"
    );
    assert_eq!(
        first["vicuna"],
        "You are terse. USER: Hi ASSISTANT: Hello.</s>USER: Capital of France? ASSISTANT: Paris.</s>"
    );
    assert!(first["llama3"].as_str().unwrap().starts_with(
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
    ));
    assert_eq!(
        first["messages"][0],
        json!({"role": "system", "content": "You are terse."})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_format_converter_writes_alpaca_and_refuses_what_alpaca_cannot_hold() {
    let ws = Workspace::new();
    let single = json!({"messages": [{"role": "user", "content": "Name a prime."}, {"role": "assistant", "content": "7"}]});
    let out = block_test(&ws, "ChatFormatConverter", single, json!({"to": "alpaca"})).await;
    out.assert_success();
    assert_eq!(
        out.json()["output"],
        json!({"instruction": "Name a prime.", "input": "", "output": "7"})
    );

    let with_system = json!({"messages": [{"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Name a prime."}, {"role": "assistant", "content": "7"}]});
    let out = block_test(
        &ws,
        "ChatFormatConverter",
        with_system.clone(),
        json!({"to": "alpaca"}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains(
            "cannot write openai as alpaca: turn 0 is a system turn, which alpaca cannot hold"
        ),
        "{}",
        out.stderr
    );
    let out = block_test(
        &ws,
        "ChatFormatConverter",
        with_system,
        json!({"to": "alpaca_system"}),
    )
    .await;
    out.assert_success();
    assert_eq!(out.json()["output"]["system"], "Be brief.");

    let multi = json!({"conversations": sharegpt(None, &["a", "b", "c", "d"])});
    let out = block_test(&ws, "ChatFormatConverter", multi, json!({"to": "alpaca"})).await;
    out.assert_failure();
    assert!(
        out.stderr.contains("alpaca holds one instruction and one output; the conversation has 2 user and 2 assistant turns"),
        "{}",
        out.stderr
    );

    let unknown_role =
        json!({"messages": [{"role": "user", "content": "a"}, {"role": "tool", "content": "{}"}]});
    let out = block_test(
        &ws,
        "ChatFormatConverter",
        unknown_role,
        json!({"to": "chatml"}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("at /messages/1/role: turn 1 has the unknown role 'tool'"),
        "{}",
        out.stderr
    );

    let out = block_test(
        &ws,
        "ChatFormatConverter",
        json!({"text": "<|im_start|>user\nHi"}),
        json!({"from": "chatml", "to": "openai"}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("turn 0 is not closed by `<|im_end|>`"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn format_validator_reports_schema_and_format_errors_with_pointers() {
    let ws = Workspace::new();
    let schema = json!({"type": "object", "required": ["question", "answer"],
        "properties": {"question": {"type": "string", "minLength": 5}, "tags": {"type": "array", "items": {"type": "string"}}}});
    let config = json!({"field": "generated", "schema": schema});
    let good = json!({"generated": "```json\n{\"question\": \"Why is the sky blue?\", \"answer\": \"Rayleigh.\"}\n```"});
    let out = block_test(&ws, "FormatValidator", good, config.clone()).await;
    out.assert_success();
    assert_eq!(out.json()["output"], json!({"valid": true, "errors": []}));

    let bad = json!({"generated": {"question": "Why", "tags": ["a", 2]}});
    let out = block_test(&ws, "FormatValidator", bad.clone(), config.clone()).await;
    out.assert_success();
    let output = &out.json()["output"];
    assert_eq!(output["valid"], false);
    let mut pointers: Vec<&str> = output["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    pointers.sort();
    assert_eq!(pointers, ["", "/question", "/tags/1"], "{output}");

    let mut strict = config.clone();
    strict["strict"] = json!(true);
    let out = block_test(&ws, "FormatValidator", bad, strict).await;
    out.assert_failure();
    assert!(out.stderr.contains("rejected"), "{}", out.stderr);

    let chat = json!({"messages": [{"role": "user", "content": "Hi"}, {"role": "bot", "content": "Hello"}]});
    let out = block_test(&ws, "FormatValidator", chat, json!({"format": "openai"})).await;
    out.assert_success();
    assert_eq!(
        out.json()["output"],
        json!({"valid": false, "errors": [{"pointer": "/messages/1/role",
            "message": "at /messages/1/role: turn 1 has the unknown role 'bot' (openai roles: system, user, assistant)"}]})
    );
    let text = json!({"sample": "USER: Hi ASSISTANT: Hello</s>"});
    let out = block_test(
        &ws,
        "FormatValidator",
        text,
        json!({"format": "vicuna", "field": "sample"}),
    )
    .await;
    out.assert_success();
    assert_eq!(out.json()["output"], json!({"valid": true, "errors": []}));

    let out = block_test(
        &ws,
        "FormatValidator",
        json!({}),
        json!({"schema": {"type": "object"}, "format": "openai"}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("set either schema or format, not both"),
        "{}",
        out.stderr
    );
    let out = block_test(
        &ws,
        "FormatValidator",
        json!({"x": 1}),
        json!({"field": "x", "schema": {"type": "strnig"}}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("schema is not a valid JSON Schema"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_fixes_hold_through_the_binary() {
    let ws = Workspace::new();
    // `from: auto` keeps ShareGPT's top-level system, as `from: sharegpt` does.
    let row = json!({"system": "Be terse.", "conversations": sharegpt(None, &["Hi", "Yo"])});
    let out = block_test(&ws, "ChatFormatConverter", row, json!({"to": "openai"})).await;
    out.assert_success();
    assert_eq!(
        out.json()["output"]["messages"][0],
        json!({"role": "system", "content": "Be terse."})
    );
    // FastChat's generation prompt reads as an open user turn.
    let prompt = json!({"text": "You are kind. USER: Hi ASSISTANT:"});
    let out = block_test(&ws, "ChatFormatConverter", prompt, json!({"to": "openai"})).await;
    out.assert_success();
    assert_eq!(
        out.json()["output"]["messages"],
        json!([{"role": "system", "content": "You are kind."}, {"role": "user", "content": "Hi"}])
    );
    // A text field checked against a string schema stays text.
    let text_schema = json!({"field": "title", "schema": {"type": "string", "pattern": "^[A-Z]"}});
    let out = block_test(
        &ws,
        "FormatValidator",
        json!({"title": "A plain title"}),
        text_schema.clone(),
    )
    .await;
    out.assert_success();
    assert_eq!(out.json()["output"], json!({"valid": true, "errors": []}));
    let out = block_test(
        &ws,
        "FormatValidator",
        json!({"title": "lower case"}),
        text_schema,
    )
    .await;
    out.assert_success();
    assert_eq!(out.json()["output"]["valid"], false);
    // Alpaca with a system prompt is not valid `alpaca`: the converter could not write it.
    let out = block_test(
        &ws,
        "FormatValidator",
        json!({"instruction": "a", "output": "b", "system": "Be kind."}),
        json!({"format": "alpaca"}),
    )
    .await;
    out.assert_success();
    assert_eq!(out.json()["output"]["errors"][0]["pointer"], "/system");
}

const CRITERIA: [&str; 5] = [
    "content_quality",
    "instruction_response_alignment",
    "factual_correctness",
    "formatting",
    "training_utility",
];

/// A judge answer scoring every default criterion `score`, with `reason`.
pub(crate) fn verdict(score: f64, reason: &str) -> Value {
    verdict_on(&CRITERIA, score, reason)
}

/// A judge answer scoring each of `criteria` `score`, with the reason `<criterion>: <reason>`.
pub(crate) fn verdict_on(criteria: &[&str], score: f64, reason: &str) -> Value {
    let scores: Map<String, Value> = criteria
        .iter()
        .map(|c| {
            (
                (*c).to_owned(),
                json!({"score": score, "reason": format!("{c}: {reason}")}),
            )
        })
        .collect();
    Value::Object(scores)
}

fn judge_pipeline(action: &str) -> String {
    json!({"name": "judge", "blocks": [{"type": "LLMJudge", "config": {
        "fields": ["question", "answer"], "min_score": 7, "action": action}}]})
    .to_string()
}

fn qa(answer: &str) -> Value {
    json!({"question": "What is the boiling point of water at sea level?", "answer": answer})
}

/// The criteria a judged `state` has scores for (`judge_scores`' keys), sorted.
pub(crate) fn scored_criteria(state: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = state["judge_scores"]
        .as_object()
        .map(|scores| scores.keys().map(String::as_str).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// A fake LLM whose structured answers are scripted by prompt text, first match first.
pub(crate) fn script(entries: &[(&str, Value)]) -> FakeLlmConfig {
    FakeLlmConfig {
        scripted: entries
            .iter()
            .map(|(key, answer)| ((*key).to_owned(), answer.clone()))
            .collect(),
        ..FakeLlmConfig::default()
    }
}

fn by_seed(records: &[Value]) -> Vec<&Value> {
    let mut sorted: Vec<&Value> = records.iter().collect();
    sorted.sort_by_key(|r| r["seed_index"].as_u64());
    sorted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_judge_keeps_a_good_record_and_flags_a_weak_one_in_one_call_each() {
    let (fake, ws) = Workspace::with_fake_llm(script(&[
        ("GOOD-ANSWER", verdict(9.0, "precise")),
        ("WEAK-ANSWER", verdict(3.0, "vague")),
    ]))
    .await;
    let answers = ["100 °C. GOOD-ANSWER", "Hot. WEAK-ANSWER"];
    let (out, records) = ws
        .run_pipeline(&judge_pipeline("keep"), &seeds(2, |i| qa(answers[i])), &[])
        .await;
    out.assert_success();
    let records = by_seed(&records);
    let good = &records[0]["accumulated_state"];
    assert_eq!(good["judge_score"], 9.0);
    assert_eq!(good["passed"], true);
    assert_eq!(good["judge_action"], "kept");
    assert_eq!(good["judge_scores"]["factual_correctness"], 9.0);
    assert_eq!(good["judge_reasons"]["formatting"], "formatting: precise");
    let weak = &records[1]["accumulated_state"];
    assert_eq!(weak["judge_score"], 3.0);
    assert_eq!(weak["passed"], false);
    assert_eq!(weak["judge_action"], "flagged");
    assert_eq!(weak["answer"], "Hot. WEAK-ANSWER", "keep never rewrites");
    let keys: Vec<&str> = weak["judge_scores"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, CRITERIA);

    // One structured call per record, at temperature 0, asking for every criterion, showing
    // both fields; its usage is the record's.
    assert_eq!(fake.chat_requests(), 2);
    for body in fake.request_bodies() {
        assert_eq!(body["temperature"], 0.0);
        let schema = &body["response_format"]["json_schema"]["schema"];
        assert_eq!(schema["required"], json!(CRITERIA));
        let prompt = body["messages"][0]["content"].as_str().unwrap();
        assert!(
            prompt.contains("### question\nWhat is the boiling point"),
            "{prompt}"
        );
    }
    for record in &records {
        assert!(
            record["usage"]["input_tokens"].as_u64().unwrap() > 50,
            "{}",
            record["usage"]
        );
        assert_eq!(record["trace"][0]["llm_calls"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_judge_fix_keeps_a_better_rewrite_and_the_original_when_the_rewrite_is_worse() {
    // The rewrite prompt carries the judge's reasons (REASON-A/B), which only it contains.
    let (fake, ws) = Workspace::with_fake_llm(script(&[
        (
            "REASON-A",
            json!({"rewritten": "Water boils at 100 °C at sea level. IMPROVED-A"}),
        ),
        ("REASON-B", json!({"rewritten": "It is warm. WORSE-B"})),
        ("IMPROVED-A", verdict(9.0, "now exact")),
        ("WORSE-B", verdict(2.0, "worse")),
        ("WEAK-A", verdict(4.0, "REASON-A")),
        ("WEAK-B", verdict(4.0, "REASON-B")),
    ]))
    .await;
    let answers = ["Hot. WEAK-A", "Hot. WEAK-B"];
    let pipeline = json!({"name": "judge", "blocks": [{"type": "LLMJudge", "config": {
        "fields": ["question", "answer"], "min_score": 7, "action": "fix", "fix_field": "answer"}}]})
    .to_string();
    let (out, records) = ws
        .run_pipeline(&pipeline, &seeds(2, |i| qa(answers[i])), &[])
        .await;
    out.assert_success();
    let records = by_seed(&records);
    let fixed = &records[0]["accumulated_state"];
    assert_eq!(
        fixed["answer"],
        "Water boils at 100 °C at sea level. IMPROVED-A"
    );
    assert_eq!(fixed["judge_action"], "fixed");
    assert_eq!(fixed["judge_score"], 9.0);
    assert_eq!(fixed["passed"], true);
    assert_eq!(
        fixed["judge_reasons"]["formatting"],
        "formatting: now exact"
    );
    let kept = &records[1]["accumulated_state"];
    assert_eq!(
        kept["answer"], "Hot. WEAK-B",
        "the worse rewrite is dropped"
    );
    assert_eq!(kept["judge_action"], "flagged");
    assert_eq!(kept["judge_score"], 4.0);
    assert_eq!(kept["passed"], false);

    // Judge, rewrite, judge again: three calls a record, all counted in its usage.
    assert_eq!(fake.chat_requests(), 6);
    for record in &records {
        assert_eq!(record["trace"][0]["llm_calls"].as_array().unwrap().len(), 3);
    }
    let rewrites: Vec<Value> = fake
        .request_bodies()
        .into_iter()
        .filter(|b| {
            b["messages"][0]["content"]
                .as_str()
                .unwrap_or("")
                .contains("Rewrite its \"answer\"")
        })
        .collect();
    assert_eq!(rewrites.len(), 2);
    for body in &rewrites {
        assert_eq!((body["temperature"].as_f64().unwrap() * 10.0).round(), 7.0);
        let prompt = body["messages"][0]["content"].as_str().unwrap();
        assert!(
            prompt.contains("- factual_correctness: 4/10. factual_correctness: REASON-"),
            "{prompt}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_judge_remove_fails_a_weak_record_as_rejected_with_its_scores() {
    let (_fake, ws) = Workspace::with_fake_llm(script(&[
        ("GOOD-ANSWER", verdict(8.0, "fine")),
        ("WEAK-ANSWER", verdict(2.5, "wrong")),
    ]))
    .await;
    let answers = ["100 °C. GOOD-ANSWER", "50 °C. WEAK-ANSWER"];
    let (_out, records) = ws
        .run_pipeline(
            &judge_pipeline("remove"),
            &seeds(2, |i| qa(answers[i])),
            &[],
        )
        .await;
    let records = by_seed(&records);
    assert_eq!(records[0]["status"], "completed");
    assert_eq!(records[0]["accumulated_state"]["judge_action"], "kept");
    let removed = records[1];
    assert_eq!(removed["status"], "failed");
    let error = removed["error"].as_str().unwrap();
    assert!(error.contains("rejected"), "{error}");
    assert!(
        error.contains("the judge scored the record 2.5 out of 10, below min_score 7"),
        "{error}"
    );
    let detail = &removed["trace"][0]["failure"]["detail"];
    assert_eq!(detail["judge_score"], 2.5, "{removed}");
    assert_eq!(detail["judge_scores"]["formatting"], 2.5);
    assert_eq!(detail["judge_reasons"]["formatting"], "formatting: wrong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_judge_repairs_a_malformed_answer_and_fails_clearly_when_it_stays_malformed() {
    let (fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        invalid_structured_first: 1,
        ..script(&[("GOOD-ANSWER", verdict(8.0, "fine"))])
    })
    .await;
    let (out, records) = ws
        .run_pipeline(
            &judge_pipeline("keep"),
            &seeds(1, |_| qa("100 °C. GOOD-ANSWER")),
            &[],
        )
        .await;
    out.assert_success();
    // The repair question is the last user message, so the fake answers it with the schema's
    // smallest instance: every score 0.
    let state = &records[0]["accumulated_state"];
    assert_eq!(state["judge_score"], 0.0, "{state}");
    assert_eq!(state["judge_action"], "flagged");
    assert_eq!(fake.chat_requests(), 2);
    assert_eq!(
        records[0]["trace"][0]["llm_calls"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let (_fake, ws) = Workspace::with_fake_llm(FakeLlmConfig {
        invalid_structured_first: 10,
        ..FakeLlmConfig::default()
    })
    .await;
    let (_out, records) = ws
        .run_pipeline(&judge_pipeline("keep"), &seeds(1, |_| qa("Hot.")), &[])
        .await;
    assert_eq!(records[0]["status"], "failed");
    let error = records[0]["error"].as_str().unwrap();
    assert!(error.contains("does not match the schema"), "{error}");
    assert!(error.contains("content_quality"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_judge_renders_a_template_with_custom_criteria_and_checks_its_config() {
    let (fake, ws) = Workspace::with_fake_llm(script(&[(
        "A: 100 °C",
        json!({"accuracy": {"score": 10, "reason": "exact"}, "tone": {"score": 6, "reason": "curt"}}),
    )]))
    .await;
    let config = json!({
        "criteria": [{"name": "accuracy", "description": "The answer is true."},
                     {"name": "tone", "description": "The answer is friendly."}],
        "template": "Q: {{ question }}\nA: {{ answer }}",
        "min_score": 8
    });
    let out = block_test(&ws, "LLMJudge", qa("100 °C"), config.clone()).await;
    out.assert_success();
    assert_eq!(
        out.json()["output"],
        json!({"judge_scores": {"accuracy": 10.0, "tone": 6.0},
               "judge_reasons": {"accuracy": "exact", "tone": "curt"},
               "judge_score": 8.0, "passed": true, "judge_action": "kept"})
    );
    let body = &fake.request_bodies()[0];
    let prompt = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        prompt.contains("- accuracy: The answer is true.\n- tone: The answer is friendly.\n"),
        "{prompt}"
    );
    assert!(
        prompt.contains(
            "<example>\nQ: What is the boiling point of water at sea level?\nA: 100 °C\n</example>"
        ),
        "{prompt}"
    );
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["required"],
        json!(["accuracy", "tone"])
    );

    // With a template, a rewrite must name its field; with fields, it must be one of them.
    let mut fix = config.clone();
    fix["action"] = json!("fix");
    let out = block_test(&ws, "LLMJudge", qa("100 °C"), fix).await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("fix_field: name the field the rewrite replaces"),
        "{}",
        out.stderr
    );
    let out = block_test(
        &ws,
        "LLMJudge",
        qa("100 °C"),
        json!({"fields": ["question"], "action": "fix", "fix_field": "answer"}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr
            .contains("fix_field 'answer' is not one of fields"),
        "{}",
        out.stderr
    );
    let out = block_test(
        &ws,
        "LLMJudge",
        qa("100 °C"),
        json!({"criteria": [{"name": "a"}, {"name": "a"}], "fields": ["answer"]}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("criteria[1]: 'a' is named twice"),
        "{}",
        out.stderr
    );
    let out = block_test(
        &ws,
        "LLMJudge",
        json!({"question": "q"}),
        json!({"fields": ["question", "answer"]}),
    )
    .await;
    out.assert_failure();
    assert!(
        out.stderr.contains("state field 'answer' is missing"),
        "{}",
        out.stderr
    );
    assert_eq!(
        fake.chat_requests(),
        1,
        "bad configs and inputs call no model"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_gets_lists_for_formats_and_actions() {
    let ws = Workspace::new();
    let listing = ws.run(&["blocks", "--json"]).await;
    listing.assert_success();
    let json = listing.json();
    let property = |block: &str, key: &str| {
        json["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == block)
            .unwrap_or_else(|| panic!("{block} missing"))["config_schema"]["properties"][key]
            .clone()
    };
    let formats = json!([
        "openai",
        "sharegpt",
        "alpaca",
        "alpaca_system",
        "chatml",
        "vicuna",
        "llama3"
    ]);
    assert_eq!(property("ChatFormatConverter", "to")["enum"], formats);
    assert_eq!(property("ChatFormatConverter", "from")["enum"][0], "auto");
    assert_eq!(
        property("LLMJudge", "action")["enum"],
        json!(["keep", "fix", "remove"])
    );
    assert_eq!(property("FormatValidator", "format")["enum"][1], "openai");
}
