//! Review edits of a record: a new status, a replaced final state, pipeline output or
//! metadata, and edits of single state fields (DataGenFlow's `PUT /api/records/{id}` shapes).

use serde_json::{Map, Value};

use super::records::{RecordRow, ReviewStatus};
use super::{Store, StoreError};

/// What a review changes; `None` and an empty map keep what is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordEdit {
    /// The new review status. Without one, an edit of the final state or of the pipeline
    /// output marks the record `edited`.
    pub status: Option<ReviewStatus>,
    /// The whole final state (an object), replaced.
    pub output: Option<Map<String, Value>>,
    /// The run's `pipeline_output`, replaced (DataGenFlow's record `output` is this text).
    pub pipeline_output: Option<Value>,
    /// The seed's metadata (an object), replaced.
    pub metadata: Option<Map<String, Value>>,
    /// Single fields of the final state, set after `output` is applied; each also goes into
    /// the last trace step's `accumulated_state`, where DataGenFlow's clients read it.
    pub state_fields: Map<String, Value>,
}

impl RecordEdit {
    /// Whether the edit changes the record's content (not only its status).
    fn changes_content(&self) -> bool {
        self.output.is_some() || self.pipeline_output.is_some() || !self.state_fields.is_empty()
    }
}

/// `current` with `edit` applied: `(status, final state, pipeline output, metadata, trace)`.
fn applied(current: &RecordRow, edit: &RecordEdit) -> (ReviewStatus, Value, Value, Value, Value) {
    let status = match edit.status {
        Some(status) => status,
        None if edit.changes_content() => ReviewStatus::Edited,
        None => ReviewStatus::from_name(&current.status).unwrap_or(ReviewStatus::Pending),
    };
    let mut state = match (&edit.output, &current.output) {
        (Some(output), _) => output.clone(),
        (None, Value::Object(stored)) => stored.clone(),
        (None, _) => Map::new(),
    };
    state.extend(edit.state_fields.clone());
    let mut trace = current.trace.clone();
    if edit.output.is_some() || !edit.state_fields.is_empty() {
        // The last step's state is the final state DataGenFlow's clients read: it follows
        // every edit of the final state, whole or one field at a time.
        let last_state = trace
            .as_array_mut()
            .and_then(|steps| steps.last_mut())
            .and_then(|step| step.get_mut("accumulated_state"));
        if let Some(last_state) = last_state {
            *last_state = Value::Object(state.clone());
        }
    }
    let pipeline_output = edit
        .pipeline_output
        .clone()
        .unwrap_or_else(|| current.pipeline_output.clone());
    let metadata = edit
        .metadata
        .clone()
        .map(Value::Object)
        .unwrap_or_else(|| current.metadata.clone());
    (
        status,
        Value::Object(state),
        pipeline_output,
        metadata,
        trace,
    )
}

impl Store {
    /// Reviews the record `id` as `edit` says and answers it as stored. The read, the change
    /// and the write are one transaction that holds the row's write lock from its first
    /// statement, so concurrent edits of one record apply one after the other and none is lost.
    pub async fn update_record(&self, id: i64, edit: &RecordEdit) -> Result<RecordRow, StoreError> {
        let mut tx = self.pool().begin().await?;
        // A write first: PostgreSQL locks the row, SQLite takes the database's write lock
        // (a transaction that reads first can fail to become a writer).
        let locked = sqlx::query("UPDATE records SET id = id WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if locked == 0 {
            return Err(StoreError::NotFound { what: "record", id });
        }
        let current = super::records::record_in(&mut *tx, id).await?;
        let (status, output, pipeline_output, metadata, trace) = applied(&current, edit);
        sqlx::query(
            "UPDATE records SET status = $1, output = $2, pipeline_output = $3, metadata = $4, \
             trace = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(status.as_str().to_owned())
        .bind(output.to_string())
        .bind(pipeline_output.to_string())
        .bind(metadata.to_string())
        .bind(trace.to_string())
        .bind(super::now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let committing = self.records_written.committing();
        tx.commit().await?;
        drop(committing);
        self.record(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> RecordRow {
        RecordRow {
            id: 1,
            job_id: 1,
            pipeline_id: 1,
            run_id: 1,
            trace_id: "t".to_owned(),
            run_status: "completed".to_owned(),
            status: "accepted".to_owned(),
            metadata: json!({"topic": "a"}),
            output: json!({"topic": "a", "answer": "x"}),
            pipeline_output: json!("x"),
            trace: json!([{"step": 0, "accumulated_state": {"topic": "a", "answer": "x"}}]),
            usage: Default::default(),
            error: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_field_edit_changes_the_final_state_and_the_last_step_and_marks_it_edited() {
        let mut edit = RecordEdit::default();
        edit.state_fields.insert("answer".to_owned(), json!("y"));
        let (status, state, output, metadata, trace) = applied(&record(), &edit);
        assert_eq!(status, ReviewStatus::Edited);
        assert_eq!(state, json!({"topic": "a", "answer": "y"}));
        assert_eq!(trace[0]["accumulated_state"]["answer"], "y");
        assert_eq!((output, metadata), (json!("x"), json!({"topic": "a"})));
    }

    #[test]
    fn a_whole_final_state_replaces_the_last_steps_state_too() {
        let edit = RecordEdit {
            output: json!({"only": "this"}).as_object().cloned(),
            ..RecordEdit::default()
        };
        let (status, state, _, _, trace) = applied(&record(), &edit);
        assert_eq!(status, ReviewStatus::Edited);
        assert_eq!(state, json!({"only": "this"}));
        assert_eq!(trace[0]["accumulated_state"], state);
    }

    #[test]
    fn a_status_alone_keeps_the_content_and_no_edit_keeps_the_status() {
        let edit = RecordEdit {
            status: Some(ReviewStatus::Rejected),
            ..RecordEdit::default()
        };
        let (status, state, ..) = applied(&record(), &edit);
        assert_eq!(status, ReviewStatus::Rejected);
        assert_eq!(state, record().output);
        let (status, ..) = applied(&record(), &RecordEdit::default());
        assert_eq!(status, ReviewStatus::Accepted);
    }
}
