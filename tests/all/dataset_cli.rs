//! `blockforge dataset ...` on DATABASE_URL (a real SQLite file and the real PostgreSQL):
//! import, list, show, convert, merge, sample, split and export, without a server.

use blockforge_tests::harness::Workspace;
use serde_json::{Value, json};

use crate::api::databases;
use crate::datasets::chat_jsonl;
use crate::store::cleanup;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dataset_command_runs_every_operation_on_the_database() {
    let mut ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    let file = ws.write("chats.jsonl", &chat_jsonl(50));
    let file = file.display().to_string();
    for url in urls {
        ws.set_env("DATABASE_URL", &url);
        let imported = ws
            .run(&["dataset", "import", &file, "--name", "chats"])
            .await;
        imported.assert_success();
        let imported = imported.json();
        assert_eq!(
            (&imported["number"], &imported["row_count"]),
            (&json!(1), &json!(50))
        );
        assert_eq!(imported["lineage"]["file_name"], "chats.jsonl");

        let converted = ws
            .run(&["dataset", "convert", "chats", "--to", "sharegpt"])
            .await;
        converted.assert_success();
        assert_eq!(converted.json()["number"], 2);
        let merged = ws
            .run(&[
                "dataset", "merge", "chats@1", "chats@1", "--into", "twice", "--dedup",
            ])
            .await;
        merged.assert_success();
        assert_eq!(
            merged.json()["row_count"],
            50,
            "the second copy is all duplicates"
        );
        let sample = ws
            .run(&[
                "dataset",
                "sample",
                "twice",
                "--n",
                "10",
                "--seed",
                "4",
                "--stratify-by",
                "lang",
                "--into",
                "few",
            ])
            .await;
        sample.assert_success();
        assert_eq!(sample.json()["row_count"], 10);
        let split = ws.run(&["dataset", "split", "twice", "--seed", "2"]).await;
        split.assert_success();
        let split = split.json();
        let total: i64 = split
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["row_count"].as_i64().unwrap())
            .sum();
        assert_eq!(total, 50);

        let list = ws.run(&["dataset", "list"]).await;
        list.assert_success();
        let names: Vec<String> = list
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "chats",
                "few",
                "twice",
                "twice.test",
                "twice.train",
                "twice.validation"
            ]
        );
        let show = ws.run(&["dataset", "show", "chats"]).await;
        show.assert_success();
        assert_eq!(show.json().as_array().unwrap().len(), 2);

        let exported = ws
            .run(&["dataset", "export", "chats", "--version", "2"])
            .await;
        exported.assert_success();
        let rows: Vec<Value> = exported
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 50);
        assert_eq!(
            rows[3]["conversations"][1],
            json!({"from": "gpt", "value": "answer 3"})
        );
        let card = ws
            .run(&["dataset", "export", "twice", "--card", "--license", "mit"])
            .await;
        card.assert_success();
        assert!(
            card.stdout.starts_with("---\nlicense: mit\n"),
            "{}",
            card.stdout
        );

        // A file that does not parse: an error naming the line, and nothing saved.
        let bad = ws.write("bad.jsonl", "{\"a\": 1}\n{oops\n");
        let failed = ws
            .run(&[
                "dataset",
                "import",
                &bad.display().to_string(),
                "--name",
                "bad",
            ])
            .await;
        failed.assert_failure();
        assert!(failed.stderr.contains("line 2"), "{}", failed.stderr);
        let missing = ws.run(&["dataset", "show", "bad"]).await;
        missing.assert_failure();
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_export_leaves_the_output_file_as_it_was() {
    let mut ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    let file = ws.write("chats.jsonl", &chat_jsonl(5));
    let file = file.display().to_string();
    for url in urls {
        ws.set_env("DATABASE_URL", &url);
        ws.run(&["dataset", "import", &file, "--name", "chats"])
            .await
            .assert_success();
        let out = ws.write("kept.jsonl", "precious\n");
        let out_text = out.display().to_string();
        for args in [
            &["dataset", "export", "nosuch", "--output", &out_text][..],
            &[
                "dataset",
                "export",
                "chats",
                "--version",
                "9",
                "--output",
                &out_text,
            ],
            &[
                "dataset", "export", "chats", "--format", "xml", "--output", &out_text,
            ],
            &[
                "dataset",
                "export",
                "chats",
                "--format",
                "parquet",
                "--version",
                "9",
                "-o",
                &out_text,
            ],
            &[
                "dataset", "export", "nosuch", "--card", "--output", &out_text,
            ],
        ] {
            let failed = ws.run(args).await;
            failed.assert_failure();
            assert_eq!(
                std::fs::read_to_string(&out).unwrap(),
                "precious\n",
                "{args:?}: {}",
                failed.stderr
            );
        }
        ws.run(&["dataset", "export", "chats", "--output", &out_text])
            .await
            .assert_success();
        assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 5);
        let leftovers: Vec<_> = std::fs::read_dir(ws.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    cleanup(stores, &schema).await;
}
