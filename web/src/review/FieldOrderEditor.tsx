/** Chooses which fields are primary, secondary or hidden for a pipeline. */
import { useState } from "react";
import { setFieldOrder } from "../api/endpoints";
import type { FieldOrder } from "../api/types";
import { ErrorMessage } from "../components/RequestState";
import { assignField, configuredOrder, FIELD_GROUP_NAMES, groupFields, groupOf, type FieldGroupName } from "./fieldGroups";

/** One select per field; Save stores the order on the pipeline. */
export function FieldOrderEditor({
  pipelineId,
  fields,
  seedFields,
  order,
  onSaved,
}: {
  pipelineId: number;
  fields: string[];
  /** Fields copied from the seed: secondary until a layout is saved. */
  seedFields: string[];
  order: FieldOrder | null | undefined;
  onSaved: (order: FieldOrder) => void;
}) {
  // Starts from what the record view shows, so the selects match the page. An empty order is
  // the server's "not configured" default, not a layout to keep.
  const [draft, setDraft] = useState<FieldOrder>(() => configuredOrder(order) ?? groupFields(fields, null, seedFields));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const save = () => {
    const next = draft;
    setSaving(true);
    setError(null);
    setFieldOrder(pipelineId, next)
      .then(() => {
        setSaved(true);
        onSaved(next);
      })
      .catch(setError)
      .finally(() => setSaving(false));
  };
  return (
    <details className="card field-order">
      <summary>Field layout</summary>
      <div className="row">
        {fields.map((field) => (
          <label key={field}>
            {field}
            <select
              value={groupOf(field, draft)}
              onChange={(e) => {
                setSaved(false);
                setDraft(assignField(draft, fields, field, e.target.value as FieldGroupName));
              }}
            >
              {FIELD_GROUP_NAMES.map((group) => (
                <option key={group} value={group}>
                  {group}
                </option>
              ))}
            </select>
          </label>
        ))}
      </div>
      <ErrorMessage error={error} />
      <div className="actions">
        <button type="button" onClick={save} disabled={saving}>
          {saving ? "Saving…" : "Save field layout"}
        </button>
        {saved && <span className="ok">Saved</span>}
      </div>
    </details>
  );
}
