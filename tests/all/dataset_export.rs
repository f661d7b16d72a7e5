//! Dataset exports over `/api/datasets` on SQLite and PostgreSQL: JSON Lines, JSON and CSV
//! that read back as the rows they came from, and a card whose front matter parses as YAML
//! with the Hub's keys, the splits' counts and how the rows were made.

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, databases, generate_job, get_json, seeds, wait_for};
use crate::datasets::{chat_jsonl, post_raw};
use crate::store::cleanup;

async fn get_text(server: &Server, path: &str) -> (StatusCode, String, String) {
    let response = client().get(server.url(path)).send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The card's front matter, parsed as YAML.
fn front_matter(card: &str) -> Value {
    let rest = card.strip_prefix("---\n").expect("front matter first");
    let (yaml, _) = rest.split_once("\n---\n").expect("a closing ---");
    serde_norway::from_str(yaml).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_read_back_as_the_rows_and_the_card_describes_them() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        // More rows than one page, so the streams join pages.
        let source = chat_jsonl(2100);
        let expected: Vec<Value> = source
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        post_raw(
            &server,
            "/api/datasets/chats/import?format=jsonl&file_name=chats.jsonl",
            source,
        )
        .await;

        let (status, content_type, jsonl) =
            get_text(&server, "/api/datasets/chats/export?format=jsonl").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "application/x-ndjson");
        let rows: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows, expected);
        let (_, _, list) =
            get_text(&server, "/api/datasets/chats/export?format=json&version=1").await;
        assert_eq!(serde_json::from_str::<Vec<Value>>(&list).unwrap(), expected);
        // CSV: nested values as JSON cells, which an import with json_cells reads back.
        let (_, content_type, csv) =
            get_text(&server, "/api/datasets/chats/export?format=csv").await;
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        assert!(csv.starts_with("messages,lang,i\n"), "{}", &csv[..80]);
        let (status, back) = post_raw(
            &server,
            "/api/datasets/again/import?format=csv&json_cells=true",
            csv.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{back}");
        let (_, _, again) = get_text(&server, "/api/datasets/again/export").await;
        let again: Vec<Value> = again
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(again[5]["messages"], expected[5]["messages"]);
        assert_eq!(again[5]["i"], "5", "CSV cells are text");
        // Without json_cells, a cell that looks like JSON stays text.
        let (status, _) = post_raw(&server, "/api/datasets/text/import?format=csv", csv).await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, _, text) = get_text(&server, "/api/datasets/text/export").await;
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["messages"], expected[0]["messages"].to_string());
        // Text a spreadsheet would run as a formula gets a ' before it, unless asked.
        post_raw(
            &server,
            "/api/datasets/formulas/import?format=jsonl",
            "{\"t\": \"=1+2\", \"n\": -4}\n",
        )
        .await;
        let (_, _, guarded) = get_text(&server, "/api/datasets/formulas/export?format=csv").await;
        assert_eq!(guarded, "t,n\n'=1+2,-4\n");
        let (_, _, plain) = get_text(
            &server,
            "/api/datasets/formulas/export?format=csv&formula_guard=false",
        )
        .await;
        assert_eq!(plain, "t,n\n=1+2,-4\n");
        let (status, _, _) = get_text(&server, "/api/datasets/chats/export?format=xml").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // The card of one version: one train split, the upload in its lineage.
        let (status, content_type, card) = get_text(&server, "/api/datasets/chats/card?license=apache-2.0&language=en,fr&task_categories=text-generation").await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/markdown"), "{content_type}");
        let matter = front_matter(&card);
        assert_eq!(matter["license"], "apache-2.0");
        assert_eq!(matter["language"], json!(["en", "fr"]));
        assert_eq!(matter["task_categories"], json!(["text-generation"]));
        assert_eq!(matter["size_categories"], json!(["1K<n<10K"]));
        assert_eq!(
            matter["dataset_info"]["splits"],
            json!([{"name": "train", "num_examples": 2100}])
        );
        assert_eq!(
            matter["dataset_info"]["features"],
            json!([
                {"name": "messages", "list": [{"name": "role", "dtype": "string"}, {"name": "content", "dtype": "string"}]},
                {"name": "lang", "dtype": "string"},
                {"name": "i", "dtype": "int64"}
            ])
        );
        assert_eq!(
            matter["configs"][0]["data_files"][0],
            json!({"split": "train", "path": "data/train-00000-of-00001.parquet"})
        );
        assert!(
            card.contains("imported from `chats.jsonl` (jsonl"),
            "{card}"
        );

        // After a split, the card lists the three splits, each made from the upload.
        let split = client()
            .post(server.url("/api/datasets/chats/split"))
            .json(&json!({"seed": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(split.status(), StatusCode::CREATED);
        let (_, _, card) = get_text(&server, "/api/datasets/chats/card").await;
        let matter = front_matter(&card);
        assert_eq!(matter["license"], "other");
        assert_eq!(
            matter["dataset_info"]["splits"],
            json!([
                {"name": "train", "num_examples": 1680},
                {"name": "validation", "num_examples": 210},
                {"name": "test", "num_examples": 210}
            ])
        );
        assert!(
            card.contains("- `chats.test` v1: split of `chats` v1"),
            "{card}"
        );
        drop(server);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_of_a_jobs_rows_names_its_pipeline_models_tokens_and_pass_rate() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let id = create_pipeline(&server, json!({"name": "mapper", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"out": "{{ n }}!"}}}]})).await;
        let job_id = generate_job(&server, id, "seeds.json", seeds(3), 1).await;
        wait_for(&server, job_id, |j| j["status"] == "completed").await;
        let job = get_json(&server, &format!("/api/jobs/{job_id}")).await;
        let saved = client()
            .post(server.url("/api/datasets/made/from-job"))
            .json(&json!({"job_id": job_id, "records": "all"}))
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::CREATED);
        let (_, _, card) = get_text(&server, "/api/datasets/made/card").await;
        let matter = front_matter(&card);
        assert_eq!(matter["dataset_info"]["splits"][0]["num_examples"], 3);
        assert!(
            card.contains(&format!(
                "every record not rejected of job {job_id} (pipeline `mapper`)"
            )),
            "{card}"
        );
        let tokens = format!(
            "Job {job_id} ran the pipeline `mapper`: {} input and {} output tokens",
            job["usage"]["input_tokens"], job["usage"]["output_tokens"]
        );
        assert!(card.contains(&tokens), "{tokens} in {card}");
        drop(server);
    }
    cleanup(stores, &schema).await;
}

