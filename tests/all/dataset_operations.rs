//! Dataset operations over `/api/datasets` on SQLite and PostgreSQL: convert between chat
//! formats (the ChatFormatConverter's code), merge with and without exact duplicates, sample
//! (seeded, stratified) and split; each a new version with its lineage, nothing on failure.

use std::collections::HashSet;

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, databases, get_json};
use crate::datasets::{chat_jsonl, post_raw, version_id};
use crate::store::cleanup;

pub(crate) async fn post(server: &Server, path: &str, body: Value) -> (StatusCode, Value) {
    let response = client()
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// Every row of a dataset's version (newest when `None`).
pub(crate) async fn all_rows(server: &Server, name: &str, version: Option<i64>) -> Vec<Value> {
    let version = version.map_or(String::new(), |v| format!("&version={v}"));
    let mut rows = Vec::new();
    let mut after = -1;
    loop {
        let page = get_json(
            server,
            &format!("/api/datasets/{name}/rows?limit=1000&after={after}{version}"),
        )
        .await;
        rows.extend(
            page["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["row"].clone()),
        );
        match page["next_after"].as_i64() {
            Some(next) => after = next,
            None => return rows,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_convert_between_chat_formats_and_a_bad_row_makes_nothing() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let (status, _) = post_raw(
            &server,
            "/api/datasets/chats/import?format=jsonl",
            chat_jsonl(12),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, sharegpt) = post(
            &server,
            "/api/datasets/chats/convert",
            json!({"to": "sharegpt"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{sharegpt}");
        assert_eq!(
            (
                &sharegpt["number"],
                &sharegpt["parent"],
                &sharegpt["row_count"]
            ),
            (&json!(2), &json!(1), &json!(12))
        );
        assert_eq!(
            sharegpt["lineage"]["params"],
            json!({"from": "openai", "to": "sharegpt"}),
            "detected from the first row"
        );
        let rows = all_rows(&server, "chats", None).await;
        assert_eq!(
            rows[4],
            json!({"lang": "en", "i": 4, "conversations": [{"from": "human", "value": "question 4"}, {"from": "gpt", "value": "answer 4"}]})
        );
        let (status, chatml) = post(
            &server,
            "/api/datasets/chats/convert",
            json!({"from": "sharegpt", "to": "chatml"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{chatml}");
        let rows = all_rows(&server, "chats", None).await;
        assert_eq!(
            rows[0]["text"],
            "<|im_start|>user\nquestion 0<|im_end|>\n<|im_start|>assistant\nanswer 0<|im_end|>"
        );
        // Version 1 converts to Alpaca too: one exchange per row.
        let (status, alpaca) = post(
            &server,
            "/api/datasets/chats/convert",
            json!({"version": 1, "to": "alpaca"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{alpaca}");
        assert_eq!(alpaca["parent"], 1);
        assert_eq!(
            all_rows(&server, "chats", None).await[2]["output"],
            "answer 2"
        );

        // A row with a role no format has stops the conversion, named by position.
        let bad = "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}\n";
        post_raw(&server, "/api/datasets/mixed/import?format=jsonl", bad).await;
        let (status, error) = post(
            &server,
            "/api/datasets/mixed/convert",
            json!({"to": "sharegpt"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["detail"]["position"], 1, "{error}");
        assert_eq!(error["detail"]["pointer"], "/messages/0/role", "{error}");
        let (status, error) = post(
            &server,
            "/api/datasets/mixed/convert",
            json!({"to": "klingon"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            error["detail"]["supported"]
                .as_array()
                .unwrap()
                .contains(&json!("llama3"))
        );
        assert_eq!(
            get_json(&server, "/api/datasets/mixed").await["versions"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        drop(server);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_sample_and_split_make_versions_with_their_lineage() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        post_raw(
            &server,
            "/api/datasets/a/import?format=jsonl",
            chat_jsonl(90),
        )
        .await;
        // b: rows 60..90 of a (written with the keys in another order) and 30 new ones.
        let b: String = (60..120)
            .map(|i| {
                let messages = json!([{"role": "user", "content": format!("question {i}")}, {"role": "assistant", "content": format!("answer {i}")}]);
                let lang = if i % 3 == 0 { "fr" } else { "en" };
                format!("{{\"i\": {i}, \"lang\": \"{lang}\", \"messages\": {messages}}}\n")
            })
            .collect();
        post_raw(&server, "/api/datasets/b/import?format=jsonl", b).await;

        let (status, merged) = post(&server, "/api/datasets/merge", json!({"inputs": [{"dataset": "a"}, {"dataset": "b", "version": 1}], "into": "ab", "dedup": "exact"})).await;
        assert_eq!(status, StatusCode::CREATED, "{merged}");
        assert_eq!(merged["row_count"], 120, "{merged}");
        assert_eq!(
            merged["lineage"],
            json!({"source": "operation", "operation": "merge", "inputs": [{"dataset": "a", "version": 1, "id": version_id(&server, "a", 1).await}, {"dataset": "b", "version": 1, "id": version_id(&server, "b", 1).await}], "params": {"dedup": "exact", "dropped": {"exact": 30}}})
        );
        let ids: Vec<i64> = all_rows(&server, "ab", None)
            .await
            .iter()
            .map(|r| r["i"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, (0..120).collect::<Vec<_>>());
        let (_, kept) = post(
            &server,
            "/api/datasets/merge",
            json!({"inputs": [{"dataset": "a"}, {"dataset": "b"}], "into": "ab"}),
        )
        .await;
        assert_eq!(
            (&kept["row_count"], &kept["number"], &kept["parent"]),
            (&json!(150), &json!(2), &json!(1))
        );
        assert_eq!(kept["lineage"]["params"], json!({"dedup": "none"}));
        let (status, _) = post(
            &server,
            "/api/datasets/merge",
            json!({"inputs": [{"dataset": "nope"}], "into": "x"}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = post(
            &server,
            "/api/datasets/merge",
            json!({"inputs": [{"dataset": "a"}], "into": "x", "dedup": "fuzzy"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // A seeded sample is reproducible and in the rows' order.
        let (status, first) = post(
            &server,
            "/api/datasets/ab/sample",
            json!({"version": 1, "n": 30, "seed": 7, "into": "s1"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["row_count"], 30);
        assert_eq!(
            first["lineage"]["params"],
            json!({"n": 30, "seed": 7, "stratify_by": null})
        );
        post(
            &server,
            "/api/datasets/ab/sample",
            json!({"version": 1, "n": 30, "seed": 7, "into": "s2"}),
        )
        .await;
        post(
            &server,
            "/api/datasets/ab/sample",
            json!({"version": 1, "n": 30, "seed": 8, "into": "s3"}),
        )
        .await;
        let (s1, s2, s3) = (
            all_rows(&server, "s1", None).await,
            all_rows(&server, "s2", None).await,
            all_rows(&server, "s3", None).await,
        );
        assert_eq!(s1, s2);
        assert_ne!(s1, s3);
        let order: Vec<i64> = s1.iter().map(|r| r["i"].as_i64().unwrap()).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        // Stratified by lang: 40 of 120 rows are French, so 10 of 30.
        let (status, stratified) = post(
            &server,
            "/api/datasets/ab/sample",
            json!({"version": 1, "n": 30, "seed": 1, "stratify_by": "lang", "into": "strata"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{stratified}");
        let rows = all_rows(&server, "strata", None).await;
        assert_eq!(rows.len(), 30);
        assert_eq!(rows.iter().filter(|r| r["lang"] == "fr").count(), 10);
        // Without `into`, a new version of the same dataset made from the one sampled.
        let (_, own) = post(&server, "/api/datasets/a/sample", json!({"n": 5})).await;
        assert_eq!(
            (&own["dataset"], &own["number"], &own["parent"]),
            (&json!("a"), &json!(2), &json!(1))
        );

        // A split: disjoint parts that together are the whole.
        let (status, splits) = post(&server, "/api/datasets/ab/split", json!({"version": 1, "seed": 3, "fractions": {"train": 0.8, "validation": 0.1, "test": 0.1}})).await;
        assert_eq!(status, StatusCode::CREATED, "{splits}");
        let names: Vec<&str> = splits
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["dataset"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ab.train", "ab.validation", "ab.test"]);
        let counts: Vec<i64> = splits
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["row_count"].as_i64().unwrap())
            .collect();
        assert_eq!(counts, [96, 12, 12]);
        assert_eq!(splits[0]["lineage"]["params"]["split"], "train");
        assert_eq!(splits[0]["lineage"]["params"]["seed"], 3);
        let mut union = HashSet::new();
        for name in names {
            for row in all_rows(&server, name, None).await {
                assert!(
                    union.insert(row["i"].as_i64().unwrap()),
                    "{row} in two splits"
                );
            }
        }
        assert_eq!(union.len(), 120);
        let (status, _) = post(
            &server,
            "/api/datasets/ab/split",
            json!({"fractions": {"train": -1}}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let many: serde_json::Map<String, serde_json::Value> =
            (0..17).map(|i| (format!("s{i}"), json!(1))).collect();
        let (status, body) = post(
            &server,
            "/api/datasets/ab/split",
            json!({"fractions": many}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"].as_str().unwrap_or("").contains("at most 16"),
            "{body}"
        );
        drop(server);
    }
    cleanup(stores, &schema).await;
}
