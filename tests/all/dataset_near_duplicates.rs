//! Merges without near-duplicates (`dedup: near`, MinHash + LSH over word shingles, the
//! MinHashDedup block's code) over `/api/datasets/merge` and `blockforge dataset merge`, on
//! SQLite and PostgreSQL: the first of near-copies is kept in merge order, the same inputs keep
//! the same rows, and the lineage says how many rows each check left out.

use blockforge_tests::harness::Workspace;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::databases;
use crate::dataset_operations::{all_rows, post};
use crate::datasets::post_raw;
use crate::store::cleanup;

/// Text number `k`: 60 words of its own, those at `changed` replaced by other words.
fn text(k: usize, changed: &[usize]) -> String {
    (0..60)
        .map(|j| {
            if changed.contains(&j) {
                format!("t{k}changed{j}")
            } else {
                format!("t{k}w{j}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn jsonl(rows: &[Value]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

/// Dataset `a`: texts 0 to 9.
fn dataset_a() -> String {
    jsonl(
        &(0..10)
            .map(|k| json!({"i": k, "text": text(k, &[]), "n": k}))
            .collect::<Vec<_>>(),
    )
}

/// Dataset `b`: near-copies of a's texts 0 to 4 (one word of 60 changed: Jaccard 0.90), a's
/// row 5 exactly (keys in another order), a's text 7 with another `n` (Jaccard 1), text 6 with
/// ten words changed (Jaccard 0.71: kept), texts 10 and 11, a near-copy of text 10, and a row
/// without text twice.
fn dataset_b() -> String {
    let ten: Vec<usize> = (0..10).collect();
    let mut rows: Vec<Value> = (0..5)
        .map(|k| json!({"i": 100 + k, "text": text(k, &[30]), "n": k}))
        .collect();
    rows.extend([
        json!({"n": 5, "text": text(5, &[]), "i": 5}),
        json!({"i": 107, "text": text(7, &[]), "n": 1000}),
        json!({"i": 106, "text": text(6, &ten), "n": 6}),
        json!({"i": 110, "text": text(10, &[]), "n": 10}),
        json!({"i": 111, "text": text(11, &[]), "n": 11}),
        json!({"i": 112, "text": text(10, &[59]), "n": 12}),
        json!({"i": 199, "n": 1}),
        json!({"i": 199, "n": 1}),
    ]);
    jsonl(&rows)
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["i"].as_i64().unwrap_or(-1)).collect()
}

/// What a merge of a then b keeps with the default near options.
fn kept_a_then_b() -> Vec<i64> {
    let mut kept: Vec<i64> = (0..10).collect();
    kept.extend([106, 110, 111, 199]);
    kept
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_leaves_out_near_duplicates_keeping_the_first_in_merge_order() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        for (name, rows) in [("a", dataset_a()), ("b", dataset_b())] {
            let (status, body) = post_raw(
                &server,
                &format!("/api/datasets/{name}/import?format=jsonl"),
                rows,
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let merge = |into: &str, inputs: [&str; 2], near: Option<Value>| {
            let mut body = json!({
                "inputs": inputs.map(|d| json!({"dataset": d})),
                "into": into,
                "dedup": "near",
            });
            if let Some(near) = near {
                body["near"] = near;
            }
            body
        };
        let (status, merged) = post(
            &server,
            "/api/datasets/merge",
            merge("ab", ["a", "b"], None),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{merged}");
        assert_eq!(ids(&all_rows(&server, "ab", None).await), kept_a_then_b());
        assert_eq!(
            merged["lineage"]["params"],
            json!({
                "dedup": "near",
                "near": {"threshold": 0.8, "fields": null, "shingle_size": 3, "bands": 20, "rows": 5},
                "dropped": {"exact": 2, "near": 7},
            })
        );
        assert_eq!(merged["row_count"], 14);
        // The same inputs keep the same rows.
        let (_, again) = post(
            &server,
            "/api/datasets/merge",
            merge("ab", ["a", "b"], None),
        )
        .await;
        assert_eq!(again["number"], 2);
        assert_eq!(
            all_rows(&server, "ab", Some(2)).await,
            all_rows(&server, "ab", Some(1)).await
        );
        // In the other order, b's near-copies come first and a's originals are left out.
        let (_, reversed) = post(
            &server,
            "/api/datasets/merge",
            merge("ba", ["b", "a"], None),
        )
        .await;
        assert_eq!(
            reversed["lineage"]["params"]["dropped"],
            json!({"exact": 2, "near": 7})
        );
        let reversed_ids = ids(&all_rows(&server, "ba", None).await);
        assert_eq!(
            reversed_ids,
            [100, 101, 102, 103, 104, 5, 107, 106, 110, 111, 199, 6, 8, 9]
        );

        // Only `text`, and only what is identical: near-copies stay, text 7 with another `n`
        // does not.
        let identical = json!({"threshold": 1.0, "fields": ["text"]});
        let (status, strict) = post(
            &server,
            "/api/datasets/merge",
            merge("strict", ["a", "b"], Some(identical)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{strict}");
        assert_eq!(
            strict["lineage"]["params"]["dropped"],
            json!({"exact": 2, "near": 1})
        );
        assert_eq!(
            strict["lineage"]["params"]["near"]["fields"],
            json!(["text"])
        );
        let strict_ids = ids(&all_rows(&server, "strict", None).await);
        assert!(!strict_ids.contains(&107), "{strict_ids:?}");
        assert!(
            strict_ids.contains(&100) && strict_ids.contains(&112),
            "{strict_ids:?}"
        );
        // A field no row has: no text, nothing is a near-duplicate.
        let (_, none) = post(
            &server,
            "/api/datasets/merge",
            merge("by_title", ["a", "b"], Some(json!({"fields": ["title"]}))),
        )
        .await;
        assert_eq!(
            none["lineage"]["params"]["dropped"],
            json!({"exact": 2, "near": 0})
        );

        // Bad options: 400 naming the problem, and no version.
        for (near, says) in [
            (json!({"threshold": 0.5}), "more bands"),
            (json!({"threshold": 0}), "'threshold'"),
            (json!({"shingle_size": 40}), "'shingle_size'"),
            (json!({"fields": []}), "'fields'"),
        ] {
            let (status, body) = post(
                &server,
                "/api/datasets/merge",
                merge("bad", ["a", "b"], Some(near.clone())),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{near}: {body}");
            assert!(
                body["error"].as_str().unwrap_or("").contains(says),
                "{near}: {body}"
            );
        }
        let (status, body) = post(
            &server,
            "/api/datasets/merge",
            json!({"inputs": [{"dataset": "a"}], "into": "bad", "dedup": "exact", "near": {}}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, _) = client_get(&server, "/api/datasets/bad").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        drop(server);
    }
    cleanup(stores, &schema).await;
}

async fn client_get(server: &blockforge_tests::harness::Server, path: &str) -> (StatusCode, Value) {
    let response = crate::api::client()
        .get(server.url(path))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `blockforge dataset merge a b --into <into> --near` and `extra`.
fn merge_near<'a>(into: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    [
        &["dataset", "merge", "a", "b", "--into", into, "--near"],
        extra,
    ]
    .concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merge_command_leaves_out_near_duplicates() {
    let mut ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    let a = ws.write("a.jsonl", &dataset_a()).display().to_string();
    let b = ws.write("b.jsonl", &dataset_b()).display().to_string();
    for url in urls {
        ws.set_env("DATABASE_URL", &url);
        for (file, name) in [(&a, "a"), (&b, "b")] {
            ws.run(&["dataset", "import", file, "--name", name])
                .await
                .assert_success();
        }
        let merged = ws.run(&merge_near("ab", &[])).await;
        merged.assert_success();
        let merged = merged.json();
        assert_eq!(merged["row_count"], 14, "{merged}");
        assert_eq!(
            merged["lineage"]["params"]["dropped"],
            json!({"exact": 2, "near": 7})
        );
        let strict = ws
            .run(&merge_near(
                "strict",
                &["--threshold", "1", "--field", "text"],
            ))
            .await;
        strict.assert_success();
        assert_eq!(
            strict.json()["lineage"]["params"]["dropped"],
            json!({"exact": 2, "near": 1})
        );
        let refused = ws.run(&merge_near("bad", &["--threshold", "0.5"])).await;
        refused.assert_failure();
        assert!(refused.stderr.contains("more bands"), "{}", refused.stderr);
        // The options need --near.
        ws.run(&[
            "dataset",
            "merge",
            "a",
            "--into",
            "bad",
            "--threshold",
            "0.9",
        ])
        .await
        .assert_failure();
    }
    cleanup(stores, &schema).await;
}
