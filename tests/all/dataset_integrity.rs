//! Dataset versions stay whole, on SQLite and PostgreSQL: a source deleted while it is read
//! publishes no version and breaks an export instead of ending it short; versions begun at
//! once get distinct numbers; versions a killed import left unfinished are swept at the next
//! start.

use blockforge::datasets::dedup::Dedup;
use blockforge::datasets::lineage::{Lineage, VersionRef};
use blockforge::datasets::schema::SchemaSummary;
use blockforge::store::dataset_export::ParquetExportError;
use blockforge::store::dataset_operations::{Conversion, OperationError};
use blockforge::store::dataset_writer::VersionWriter;
use blockforge::store::datasets::VersionRow;
use blockforge::store::{Store, StoreError};
use blockforge_tests::harness::Workspace;
use reqwest::StatusCode;
use serde_json::json;

use crate::api::{client, databases};
use crate::dataset_store::{rows, upload};
use crate::datasets::post_raw;
use crate::store::{cleanup, stores};

/// A ready version of `name` with `n` rows.
async fn ready(store: &Store, name: &str, n: usize) -> VersionRow {
    let mut pending = store.begin_version(name, None, &upload()).await.unwrap();
    let mut schema = SchemaSummary::default();
    let written = rows(n);
    written.iter().for_each(|row| schema.add(row));
    store
        .add_dataset_rows(&mut pending, &written)
        .await
        .unwrap();
    store.finish_version(pending, &schema, None).await.unwrap()
}

fn short(error: &StoreError, expected: i64) -> bool {
    matches!(error, StoreError::Incomplete { expected: e, found: 0, .. } if *e == expected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_deleted_while_it_is_read_makes_no_version_and_no_export() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let source = ready(&store, "source", 1500).await;
        // Deleted after the operations looked it up: their reads find no rows.
        store.delete_dataset("source").await.unwrap();

        let merged = store
            .merge_versions(std::slice::from_ref(&source), "merged", &Dedup::None)
            .await;
        assert!(
            matches!(&merged, Err(OperationError::Store(e)) if short(e, 1500)),
            "{merged:?}"
        );
        let conversion = Conversion {
            from: Some("openai".parse().unwrap()),
            to: "sharegpt".parse().unwrap(),
        };
        let converted = store.convert_version(&source, &conversion).await;
        assert!(
            matches!(&converted, Err(OperationError::Store(e)) if short(e, 1500)),
            "{converted:?}"
        );
        let sampled = store.sample_version(&source, 10, 3, None, "sampled").await;
        assert!(
            matches!(&sampled, Err(OperationError::Store(e)) if short(e, 1500)),
            "{sampled:?}"
        );
        let fractions = [("train".to_owned(), 0.5), ("test".to_owned(), 0.5)];
        let split = store.split_version(&source, &fractions, 3, "source").await;
        assert!(
            matches!(&split, Err(OperationError::Store(e)) if short(e, 1500)),
            "{split:?}"
        );
        // An edit's copy of its parent's rows.
        let mut pending = store
            .begin_version("edited", None, &upload())
            .await
            .unwrap();
        let copied = store.copy_dataset_rows(&mut pending, &source).await;
        assert!(matches!(&copied, Err(e) if short(e, 1500)), "{copied:?}");
        store.abandon_version(pending).await.unwrap();
        let parquet = store.write_parquet(&source, Vec::new()).await;
        assert!(
            matches!(&parquet, Err(ParquetExportError::Store(e)) if short(e, 1500)),
            "{:?}",
            parquet.map(|bytes| bytes.len())
        );
        assert!(
            store.datasets().await.unwrap().is_empty(),
            "no version was published: {:?}",
            store.datasets().await
        );
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merges_into_one_dataset_at_once_get_distinct_numbers() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let source = ready(&store, "source", 20).await;
        let merges: Vec<_> = (0..8)
            .map(|_| {
                let (store, source) = (store.clone(), source.clone());
                tokio::spawn(
                    async move { store.merge_versions(&[source], "many", &Dedup::None).await },
                )
            })
            .collect();
        let mut numbers = Vec::new();
        for merge in merges {
            let version = merge.await.unwrap();
            let version = version.unwrap_or_else(|e| panic!("{:?}: {e}", store.backend()));
            assert_eq!(version.row_count, 20);
            numbers.push(version.number);
        }
        numbers.sort();
        assert_eq!(numbers, (1..=8).collect::<Vec<i64>>());
        assert_eq!(store.dataset_versions("many").await.unwrap().len(), 8);
    }
    cleanup(stores, &schema).await;
}

