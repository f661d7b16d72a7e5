/** One record: its status, its fields by group, review buttons, the editor and the trace. */
import type { FieldOrder, RecordRow } from "../api/schema";
import { costLabel } from "../api/usage";
import { groupFields } from "./fieldGroups";
import { RecordEditor, type RecordEdit } from "./RecordEditor";
import { TraceSteps } from "../trace/TraceSteps";
import { Value } from "../components/Value";
import type { ReviewStatus } from "./statuses";

const STATUS_CLASS: Record<ReviewStatus, string> = {
  pending: "",
  accepted: "ok",
  rejected: "bad",
  edited: "warn",
};

/** The status badge (`data-testid="record-status"`). */
export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span className={`badge ${STATUS_CLASS[status as ReviewStatus] ?? ""}`} data-testid={testId}>
      {status}
    </span>
  );
}

/** The single-record view. */
export function RecordView({
  record,
  position,
  total,
  fieldOrder,
  editing,
  busy,
  onStatus,
  onEdit,
  onSave,
  onCancelEdit,
  onNext,
  onPrevious,
}: {
  record: RecordRow;
  /** 0-based among the filtered records. */
  position: number;
  total: number;
  fieldOrder: FieldOrder | null | undefined;
  editing: boolean;
  busy: boolean;
  onStatus: (status: ReviewStatus) => void;
  onEdit: () => void;
  onSave: (edit: RecordEdit) => Promise<void>;
  onCancelEdit: () => void;
  onNext: () => void;
  onPrevious: () => void;
}) {
  const output = record.output ?? {};
  const groups = groupFields(Object.keys(output), fieldOrder, Object.keys(record.metadata ?? {}));
  const cost = costLabel(record);
  return (
    <article className="card record-view" data-testid="record-view" data-record-id={record.id} aria-label={`Record ${record.id}`}>
      <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
        <h2 style={{ margin: 0 }}>
          Record {record.id} <span className="muted">({position + 1} of {total})</span>
        </h2>
        <div className="row" style={{ alignItems: "center" }}>
          <StatusBadge status={record.status} testId="record-status" />
          {record.run_status === "failed" && <span className="badge bad">run failed</span>}
          <span className="muted">
            job {record.job_id} · {record.usage.input_tokens} in / {record.usage.output_tokens} out tokens
            {cost !== null && (
              <>
                {" "}
                · cost <span data-testid="record-cost">{cost}</span>
              </>
            )}
          </span>
        </div>
      </div>
      <div className="actions" role="group" aria-label="Review">
        <button type="button" onClick={onPrevious} disabled={position <= 0}>
          Previous (P)
        </button>
        <button type="button" onClick={onNext} disabled={position >= total - 1}>
          Next (N)
        </button>
        <button type="button" onClick={() => onStatus("accepted")} disabled={busy}>
          Accept (A)
        </button>
        <button type="button" onClick={() => onStatus("rejected")} disabled={busy}>
          Reject (R)
        </button>
        <button type="button" onClick={() => onStatus("pending")} disabled={busy}>
          Pending (U)
        </button>
        <button type="button" onClick={onEdit} disabled={busy || editing}>
          Edit (E)
        </button>
      </div>
      {record.error && <p className="bad">{record.error}</p>}
      {editing ? (
        <RecordEditor key={record.id} record={record} onSave={onSave} onCancel={onCancelEdit} />
      ) : (
        <>
          {groups.primary.map((field) => (
            <div className="field primary" key={field}>
              <h4>{field}</h4>
              <Value value={output[field]} />
            </div>
          ))}
          {groups.secondary.length > 0 && (
            <div className="grid">
              {groups.secondary.map((field) => (
                <div className="field" key={field}>
                  <h4>{field}</h4>
                  <Value value={output[field]} />
                </div>
              ))}
            </div>
          )}
          {groups.hidden.length > 0 && <p className="muted">Hidden: {groups.hidden.join(", ")}</p>}
        </>
      )}
      <details>
        <summary>Seed metadata</summary>
        <Value value={record.metadata} />
      </details>
      <h3>Trace</h3>
      <TraceSteps trace={record.trace} testId="trace-viewer" />
    </article>
  );
}
