//! Pushing a dataset to the Hugging Face Hub, on SQLite and PostgreSQL, against a fake Hub on
//! loopback (`HF_ENDPOINT`): `POST /api/datasets/{name}/push` and `blockforge dataset push`
//! create the repository, upload the Parquet files through LFS and commit them with the card,
//! the layout of the Hub export; the token goes to the Hub's API only, never to storage, a log
//! or an answer; the Hub's refusals become clear errors.

use blockforge_tests::harness::{Server, Workspace};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{client, databases};
use crate::dataset_hub::{check_layout, front_matter, split_chats};
use crate::datasets::{chat_jsonl, post_raw};
use crate::fake_hub::{FakeHub, TOKEN};
use crate::store::cleanup;

/// `POST /api/datasets/{name}/push` with `body`: the status and the JSON answer.
async fn push(server: &Server, name: &str, body: Value) -> (StatusCode, Value) {
    let response = client()
        .post(server.url(&format!("/api/datasets/{name}/push")))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// Imports 300 chat rows as `chats` and splits them 80/10/10.
async fn import_and_split_chats(server: &Server) {
    let (status, _) = post_raw(
        server,
        "/api/datasets/chats/import?format=jsonl",
        chat_jsonl(300),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    split_chats(server).await;
}

/// A fake Hub, and a server on `url` pointed at it (`HF_ENDPOINT`) holding `chats` split
/// 80/10/10.
async fn hub_and_split_chats(ws: &mut Workspace, url: &str) -> (FakeHub, Server) {
    let hub = FakeHub::start().await;
    ws.set_env("HF_ENDPOINT", &hub.endpoint());
    let server = ws.serve(url).await;
    import_and_split_chats(&server).await;
    (hub, server)
}

/// The committed files as `check_layout` reads them.
fn files(commit: &crate::fake_hub::Commit) -> Vec<(String, Vec<u8>)> {
    commit
        .files
        .iter()
        .map(|(path, content, _)| (path.clone(), content.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_is_pushed_to_the_hub_in_one_commit_over_http_and_the_cli() {
    let mut ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let (hub, server) = hub_and_split_chats(&mut ws, &url).await;

        let (status, pushed) = push(
            &server,
            "chats",
            json!({"repo": "me/chats", "token": TOKEN, "license": "mit", "language": ["en", "fr"]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{pushed}");
        assert_eq!(pushed["repo"], "me/chats");
        assert_eq!(pushed["created"], true);
        assert_eq!(
            pushed["url"],
            format!("{}/datasets/me/chats", hub.endpoint())
        );
        assert_eq!(pushed["commit_oid"], format!("{:040x}", 1));
        let lfs: Vec<(&str, bool)> = pushed["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["path"].as_str().unwrap(), f["lfs"].as_bool().unwrap()))
            .collect();
        assert_eq!(
            lfs,
            [
                ("README.md", false),
                ("data/train-00000-of-00001.parquet", true),
                ("data/validation-00000-of-00001.parquet", true),
                ("data/test-00000-of-00001.parquet", true),
            ]
        );
        // The repository was made as a public dataset of `me`.
        assert_eq!(
            hub.repos()["me/chats"],
            json!({"name": "chats", "organization": "me", "type": "dataset", "private": false})
        );
        // One commit: the card the card endpoint gives, and every row once in the splits.
        let commits = hub.commits();
        assert_eq!(commits.len(), 1);
        assert_eq!(commits[0].repo, "me/chats");
        assert_eq!(commits[0].summary, "Upload chats from blockforge");
        check_layout(&files(&commits[0]));
        let card = client()
            .get(server.url("/api/datasets/chats/card?license=mit&language=en,fr"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(commits[0].files[0].1, card.as_bytes());
        assert_eq!(front_matter(&card)["license"], "mit");
        // The token went to the Hub's API only: never to storage.
        for request in hub.requests() {
            let to_storage = request.path.starts_with("/storage/");
            let expected = (!to_storage).then(|| format!("Bearer {TOKEN}"));
            assert_eq!(
                request.authorization, expected,
                "{} {}",
                request.method, request.path
            );
        }
        let puts = |hub: &FakeHub| hub.requests().iter().filter(|r| r.method == "PUT").count();
        assert_eq!(puts(&hub), 3);

        // Again into the same repository: it exists (409 is fine), and the Hub has the
        // Parquet files already, so none is uploaded again.
        let (status, again) = push(
            &server,
            "chats",
            json!({"repo": "me/chats", "token": TOKEN, "license": "mit", "language": ["en", "fr"], "message": "again"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["created"], false);
        assert_eq!(puts(&hub), 3);
        let commits = hub.commits();
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[1].summary, "again");
        check_layout(&files(&commits[1]));

        // The token is in no line the server wrote.
        let lines = server.stderr_lines().join("\n");
        assert!(!lines.contains(TOKEN), "{lines}");
        drop(server);

        // The CLI, with the token from HF_TOKEN.
        ws.set_env("DATABASE_URL", &url);
        ws.set_env("HF_TOKEN", TOKEN);
        let out = ws
            .run(&["dataset", "push", "chats", "--repo", "me/cli-chats"])
            .await;
        out.assert_success();
        assert_eq!(out.json()["repo"], "me/cli-chats");
        assert_eq!(out.json()["created"], true);
        let commits = hub.commits();
        assert_eq!(commits.len(), 3);
        assert_eq!(commits[2].repo, "me/cli-chats");
        check_layout(&files(&commits[2]));
        assert!(
            !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
            "{}",
            out.stderr
        );
        ws.set_env("HF_TOKEN", "");
    }
    cleanup(stores, &schema).await;
}

/// Pushes `chats` with `body` and checks the 502 that says the Hub answered `status` at
/// `step`, with an error containing `says` and not the token.
async fn refused_by_hub(server: &Server, body: Value, status: u64, step: &str, says: &str) {
    let (code, answer) = push(server, "chats", body).await;
    assert_eq!(code, StatusCode::BAD_GATEWAY, "{answer}");
    assert_eq!(answer["detail"]["hub_status"], status, "{answer}");
    assert_eq!(answer["detail"]["step"], step, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains(says), "{answer}");
    assert!(!error.contains(TOKEN), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hubs_refusals_become_clear_errors_and_commit_nothing() {
    let mut ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let (hub, server) = hub_and_split_chats(&mut ws, &url).await;
        // A wrong token: the Hub says 401 at the first call.
        refused_by_hub(
            &server,
            json!({"repo": "me/chats", "token": "hf_wrong"}),
            401,
            "creating the dataset repository me/chats",
            "the Hub refused the token (401 while creating the dataset repository me/chats): Invalid credentials in Authorization header",
        )
        .await;
        // A repository the token cannot see: 404.
        hub.hide("someone/private");
        refused_by_hub(
            &server,
            json!({"repo": "someone/private", "token": TOKEN}),
            404,
            "asking the Hub how to upload each file",
            "Repository not found",
        )
        .await;
        // The Hub fails at the commit: 503, and nothing was committed.
        hub.fail_commits(503);
        refused_by_hub(
            &server,
            json!({"repo": "me/chats", "token": TOKEN}),
            503,
            "committing the files",
            "the Hub answered 503 while committing the files: the Hub is having a bad day",
        )
        .await;
        assert!(hub.commits().is_empty());

        // Refused before the Hub is asked anything: no token, a bad repository id, no such
        // dataset.
        let asked = hub.requests().len();
        let (status, answer) = push(&server, "chats", json!({"repo": "me/chats"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("HF_TOKEN"),
            "{answer}"
        );
        let (status, answer) = push(
            &server,
            "chats",
            json!({"repo": "me/../chats", "token": TOKEN}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["detail"]["repo"], "me/../chats");
        let (status, answer) = push(
            &server,
            "nosuch",
            json!({"repo": "me/nosuch", "token": TOKEN}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
        assert_eq!(hub.requests().len(), asked);
        let lines = server.stderr_lines().join("\n");
        assert!(
            !lines.contains(TOKEN) && !lines.contains("hf_wrong"),
            "{lines}"
        );
        drop(server);

        // The CLI says the same, and a Hub that is gone is unreachable, not a hang.
        ws.set_env("DATABASE_URL", &url);
        let failed = ws
            .run(&[
                "dataset", "push", "chats", "--repo", "me/chats", "--token", "hf_wrong",
            ])
            .await;
        failed.assert_failure();
        assert!(
            failed
                .stderr
                .contains("cannot push chats to the Hub repository me/chats")
                && failed.stderr.contains("the Hub refused the token (401"),
            "{}",
            failed.stderr
        );
        assert!(!failed.stderr.contains("hf_wrong"), "{}", failed.stderr);
        let gone = hub.endpoint();
        drop(hub);
        ws.set_env("HF_ENDPOINT", &gone);
        let failed = ws
            .run(&[
                "dataset", "push", "chats", "--repo", "me/chats", "--token", TOKEN,
            ])
            .await;
        failed.assert_failure();
        assert!(
            failed
                .stderr
                .contains(&format!("cannot reach the Hub at {gone}/")),
            "{}",
            failed.stderr
        );
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_may_not_create_repositories_pushes_to_one_that_exists() {
    let mut ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    for url in urls {
        let (hub, server) = hub_and_split_chats(&mut ws, &url).await;
        hub.forbid_creates();
        // No such repository: the Hub's 403 is the answer.
        refused_by_hub(
            &server,
            json!({"repo": "org/new", "token": TOKEN}),
            403,
            "creating the dataset repository org/new",
            "You don't have the rights",
        )
        .await;
        assert!(hub.commits().is_empty());
        // It exists: the push goes on into it.
        hub.add_repo("org/chats");
        let (status, pushed) = push(
            &server,
            "chats",
            json!({"repo": "org/chats", "token": TOKEN}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{pushed}");
        assert_eq!(pushed["created"], false, "{pushed}");
        assert_eq!(hub.commits().len(), 1);
        drop(server);
    }
    cleanup(stores, &schema).await;
}