/// Rows of every version and versions not ready, read past the store (which hides them).
async fn hidden_counts(url: &str) -> (i64, i64) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dataset_rows")
        .fetch_one(&pool)
        .await
        .unwrap();
    let unfinished: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM dataset_versions WHERE ready = 0")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    (rows, unfinished)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_midway_is_swept_at_the_next_start() {
    let mut ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    let small = ws.write("small.jsonl", "{\"a\": 1}\n{\"a\": 2}\n");
    let big: String = (0..400_000)
        .map(|i| {
            format!("{{\"i\": {i}, \"text\": \"row {i} of a file too big to import at once\"}}\n")
        })
        .collect();
    let big = ws.write("big.jsonl", &big);
    let (small, big) = (small.display().to_string(), big.display().to_string());
    for url in urls {
        ws.set_env("DATABASE_URL", &url);
        ws.run(&["dataset", "import", &small, "--name", "kept"])
            .await
            .assert_success();
        let mut import = ws
            .command(&["dataset", "import", &big, "--name", "kept"])
            .spawn()
            .unwrap();
        // Killed once some of its batches are in the database.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        while hidden_counts(&url).await.0 <= 2 {
            assert!(std::time::Instant::now() < deadline, "no batch was written");
            assert!(
                import.try_wait().unwrap().is_none(),
                "the import ended before a batch was seen"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        import.start_kill().unwrap();
        import.wait().await.unwrap();
        let (rows, unfinished) = hidden_counts(&url).await;
        assert!(
            rows > 2 && unfinished == 1,
            "{url}: {rows} rows, {unfinished}"
        );

        // The next start sweeps it: only the first version and its two rows are left.
        let shown = ws.run(&["dataset", "show", "kept"]).await;
        shown.assert_success();
        let numbers: Vec<i64> = shown
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["number"].as_i64().unwrap())
            .collect();
        assert_eq!(numbers, [1]);
        assert_eq!(hidden_counts(&url).await, (2, 0), "{url}");
        let again = ws
            .run(&["dataset", "import", &small, "--name", "kept"])
            .await;
        again.assert_success();
        assert_eq!(again.json()["number"], 2);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_a_version_deleted_midway_breaks_instead_of_ending_short() {
    let ws = Workspace::new();
    let (urls, stores, schema) = databases(&ws).await;
    // 20,000 rows of 1 KiB: far more than the sockets between server and client hold.
    let filler = "x".repeat(1000);
    let source: String = (0..20_000)
        .map(|i| json!({"i": i, "text": filler}).to_string() + "\n")
        .collect();
    for url in urls {
        let server = ws.serve(&url).await;
        let (status, version) = post_raw(
            &server,
            "/api/datasets/big/import?format=jsonl",
            source.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{version}");
        let mut response = client()
            .get(server.url("/api/datasets/big/export?format=jsonl"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut received = response.chunk().await.unwrap().unwrap().len();
        let deleted = client()
            .delete(server.url("/api/datasets/big"))
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), StatusCode::OK);
        let outcome = loop {
            match response.chunk().await {
                Ok(Some(chunk)) => received += chunk.len(),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        assert!(
            outcome.is_err(),
            "{url}: the download ended as if complete after {received} of {} bytes",
            source.len()
        );
        drop(server);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lineage_follows_its_inputs_by_id_when_their_name_is_taken_again() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let first = ready(&store, "a", 3).await;
        let merged = store
            .merge_versions(std::slice::from_ref(&first), "m", &Dedup::None)
            .await
            .unwrap();
        let Lineage::Operation { inputs, .. } = &merged.lineage else {
            panic!("{:?}", merged.lineage);
        };
        assert_eq!(inputs, &[VersionRef::new("a", 1, first.id)]);

        // `a` is deleted and the name taken by another dataset: the merge's input is gone.
        store.delete_dataset("a").await.unwrap();
        ready(&store, "a", 5).await;
        let merged = store.dataset_version("m", None).await.unwrap();
        let Lineage::Operation { inputs, .. } = &merged.lineage else {
            panic!("{:?}", merged.lineage);
        };
        assert!(inputs[0].deleted, "{inputs:?}");
        assert_eq!((inputs[0].dataset.as_str(), inputs[0].version), ("a", 1));
        let walked = store.lineage_of(&merged).await.unwrap();
        assert_eq!(
            walked.len(),
            1,
            "the new `a` is not the merge's input: {walked:?}"
        );
        let listed = store.dataset_versions("m").await.unwrap();
        assert_eq!(listed[0].lineage, merged.lineage);
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_newest_split_of_a_dataset_is_its_splits() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let chats = ready(&store, "chats", 40).await;
        // A dataset merely named like a split is not one.
        ready(&store, "chats.train", 3).await;
        let names = |splits: &[(String, VersionRow)]| -> Vec<(String, String, i64)> {
            splits
                .iter()
                .map(|(s, v)| (s.clone(), v.dataset.clone(), v.row_count))
                .collect()
        };
        let splits = store.export_splits("chats", None).await.unwrap();
        assert_eq!(
            names(&splits),
            [("train".to_owned(), "chats".to_owned(), 40)]
        );

        let halves = [("train".to_owned(), 0.5), ("extra".to_owned(), 0.5)];
        store
            .split_version(&chats, &halves, 1, "chats")
            .await
            .unwrap();
        let thirds = [("test".to_owned(), 0.25), ("train".to_owned(), 0.75)];
        store
            .split_version(&chats, &thirds, 2, "chats")
            .await
            .unwrap();
        // The newest split run only (not `extra` of the older one), train first.
        let splits = store.export_splits("chats", None).await.unwrap();
        assert_eq!(
            names(&splits),
            [
                ("train".to_owned(), "chats.train".to_owned(), 30),
                ("test".to_owned(), "chats.test".to_owned(), 10),
            ]
        );

        // A new dataset under the name: the old one's splits are not its splits.
        store.delete_dataset("chats").await.unwrap();
        ready(&store, "chats", 8).await;
        let splits = store.export_splits("chats", None).await.unwrap();
        assert_eq!(
            names(&splits),
            [("train".to_owned(), "chats".to_owned(), 8)]
        );
    }
    cleanup(stores, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_told_its_row_count_publishes_nothing_short() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let mut writer = VersionWriter::start(&store, "sampled", None, &upload())
            .await
            .unwrap();
        writer.expect_rows(5);
        for row in rows(3) {
            writer.push(row).await.unwrap();
        }
        let finished = writer.finish().await;
        assert!(
            matches!(
                &finished,
                Err(StoreError::Incomplete {
                    expected: 5,
                    found: 3,
                    ..
                })
            ),
            "{finished:?}"
        );
        assert!(store.datasets().await.unwrap().is_empty());
    }
    cleanup(stores, &schema).await;
}
