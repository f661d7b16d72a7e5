//! The `web_pages_qa` gallery template, its file unchanged, over a site of 50 pages on
//! loopback and the fake LLM: `blockforge run` on a `.txt` list of the 50 URLs, and a job
//! through the API (the grant stored with `PUT /api/plugins/web_fetch/grants`, the URL list
//! uploaded). Each page is fetched once and cut into chunks (one to three here), and each
//! chunk becomes one judged chat example about that chunk; navigation never reaches the model.

use blockforge_tests::harness::{Workspace, checkout};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{create_pipeline, generate, wait_for};
use crate::chat_quality::{script, verdict_on};
use crate::llm_cache::records;
use crate::loopback_site::{Reply, Site};
use crate::models_routing::call;
use crate::providers::sqlite_server;
use crate::web_fetch::web_fetch_grant;

const PAGES: usize = 50;
const CRITERIA: [&str; 3] = ["groundedness", "question_quality", "answer_quality"];

/// Chunks of page `i`: one paragraph each, each paragraph too long to share a chunk of 512
/// tokens with another.
fn chunks_of(i: usize) -> usize {
    1 + i % 3
}

/// The marker that starts paragraph `j` of page `i`, by which the fake LLM knows the chunk.
fn marker(i: usize, j: usize) -> String {
    format!("[MARK-{i:03}-{j}]")
}

/// The page `i`: a title, a navigation bar and a main text of [`chunks_of`] paragraphs of
/// about 400 tokens, each with its own marker.
fn page(i: usize) -> String {
    let paragraphs: String = (0..chunks_of(i))
        .map(|j| {
            let filler = "Rivers carry stones and sand down to the quiet sea. ".repeat(36);
            format!(
                "<p>{} is about w{i}x{j}a and w{i}x{j}b. {filler}</p>",
                marker(i, j)
            )
        })
        .collect();
    format!(
        "<html><head><title>Page {i:03}</title></head><body><nav>NAVIGATION home about</nav>\
         <main><h1>Topic {i:03}</h1>{paragraphs}</main></body></html>"
    )
}

/// The pair the fake LLM writes about chunk `j` of page `i`, every word its own.
fn pair(i: usize, j: usize) -> (String, String) {
    (
        format!("Where do w{i}x{j}a and w{i}x{j}b grow?"),
        format!("They grow near w{i}x{j}c, says topic q{i}x{j}. ANSWER-OK"),
    )
}

/// A site of `PAGES` pages at `/page/<i>` and a robots.txt; the fake LLM scripted for them.
async fn site_and_model() -> (Site, blockforge_tests::fake_llm::FakeLlmConfig) {
    let site = Site::start().await;
    site.robots("User-agent: *\nDisallow: /admin/\n");
    let mut scripted = vec![("ANSWER-OK".to_owned(), verdict_on(&CRITERIA, 8.0, "fine"))];
    for i in 0..PAGES {
        site.route(&format!("/page/{i}"), vec![Reply::html(page(i))]);
        for j in 0..chunks_of(i) {
            let (question, answer) = pair(i, j);
            scripted.push((
                marker(i, j),
                json!({"question": question, "answer": answer}),
            ));
        }
    }
    let entries: Vec<(&str, Value)> = scripted
        .iter()
        .map(|(key, answer)| (key.as_str(), answer.clone()))
        .collect();
    (site, script(&entries))
}

