//! Dataset storage on a real SQLite file and the real PostgreSQL: versions are invisible until
//! finished, abandoned ones leave nothing, rows keep their order, edits copy their parent.

use blockforge::datasets::Row;
use blockforge::datasets::lineage::{Lineage, VersionRef};
use blockforge::datasets::schema::SchemaSummary;
use blockforge::store::StoreError;
use serde_json::json;

use crate::store::{cleanup, stores};

pub(crate) fn rows(n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| json!({"i": i, "text": format!("row {i}")}))
        .map(|v| v.as_object().cloned().unwrap())
        .collect()
}

pub(crate) fn upload() -> Lineage {
    Lineage::Upload {
        file_name: Some("a.jsonl".to_owned()),
        format: "jsonl".to_owned(),
        bytes: 10,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_appear_only_when_finished_and_keep_their_rows_in_order() {
    let (_dir, stores, schema) = stores().await;
    for store in stores.clone() {
        let mut pending = store.begin_version("chats", None, &upload()).await.unwrap();
        assert_eq!(pending.number, 1);
        let written = rows(701);
        let mut summary = SchemaSummary::default();
        for batch in written.chunks(250) {
            store.add_dataset_rows(&mut pending, batch).await.unwrap();
            batch.iter().for_each(|row| summary.add(row));
        }
        // Not visible while it is written.
        assert!(store.datasets().await.unwrap().is_empty());
        assert!(matches!(
            store.dataset_version("chats", None).await,
            Err(StoreError::Missing { .. })
        ));
        let version = store.finish_version(pending, &summary, None).await.unwrap();
        assert_eq!((version.number, version.row_count), (1, 701));
        assert_eq!(version.lineage, upload());
        assert_eq!(
            version.schema.field("i").unwrap().single_type(),
            Some("integer")
        );
        let listed = store.datasets().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (
                listed[0].name.as_str(),
                listed[0].latest_version,
                listed[0].row_count
            ),
            ("chats", 1, 701)
        );
        // Pages in order, by position.
        let mut after = -1;
        let mut read = Vec::new();
        loop {
            let page = store.dataset_rows(version.id, after, 200).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.position;
            read.extend(page.into_iter().map(|r| r.row));
        }
        assert_eq!(read, written);

        // An edit: the parent's rows copied in the database, one replaced.
        let edit = Lineage::Operation {
            operation: "edit".to_owned(),
            inputs: vec![VersionRef::new("chats", 1, version.id)],
            params: json!({"position": 5}),
        };
        let mut pending = store
            .begin_version("chats", Some(version.id), &edit)
            .await
            .unwrap();
        store
            .copy_dataset_rows(&mut pending, &version)
            .await
            .unwrap();
        let changed = json!({"i": 5, "text": "changed"})
            .as_object()
            .cloned()
            .unwrap();
        store
            .replace_dataset_row(&pending, 5, &changed)
            .await
            .unwrap();
        let second = store.finish_version(pending, &summary, None).await.unwrap();
        assert_eq!(
            (second.number, second.parent, second.row_count),
            (2, Some(1), 701)
        );
        let page = store.dataset_rows(second.id, 4, 1).await.unwrap();
        assert_eq!(page[0].row, changed);
        let page = store.dataset_rows(version.id, 4, 1).await.unwrap();
        assert_eq!(page[0].row["text"], "row 5", "the parent is unchanged");
        assert_eq!(store.dataset_versions("chats").await.unwrap().len(), 2);
        assert_eq!(
            store.dataset_version("chats", Some(1)).await.unwrap().id,
            version.id
        );
        assert_eq!(
            store.dataset_version("chats", None).await.unwrap().number,
            2
        );

        // An abandoned version of a new dataset leaves neither; of an old one, only the old.
        let mut pending = store
            .begin_version("broken", None, &upload())
            .await
            .unwrap();
        store
            .add_dataset_rows(&mut pending, &rows(3))
            .await
            .unwrap();
        store.abandon_version(pending).await.unwrap();
        let mut pending = store
            .begin_version("chats", Some(second.id), &upload())
            .await
            .unwrap();
        assert_eq!(pending.number, 3);
        store
            .add_dataset_rows(&mut pending, &rows(3))
            .await
            .unwrap();
        store.abandon_version(pending).await.unwrap();
        let names: Vec<String> = store
            .datasets()
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, ["chats"]);
        assert_eq!(store.dataset_versions("chats").await.unwrap().len(), 2);
        let pending = store
            .begin_version("broken", None, &upload())
            .await
            .unwrap();
        assert_eq!(
            pending.number, 1,
            "nothing of the abandoned dataset is left"
        );
        store.abandon_version(pending).await.unwrap();

        store.delete_dataset("chats").await.unwrap();
        assert!(store.datasets().await.unwrap().is_empty());
        assert!(
            store
                .dataset_rows(version.id, -1, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            store.delete_dataset("chats").await,
            Err(StoreError::Missing { .. })
        ));
    }
    cleanup(stores, &schema).await;
}
