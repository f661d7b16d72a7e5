//! The `HtmlToText` builtin through the real binary: a page's main content as Markdown or
//! text, its title and metadata, navigation and scripts dropped.

use blockforge_tests::harness::Workspace;
use serde_json::json;

const PAGE: &str = r#"<html lang="fr"><head><title>Recette</title>
<meta name="description" content="Une tarte"><script>track()</script></head>
<body><nav>Accueil | Contact</nav><main><h1>Tarte</h1><p>Pour <em>six</em> personnes.</p>
<ul><li>pommes</li><li>sucre</li></ul>
<table><tr><th>Étape</th><th>Minutes</th></tr><tr><td>Cuire</td><td>40</td></tr></table>
</main><footer>© site</footer></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_to_text_keeps_the_main_content_as_markdown_or_text() {
    let ws = Workspace::new();
    let pipeline = json!({"name": "h", "blocks": [
        {"type": "HtmlToText", "config": {"html_field": "page"}}]});
    let seeds = json!([{"metadata": {"page": PAGE}}]);
    let (out, records) = ws.run_pipeline(&pipeline.to_string(), &seeds, &[]).await;
    out.assert_success();
    assert_eq!(records.len(), 1, "{}", out.stderr);
    let state = &records[0]["accumulated_state"];
    assert_eq!(
        state["text"],
        "# Tarte\n\nPour _six_ personnes.\n\n- pommes\n- sucre\n\n| Étape | Minutes |\n| --- | --- |\n| Cuire | 40 |",
        "{state}"
    );
    assert_eq!(state["title"], "Recette");
    assert_eq!(
        state["metadata"],
        json!({"lang": "fr", "description": "Une tarte"})
    );

    let pipeline = json!({"name": "h", "blocks": [
        {"type": "HtmlToText", "config": {"html_field": "page", "output_format": "text"}}]});
    let (out, records) = ws.run_pipeline(&pipeline.to_string(), &seeds, &[]).await;
    out.assert_success();
    let text = records[0]["accumulated_state"]["text"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        text, "Tarte\n\nPour six personnes.\n\n- pommes\n- sucre\n\nÉtape\tMinutes\nCuire\t40",
        "{text}"
    );

    // A missing field fails the run naming it.
    let seeds = json!([{"metadata": {"other": "x"}}]);
    let (_, records) = ws.run_pipeline(&pipeline.to_string(), &seeds, &[]).await;
    assert_eq!(records[0]["status"], "failed");
    assert!(
        records[0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("page"),
        "{}",
        records[0]
    );
}
