//! A whole dataset in the Hugging Face Hub's layout, on SQLite and PostgreSQL: a zip from
//! `GET /api/datasets/{name}/export?format=hub` and from `blockforge dataset export --hub`, or
//! a folder, holding `README.md` (whose front matter lists the splits with their row counts)
//! and one Parquet file per split that the parquet crate reads back as the split's rows.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::Path;

use arrow_array::Int64Array;
use blockforge_tests::harness::{Server, Workspace};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, databases};
use crate::datasets::{chat_jsonl, post_raw};
use crate::store::cleanup;

/// The card's front matter, parsed as YAML.
pub(crate) fn front_matter(card: &str) -> Value {
    let rest = card.strip_prefix("---\n").expect("front matter first");
    let (yaml, _) = rest.split_once("\n---\n").expect("a closing ---");
    serde_norway::from_str(yaml).unwrap()
}

/// The values of the column `i` of a Parquet file.
pub(crate) fn column_i(parquet: Vec<u8>) -> Vec<i64> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(parquet))
        .unwrap()
        .build()
        .unwrap();
    let mut values = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = batch.column_by_name("i").expect("a column i");
        let ints = column.as_any().downcast_ref::<Int64Array>().expect("int64");
        values.extend(ints.values().iter().copied());
    }
    values
}

/// Every file of a zip: `(name, bytes)` in the zip's order.
fn unzip(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().expect("a file name").into_owned(), content)
        })
        .collect()
}

/// Splits dataset `chats` on `server` 80/10/10 with seed 7 (`POST …/split`).
pub(crate) async fn split_chats(server: &Server) {
    let split = client()
        .post(server.url("/api/datasets/chats/split"))
        .json(&json!({"seed": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(split.status(), StatusCode::CREATED);
}

/// Checks a Hub layout of 300 rows split 80/10/10: the files, the card's splits and every
/// row once.
pub(crate) fn check_layout(files: &[(String, Vec<u8>)]) {
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "README.md",
            "data/train-00000-of-00001.parquet",
            "data/validation-00000-of-00001.parquet",
            "data/test-00000-of-00001.parquet"
        ]
    );
    let card = String::from_utf8(files[0].1.clone()).unwrap();
    let matter = front_matter(&card);
    assert_eq!(
        matter["dataset_info"]["splits"],
        json!([
            {"name": "train", "num_examples": 240},
            {"name": "validation", "num_examples": 30},
            {"name": "test", "num_examples": 30}
        ])
    );
    let mut seen = BTreeSet::new();
    for ((_, parquet), split) in files[1..]
        .iter()
        .zip(matter["dataset_info"]["splits"].as_array().unwrap())
    {
        let values = column_i(parquet.clone());
        assert_eq!(values.len() as u64, split["num_examples"].as_u64().unwrap());
        seen.extend(values);
    }
    assert_eq!(seen, (0..300).collect(), "every row in exactly one split");
}

/// The files under `dir`, as [`unzip`] lists a zip's.
fn folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![(
        "README.md".to_owned(),
        std::fs::read(dir.join("README.md")).unwrap(),
    )];
    for split in ["train", "validation", "test"] {
        let name = format!("data/{split}-00000-of-00001.parquet");
        files.push((name.clone(), std::fs::read(dir.join(&name)).unwrap()));
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_dataset_exports_in_the_hub_layout_over_http_and_the_cli() {
    let mut ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        post_raw(
            &server,
            "/api/datasets/chats/import?format=jsonl",
            chat_jsonl(300),
        )
        .await;

        // Not split yet: the newest version is the one train split.
        let response = client()
            .get(server.url("/api/datasets/chats/export?format=hub&license=mit"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/zip");
        let files = unzip(response.bytes().await.unwrap().to_vec());
        assert_eq!(files.len(), 2);
        let matter = front_matter(std::str::from_utf8(&files[0].1).unwrap());
        assert_eq!(matter["license"], "mit");
        assert_eq!(
            matter["dataset_info"]["splits"],
            json!([{"name": "train", "num_examples": 300}])
        );
        assert_eq!(column_i(files[1].1.clone()), (0..300).collect::<Vec<i64>>());

        split_chats(&server).await;
        let response = client()
            .get(server.url("/api/datasets/chats/export?format=hub"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        check_layout(&unzip(response.bytes().await.unwrap().to_vec()));
        let missing = client()
            .get(server.url("/api/datasets/nosuch/export?format=hub"))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        drop(server);

        // The CLI: a zip, or a folder.
        ws.set_env("DATABASE_URL", &url);
        let zip_path = ws.path().join("chats.zip");
        ws.run(&[
            "dataset",
            "export",
            "chats",
            "--hub",
            &zip_path.display().to_string(),
        ])
        .await
        .assert_success();
        check_layout(&unzip(std::fs::read(&zip_path).unwrap()));
        let dir = ws.path().join("hub");
        ws.run(&[
            "dataset",
            "export",
            "chats",
            "--hub",
            &dir.display().to_string(),
        ])
        .await
        .assert_success();
        check_layout(&folder(&dir));
        ws.run(&[
            "dataset",
            "export",
            "nosuch",
            "--hub",
            &zip_path.display().to_string(),
        ])
        .await
        .assert_failure();
        check_layout(&unzip(std::fs::read(&zip_path).unwrap()));
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_file(&zip_path).unwrap();
    }
    cleanup(stores, &schema).await;
}
