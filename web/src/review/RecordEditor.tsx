/** Edits every field of a record — the final state (`output`) and the seed's metadata —, adds
 * and removes fields; saving sends both and marks the record edited. */
import { useState, type FormEvent } from "react";
import type { RecordRow } from "../api/schema";
import { ErrorMessage } from "../components/RequestState";
import { draftsOf, valuesOf, withNewField, type FieldDraft } from "./editFields";

/** What an edit saves: `PUT /api/records/{id}` replaces both objects. */
export interface RecordEdit {
  output: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** The textarea name of a field: output fields by their name, metadata ones as `metadata.<name>`. */
function inputName(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/** One group of fields with its "Add field" row. */
function FieldGroup({
  legend,
  prefix,
  drafts,
  invalid,
  autoFocus,
  onChange,
}: {
  legend: string;
  /** Prefix of the textarea names ("" for output fields). */
  prefix: string;
  drafts: FieldDraft[];
  invalid: { field: string; error: string } | null;
  autoFocus: boolean;
  onChange: (drafts: FieldDraft[]) => void;
}) {
  const [name, setName] = useState("");
  const [json, setJson] = useState(false);
  const [addError, setAddError] = useState<string | null>(null);
  const add = () => {
    const next = withNewField(drafts, name, json);
    if ("error" in next) {
      setAddError(next.error);
      return;
    }
    setAddError(null);
    setName("");
    onChange(next);
  };
  return (
    <fieldset className="record-fields" aria-label={legend}>
      <legend>{legend}</legend>
      {drafts.length === 0 && <p className="muted">No fields.</p>}
      {drafts.map((draft, i) => (
        <div className="field record-field" key={draft.name}>
          <label>
            {draft.name}
            {draft.json ? " (JSON)" : ""}
            <textarea
              className={draft.json ? "code" : undefined}
              name={inputName(prefix, draft.name)}
              rows={Math.min(16, Math.max(2, draft.text.split("\n").length + 1))}
              value={draft.text}
              autoFocus={autoFocus && i === 0}
              aria-invalid={invalid?.field === draft.name}
              onChange={(e) => {
                const text = e.target.value;
                onChange(drafts.map((d, j) => (j === i ? { ...d, text } : d)));
              }}
            />
          </label>
          <button type="button" aria-label={`Remove ${inputName(prefix, draft.name)}`} onClick={() => onChange(drafts.filter((_, j) => j !== i))}>
            Remove
          </button>
          {invalid?.field === draft.name && <p className="bad">Not valid JSON: {invalid.error}</p>}
        </div>
      ))}
      <div className="row" style={{ alignItems: "flex-end" }}>
        <label>
          New field
          <input
            name={inputName(prefix, "new-field")}
            value={name}
            onChange={(e) => setName(e.target.value)}
            onKeyDown={(e) => {
              // Enter adds the field instead of saving the record.
              if (e.key === "Enter") {
                e.preventDefault();
                add();
              }
            }}
          />
        </label>
        <label>
          <input type="checkbox" checked={json} onChange={(e) => setJson(e.target.checked)} /> JSON value
        </label>
        <button type="button" onClick={add}>
          Add field
        </button>
      </div>
      {addError && <p className="bad">{addError}</p>}
    </fieldset>
  );
}

/** The edit form of `record`. */
export function RecordEditor({
  record,
  onSave,
  onCancel,
}: {
  record: RecordRow;
  onSave: (edit: RecordEdit) => Promise<void>;
  onCancel: () => void;
}) {
  const [output, setOutput] = useState<FieldDraft[]>(() => draftsOf(record.output ?? {}));
  const [metadata, setMetadata] = useState<FieldDraft[]>(() => draftsOf(record.metadata ?? {}));
  const [invalid, setInvalid] = useState<{ group: "output" | "metadata"; field: string; error: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const outputValues = valuesOf(output);
    if ("field" in outputValues) {
      setInvalid({ group: "output", ...outputValues });
      return;
    }
    const metadataValues = valuesOf(metadata);
    if ("field" in metadataValues) {
      setInvalid({ group: "metadata", ...metadataValues });
      return;
    }
    setInvalid(null);
    setSaving(true);
    setError(null);
    onSave({ output: outputValues.values, metadata: metadataValues.values })
      .catch(setError)
      .finally(() => setSaving(false));
  };

  return (
    <form className="record-editor" aria-label="Edit record" onSubmit={submit}>
      <FieldGroup
        legend="Fields (final state)"
        prefix=""
        drafts={output}
        invalid={invalid?.group === "output" ? invalid : null}
        autoFocus
        onChange={setOutput}
      />
      <FieldGroup
        legend="Seed metadata"
        prefix="metadata"
        drafts={metadata}
        invalid={invalid?.group === "metadata" ? invalid : null}
        autoFocus={false}
        onChange={setMetadata}
      />
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