fn url_list(site: &Site, count: usize) -> String {
    (0..count)
        .map(|i| site.url(&format!("/page/{i}")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The template's steps, in order: each record's trace holds each once, the fetch and the
/// conversion made once for its page and inherited by every chunk.
const STEPS: [&str; 10] = [
    "WebFetch",
    "HtmlToText",
    "FieldMapper",
    "TokenChunker",
    "StructuredGenerator",
    "FieldMapper",
    "LLMJudge",
    "FieldMapper",
    "MinHashDedup",
    "ChatFormatConverter",
];

/// Checks a record (its final state and trace) against the chunk of the page its URL names;
/// answers `(page, chunk)`.
fn check(how: &str, state: &Value, trace: &Value, site: &Site) -> (usize, usize) {
    let url = state["url"].as_str().unwrap_or_default();
    let i: usize = url
        .rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{how}: no page in {state}"));
    assert_eq!(url, site.url(&format!("/page/{i}")), "{how}");
    assert_eq!(state["status"], 200, "{how}: {state}");
    assert_eq!(state["title"], format!("Page {i:03}"), "{how}");
    let text = state["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with(&format!("# Topic {i:03}")),
        "{how}: {text}"
    );
    assert!(!text.contains("NAVIGATION"), "{how}: {text}");
    // The page's HTML is cleared before the chunker, so no chunk carries a copy of it.
    assert_eq!(state["html"], Value::Null, "{how}: {state}");
    let j = state["chunk_index"].as_u64().unwrap_or(99) as usize;
    assert!(j < chunks_of(i), "{how}: chunk {j} of page {i}");
    let chunk = state["chunk_text"].as_str().unwrap_or_default();
    assert!(chunk.contains(&marker(i, j)), "{how}: {chunk}");
    assert_eq!(
        chunk.matches("[MARK-").count(),
        1,
        "{how}: one chunk's text: {chunk}"
    );
    let (question, answer) = pair(i, j);
    assert_eq!(state["judge_action"], "kept", "{how}: {state}");
    assert_eq!(state["is_duplicate"], false, "{how}: {state}");
    assert_eq!(
        state["messages"],
        json!([{"role": "user", "content": question},
               {"role": "assistant", "content": answer}]),
        "{how}: the question is about its own chunk"
    );
    let steps: Vec<(u64, &str)> = trace
        .as_array()
        .unwrap_or_else(|| panic!("{how}: {trace}"))
        .iter()
        .map(|e| {
            (
                e["step"].as_u64().unwrap_or(99),
                e["block_type"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let expected: Vec<(u64, &str)> = (0..).zip(STEPS).collect();
    assert_eq!(steps, expected, "{how}");
    assert_eq!(
        trace[3]["output"]["chunk_index"], j,
        "{how}: the chunker's part is its own"
    );
    (i, j)
}

/// Checks a job's records: one per chunk of each of the first `pages` pages, each about its
/// own chunk, every page fetched once.
fn check_all(how: &str, records: &[(&Value, &Value)], site: &Site, pages: usize) {
    let mut seen = std::collections::BTreeSet::new();
    for (state, trace) in records {
        assert!(seen.insert(check(how, state, trace, site)), "{how}: twice");
    }
    let chunks: usize = (0..pages).map(chunks_of).sum();
    assert_eq!(seen.len(), chunks, "{how}: one record per chunk");
    for i in 0..pages {
        assert_eq!(site.hits(&format!("/page/{i}")), 1, "{how}: page {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_pages_become_one_judged_chat_example_per_chunk() {
    let (site, fake) = site_and_model().await;
    let (fake, ws) = Workspace::with_fake_llm(fake).await;
    let grants = web_fetch_grant(&ws, json!({"per_host_per_minute": 6000}));
    let template = checkout().join("host/templates/web_pages_qa.yaml");
    let seeds = ws.write("urls.txt", &url_list(&site, PAGES));
    let (out, records) = ws
        .run_files(
            &template,
            &seeds,
            &["--grants", grants, "--concurrency", "8"],
        )
        .await;
    out.assert_success();
    let chunks: usize = (0..PAGES).map(chunks_of).sum();
    assert_eq!(records.len(), chunks, "{}", out.stderr);
    assert!(records.iter().all(|r| r["status"] == "completed"));
    let states: Vec<(&Value, &Value)> = records
        .iter()
        .map(|r| (&r["accumulated_state"], &r["trace"]))
        .collect();
    check_all("blockforge run", &states, &site, PAGES);
    // A generator's and a judge's call per chunk, none repeated.
    assert_eq!(fake.chat_requests() as usize, 2 * chunks);
    // Runs that start together may each read robots.txt before one keeps it; never one per page.
    let robots = site.hits("/robots.txt");
    assert!((1..=8).contains(&robots), "robots.txt read {robots} times");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_through_the_api_fetches_the_uploaded_url_list() {
    let (site, fake) = site_and_model().await;
    let (_fake, ws) = Workspace::with_fake_llm(fake).await;
    let server = sqlite_server(&ws).await;
    let template = checkout().join("host/templates/web_pages_qa.yaml");
    let definition: Value =
        serde_norway::from_str(&std::fs::read_to_string(template).unwrap()).unwrap();
    let pipeline_id = create_pipeline(&server, definition).await;
    let grant = json!({"capabilities": ["http", "kv", "log"], "models": [],
                       "http": {"allow": [site.authority()], "per_host_per_minute": 6000}});
    let path = "/api/plugins/web_fetch/grants";
    let (status, stored) = call(&server, Method::PUT, path, Some(grant)).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    let started = generate(&server, pipeline_id, "pages.txt", url_list(&site, 3), 2).await;
    assert_eq!(started.status(), StatusCode::OK);
    let job_id = started.json::<Value>().await.unwrap()["job_id"]
        .as_i64()
        .unwrap();
    let job = wait_for(&server, job_id, |j| j["status"] != "running").await;
    assert_eq!(job["status"], "completed", "{job}");
    let records = records(&server, &job_id.into()).await;
    let chunks: usize = (0..3).map(chunks_of).sum();
    assert_eq!(records.len(), chunks, "{job}");
    assert!(records.iter().all(|r| r["run_status"] == "completed"));
    let states: Vec<(&Value, &Value)> = records
        .iter()
        .map(|r| (&r["output"], &r["trace"]))
        .collect();
    check_all("the API", &states, &site, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_page_reaches_the_model_in_chunks_of_bounded_size() {
    let (site, fake) = site_and_model().await;
    let filler = "Filler words fill this page. ".repeat(2000);
    let long = page(0).replace("</main>", &format!("<p>{filler}</p></main>"));
    site.route("/page/0", vec![Reply::html(long)]);
    let (fake, ws) = Workspace::with_fake_llm(fake).await;
    let grants = web_fetch_grant(&ws, json!({"per_host_per_minute": 6000}));
    let template = checkout().join("host/templates/web_pages_qa.yaml");
    let seeds = ws.write("urls.txt", &url_list(&site, 1));
    let (out, records) = ws.run_files(&template, &seeds, &["--grants", grants]).await;
    out.assert_success();
    assert!(
        records.len() > 20,
        "{} chunks: {}",
        records.len(),
        out.stderr
    );
    assert_eq!(site.hits("/page/0"), 1, "fetched once for all its chunks");
    let mut text_lengths = std::collections::BTreeSet::new();
    for record in &records {
        let state = &record["accumulated_state"];
        text_lengths.insert(state["text"].as_str().unwrap_or_default().len());
        let tokens = state["chunk_tokens"].as_u64().unwrap_or(u64::MAX);
        assert!(tokens <= 512, "{tokens} tokens");
    }
    assert_eq!(
        text_lengths.len(),
        1,
        "every chunk's run holds the page's whole text"
    );
    assert!(text_lengths.iter().all(|n| *n > 50_000));
    // Each prompt holds one chunk of at most 512 tokens, not the page.
    let bodies = fake.request_bodies();
    assert!(
        bodies.len() >= 2 * records.len(),
        "a generator and a judge call per chunk"
    );
    for body in bodies {
        let prompt = body["messages"].to_string();
        assert!(prompt.len() < 6_000, "{} bytes", prompt.len());
    }
}
