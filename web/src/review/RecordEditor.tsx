/** Edits every field of a record's output; saving marks it edited. */
import { useState, type FormEvent } from "react";
import type { RecordRow } from "../api/types";
import { ErrorMessage } from "../components/RequestState";
import { draftsOf, valuesOf, type FieldDraft } from "./editFields";

/** The edit form of `record`. */
export function RecordEditor({
  record,
  onSave,
  onCancel,
}: {
  record: RecordRow;
  onSave: (output: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
}) {
  const [drafts, setDrafts] = useState<FieldDraft[]>(() => draftsOf(record.output ?? {}));
  const [invalid, setInvalid] = useState<{ field: string; error: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = valuesOf(drafts);
    if ("field" in result) {
      setInvalid(result);
      return;
    }
    setInvalid(null);
    setSaving(true);
    setError(null);
    onSave(result.values)
      .catch(setError)
      .finally(() => setSaving(false));
  };

  return (
    <form className="record-editor" aria-label="Edit record" onSubmit={submit}>
      {drafts.map((draft, i) => (
        <div className="field" key={draft.name}>
          <label style={{ display: "flex" }}>
            {draft.name}
            {draft.json ? " (JSON)" : ""}
            <textarea
              className={draft.json ? "code" : undefined}
              name={draft.name}
              rows={Math.min(16, Math.max(2, draft.text.split("\n").length + 1))}
              value={draft.text}
              autoFocus={i === 0}
              aria-invalid={invalid?.field === draft.name}
              onChange={(e) => {
                const text = e.target.value;
                setDrafts((all) => all.map((d, j) => (j === i ? { ...d, text } : d)));
              }}
            />
          </label>
          {invalid?.field === draft.name && <p className="bad">Not valid JSON: {invalid.error}</p>}
        </div>
      ))}
      <ErrorMessage error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
