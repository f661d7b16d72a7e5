//! `/api/datasets` over real HTTP against `blockforge serve`, on SQLite and PostgreSQL: preview
//! and import each format, errors naming the line or row with nothing saved, browsing with
//! filters, edits as new versions, and a job's records saved as a dataset.

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, create_pipeline, databases, generate_job, get_json, seeds, wait_for};
use crate::store::cleanup;

/// `POST path` with `body` as the raw body: the status and the JSON answer.
pub(crate) async fn post_raw(
    server: &Server,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let response = client()
        .post(server.url(path))
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// An operation's lineage with the version ids of its inputs left out (they depend on the
/// database's numbering), for comparing it with the names and numbers expected.
pub(crate) fn without_ids(lineage: &Value) -> Value {
    let mut lineage = lineage.clone();
    if let Some(inputs) = lineage["inputs"].as_array_mut() {
        for input in inputs {
            if let Some(input) = input.as_object_mut() {
                input.remove("id");
            }
        }
    }
    lineage
}

/// `n` chat rows in OpenAI's format, in French for every third.
pub(crate) fn chat_jsonl(n: usize) -> String {
    (0..n)
        .map(|i| {
            json!({
                "messages": [
                    {"role": "user", "content": format!("question {i}")},
                    {"role": "assistant", "content": format!("answer {i}")}
                ],
                "lang": if i % 3 == 0 { "fr" } else { "en" },
                "i": i,
            })
            .to_string()
                + "\n"
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_previewed_imported_browsed_and_edited_into_new_versions() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let http = client();

        let (status, preview) = post_raw(
            &server,
            "/api/datasets/preview?format=jsonl&rows=2",
            chat_jsonl(30),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["rows"].as_array().unwrap().len(), 2);
        assert_eq!(preview["rows"][1]["i"], 1);
        assert_eq!(
            preview["detected"],
            json!({"family": "chat", "format": "openai", "field": "messages"})
        );
        assert_eq!(preview["fields"]["fields"][2]["name"], "i");
        let alpaca = "instruction,input,output\nSay hi,,hi\n";
        let (_, preview) = post_raw(&server, "/api/datasets/preview?file_name=a.csv", alpaca).await;
        assert_eq!(preview["detected"]["family"], "instruction", "{preview}");
        assert_eq!(preview["format"], "csv");
        // Nothing was saved by the previews.
        assert_eq!(get_json(&server, "/api/datasets").await, json!([]));

        let (status, version) = post_raw(
            &server,
            "/api/datasets/chats/import?format=jsonl&file_name=chats.jsonl",
            chat_jsonl(120),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{version}");
        assert_eq!(
            (&version["number"], &version["row_count"]),
            (&json!(1), &json!(120))
        );
        assert_eq!(version["lineage"]["source"], "upload");
        assert_eq!(version["lineage"]["file_name"], "chats.jsonl");
        assert_eq!(version["lineage"]["format"], "jsonl");
        assert_eq!(version["parent"], Value::Null);
        let json_list = format!("[{}]", chat_jsonl(4).trim_end().replace('\n', ","));
        let (status, second) =
            post_raw(&server, "/api/datasets/chats/import?format=json", json_list).await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        assert_eq!(
            (&second["number"], &second["parent"], &second["row_count"]),
            (&json!(2), &json!(1), &json!(4))
        );
        let listed = get_json(&server, "/api/datasets").await;
        assert_eq!(listed[0]["name"], "chats");
        assert_eq!(
            (&listed[0]["latest_version"], &listed[0]["row_count"]),
            (&json!(2), &json!(4))
        );

        // Pages of version 1, in order, to the end.
        let mut after = -1;
        let mut seen = Vec::new();
        loop {
            let page = get_json(
                &server,
                &format!("/api/datasets/chats/rows?version=1&limit=50&after={after}"),
            )
            .await;
            for row in page["rows"].as_array().unwrap() {
                seen.push(row["row"]["i"].as_i64().unwrap());
            }
            match page["next_after"].as_i64() {
                Some(next) => after = next,
                None => break,
            }
        }
        assert_eq!(seen, (0..120).collect::<Vec<_>>());
        // Filtered by field values.
        let filter = urlencode(&json!({"lang": "fr"}).to_string());
        let page = get_json(
            &server,
            &format!("/api/datasets/chats/rows?version=1&limit=100&where={filter}"),
        )
        .await;
        let french: Vec<i64> = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["row"]["i"].as_i64().unwrap())
            .collect();
        assert_eq!(french, (0..120).filter(|i| i % 3 == 0).collect::<Vec<_>>());
        assert_eq!(page["next_after"], Value::Null);
        let bad = http
            .get(server.url("/api/datasets/chats/rows?where=fr"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

        // An edit makes version 3 from version 1; version 1 is unchanged.
        let edited = http
            .put(server.url("/api/datasets/chats/rows/7?version=1"))
            .json(&json!({"i": 7, "note": "checked"}))
            .send()
            .await
            .unwrap();
        assert_eq!(edited.status(), StatusCode::CREATED);
        let edited: Value = edited.json().await.unwrap();
        assert_eq!(
            (&edited["number"], &edited["parent"], &edited["row_count"]),
            (&json!(3), &json!(1), &json!(120))
        );
        assert_eq!(
            without_ids(&edited["lineage"]),
            json!({"source": "operation", "operation": "edit", "inputs": [{"dataset": "chats", "version": 1}], "params": {"position": 7}})
        );
        let names: Vec<&str> = edited["schema"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["messages", "lang", "i", "note"]);
        assert_eq!(edited["schema"]["fields"][0]["types"]["array"], 119);
        let row = get_json(
            &server,
            "/api/datasets/chats/rows?version=3&after=6&limit=1",
        )
        .await;
        assert_eq!(row["rows"][0]["row"], json!({"i": 7, "note": "checked"}));
        let row = get_json(
            &server,
            "/api/datasets/chats/rows?version=1&after=6&limit=1",
        )
        .await;
        assert_eq!(row["rows"][0]["row"]["i"], 7);
        assert!(row["rows"][0]["row"].get("note").is_none());
        let missing = http
            .put(server.url("/api/datasets/chats/rows/120?version=1"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let versions = get_json(&server, "/api/datasets/chats").await;
        assert_eq!(versions["versions"].as_array().unwrap().len(), 3);

        let deleted = http
            .delete(server.url("/api/datasets/chats"))
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), StatusCode::OK);
        let gone = http
            .get(server.url("/api/datasets/chats"))
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        drop(server);
    }
    cleanup(stores, &schema).await;
}

/// `text` percent-encoded for a query string.
pub(crate) fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_name_the_line_or_row_and_leave_nothing_behind() {
    let mut ws = Workspace::new();
    ws.set_env("MAX_DATASET_UPLOAD_BYTES", "100000");
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        // A failure after several batches were written (line 1203) leaves no dataset.
        let mut jsonl = String::new();
        for i in 0..1202 {
            jsonl.push_str(&format!("{{\"i\": {i}}}\n"));
        }
        jsonl.push_str("{\"i\": oops}\n{\"i\": 0}\n");
        let (status, error) =
            post_raw(&server, "/api/datasets/broken/import?format=jsonl", jsonl).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["detail"]["line"], 1203, "{error}");
        assert_eq!(error["detail"]["format"], "jsonl");
        assert!(
            error["error"].as_str().unwrap().contains("line 1203"),
            "{error}"
        );
        let gone = client()
            .get(server.url("/api/datasets/broken"))
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);

        // A failure on an existing dataset keeps its versions as they were.
        let (status, _) = post_raw(
            &server,
            "/api/datasets/kept/import?format=csv",
            "a,b\n1,2\n",
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, error) = post_raw(
            &server,
            "/api/datasets/kept/import?format=json",
            "[{\"a\": 1}, 2]",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["detail"]["row"], 2, "{error}");
        let (status, error) = post_raw(
            &server,
            "/api/datasets/kept/import?format=json",
            "[{\"a\": 1},\n{\"a\" 1}]",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["detail"]["row"], 2, "{error}");
        let (status, error) = post_raw(
            &server,
            "/api/datasets/kept/import?format=csv",
            "a,b\n1,2\n3,4\n5\n",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["detail"]["line"], 4, "{error}");
        let (status, error) = post_raw(
            &server,
            "/api/datasets/kept/import?format=jsonl",
            "{\"a\": 1}\n[1, 2]\n",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["detail"]["line"], 2, "{error}");
        let (status, error) =
            post_raw(&server, "/api/datasets/kept/import?format=xml", "<a/>").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            error["detail"]["supported"],
            json!(["jsonl", "json", "csv", "parquet"]),
            "{error}"
        );
        let (status, error) = post_raw(
            &server,
            "/api/datasets/kept/import?format=jsonl",
            "{\"a\": \"xxxxxxxxxx\"}\n".repeat(10_000),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
        assert_eq!(error["detail"]["limit"], 100000);
        let (status, error) = post_raw(
            &server,
            "/api/datasets/..hidden/import?format=jsonl",
            "{}\n",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        let versions = get_json(&server, "/api/datasets/kept").await;
        assert_eq!(
            versions["versions"].as_array().unwrap().len(),
            1,
            "{versions}"
        );
        assert_eq!(
            get_json(&server, "/api/datasets")
                .await
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
async fn a_jobs_accepted_or_all_records_become_a_version_with_the_job_in_its_lineage() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let server = ws.serve(&url).await;
        let http = client();
        let id = create_pipeline(&server, json!({"name": "mapper", "blocks": [{"type": "FieldMapper", "config": {"mappings": {"out": "{{ n }}!"}}}]})).await;
        let job_id = generate_job(&server, id, "seeds.json", seeds(5), 2).await;
        let job = wait_for(&server, job_id, |j| j["status"] == "completed").await;
        assert_eq!(job["status"], "completed", "{job}");
        let records = get_json(&server, &format!("/api/records?job_id={job_id}")).await;
        let ids: Vec<i64> = records
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        for (id, body) in [
            (ids[0], json!({"output": {"n": 0, "out": "by hand"}})),
            (ids[1], json!({"status": "accepted"})),
            (ids[2], json!({"status": "rejected"})),
        ] {
            let response = http
                .put(server.url(&format!("/api/records/{id}")))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
        let save = |records: &'static str| {
            let http = http.clone();
            let url = server.url("/api/datasets/generated/from-job");
            async move {
                let response = http
                    .post(url)
                    .json(&json!({"job_id": job_id, "records": records}))
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            }
        };
        let (status, accepted) = save("accepted").await;
        assert_eq!(status, StatusCode::CREATED, "{accepted}");
        assert_eq!(accepted["row_count"], 2);
        assert_eq!(
            accepted["lineage"],
            json!({"source": "job", "job_id": job_id, "pipeline_id": id, "pipeline_name": "mapper", "records": "accepted"})
        );
        let rows = get_json(&server, "/api/datasets/generated/rows?version=1").await;
        let mut outs: Vec<Value> = rows["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["row"]["out"].clone())
            .collect();
        outs.sort_by_key(|v| v.to_string());
        let mut expected = vec![json!("by hand"), records[1]["output"]["out"].clone()];
        expected.sort_by_key(|v| v.to_string());
        assert_eq!(outs, expected);
        let (status, all) = save("all").await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            (&all["row_count"], &all["number"], &all["parent"]),
            (&json!(4), &json!(2), &json!(1)),
            "rejected records are left out: {all}"
        );
        let (status, error) = save("some").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        let missing = http
            .post(server.url("/api/datasets/generated/from-job"))
            .json(&json!({"job_id": 999999}))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        drop(server);
    }
    cleanup(stores, &schema).await;
}
