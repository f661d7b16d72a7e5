//! The `web_pages_qa` gallery template, its file unchanged, over a site of 50 pages on
//! loopback and the fake LLM: `blockforge run` on a `.txt` list of the 50 URLs, and a job
//! through the API (the grant stored with `PUT /api/plugins/web_fetch/grants`, the URL list
//! uploaded). Each page becomes one judged chat example; navigation never reaches the model.

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

/// The page `i`: a title, a navigation bar and a main text with its own words.
fn page(i: usize) -> String {
    format!(
        "<html><head><title>Page {i:03}</title></head><body><nav>NAVIGATION home about</nav>\
         <main><h1>Topic {i:03}</h1><p>MARK-{i:03} is about w{i}a and w{i}b, which grow \
         near w{i}c.</p></main></body></html>"
    )
}

/// The pair the fake LLM writes about page `i`, every word its own.
fn pair(i: usize) -> (String, String) {
    (
        format!("Where do w{i}a and w{i}b grow?"),
        format!("They grow near w{i}c, says topic q{i}. ANSWER-OK"),
    )
}

/// A site of `PAGES` pages at `/page/<i>` and a robots.txt; the fake LLM scripted for them.
async fn site_and_model() -> (Site, blockforge_tests::fake_llm::FakeLlmConfig) {
    let site = Site::start().await;
    site.robots("User-agent: *\nDisallow: /admin/\n");
    let mut scripted = vec![("ANSWER-OK".to_owned(), verdict_on(&CRITERIA, 8.0, "fine"))];
    for i in 0..PAGES {
        site.route(&format!("/page/{i}"), vec![Reply::html(page(i))]);
        let (question, answer) = pair(i);
        scripted.push((
            format!("MARK-{i:03}"),
            json!({"question": question, "answer": answer}),
        ));
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

/// Checks a final state against the page its URL names.
fn check(how: &str, state: &Value, site: &Site) {
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
    let (question, answer) = pair(i);
    assert_eq!(state["judge_action"], "kept", "{how}: {state}");
    assert_eq!(state["is_duplicate"], false, "{how}: {state}");
    assert_eq!(
        state["messages"],
        json!([{"role": "user", "content": question},
               {"role": "assistant", "content": answer}]),
        "{how}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_pages_become_fifty_judged_chat_examples() {
    let (site, fake) = site_and_model().await;
    let (_fake, ws) = Workspace::with_fake_llm(fake).await;
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
    assert_eq!(records.len(), PAGES, "{}", out.stderr);
    for record in &records {
        assert_eq!(record["status"], "completed", "{record}");
        check("blockforge run", &record["accumulated_state"], &site);
    }
    for i in 0..PAGES {
        assert_eq!(site.hits(&format!("/page/{i}")), 1, "page {i}");
    }
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
    assert_eq!(records.len(), 3, "{job}");
    for record in &records {
        assert_eq!(record["run_status"], "completed", "{record}");
        check("the API", &record["output"], &site);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_page_reaches_the_model_cut_to_a_bounded_text() {
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
    assert_eq!(records.len(), 1, "{}", out.stderr);
    let text = records[0]["accumulated_state"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(text.len() > 50_000, "the page's text is whole in the state");
    // Each prompt holds at most the template's 12,000 characters of page text.
    let bodies = fake.request_bodies();
    assert!(!bodies.is_empty());
    for body in bodies {
        let prompt = body["messages"].to_string();
        assert!(prompt.len() < 20_000, "{} bytes", prompt.len());
    }
}