/// `GET path` answered 200, as bytes.
async fn get_bytes(server: &Server, path: &str) -> Vec<u8> {
    let response = client().get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parquet_exports_keep_the_types_and_import_back() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let source = chat_jsonl(1500);
        let expected: Vec<Value> = source
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        post_raw(&server, "/api/datasets/chats/import?format=jsonl", source).await;
        let parquet = get_bytes(&server, "/api/datasets/chats/export?format=parquet").await;
        assert_eq!(&parquet[..4], b"PAR1", "a Parquet file");
        let path = ws.path().join("chats.parquet");
        std::fs::write(&path, &parquet).unwrap();
        let (status, version) = post_raw(
            &server,
            "/api/datasets/back/import?file_name=chats.parquet",
            parquet,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{version}");
        assert_eq!(version["lineage"]["format"], "parquet");
        let (_, _, jsonl) = get_text(&server, "/api/datasets/back/export").await;
        let rows: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            rows, expected,
            "integers, text and lists of objects come back as they were"
        );
        let (status, error) = post_raw(
            &server,
            "/api/datasets/bad/import?format=parquet",
            "PAR1 not really",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["detail"]["format"], "parquet");
        // pyarrow, when this machine has it, reads the same types.
        let check = "import sys, pyarrow.parquet as pq\n\
                     t = pq.read_table(sys.argv[1])\n\
                     print(t.num_rows, t.schema.field('i').type, t.schema.field('lang').type, t.schema.field('messages').type)";
        match std::process::Command::new("python3")
            .args(["-c", check, &path.display().to_string()])
            .output()
        {
            Ok(out) if out.status.success() => {
                let text = String::from_utf8_lossy(&out.stdout);
                assert!(
                    text.starts_with(
                        "1500 int64 string list<item: struct<role: string, content: string>>"
                    ),
                    "{text}"
                );
            }
            Ok(out)
                if String::from_utf8_lossy(&out.stderr).contains("No module named 'pyarrow'") =>
            {
                eprintln!("pyarrow is not installed: the pyarrow check was skipped");
            }
            other => panic!("python3 failed: {other:?}"),
        }
        drop(server);
    }
    cleanup(stores, &schema).await;
}
