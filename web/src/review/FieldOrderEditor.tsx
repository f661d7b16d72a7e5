/** Chooses which fields are primary, secondary or hidden for a pipeline. */
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { queryKeys } from "../api/queryKeys";
import type { FieldOrder } from "../api/schema";
import { ErrorMessage } from "../components/RequestState";
import { assignField, configuredOrder, FIELD_GROUP_NAMES, groupFields, groupOf, type FieldGroupName } from "./fieldGroups";

/** One select per field; Save stores the order on the pipeline (and rereads the pipelines). */
export function FieldOrderEditor({
  pipelineId,
  fields,
  seedFields,
  order,
}: {
  pipelineId: number;
  fields: string[];
  /** Fields copied from the seed: secondary until a layout is saved. */
  seedFields: string[];
  order: FieldOrder | null | undefined;
}) {
  // Starts from what the record view shows, so the selects match the page. An empty order is
  // the server's "not configured" default, not a layout to keep.
  const [draft, setDraft] = useState<FieldOrder>(() => configuredOrder(order) ?? groupFields(fields, null, seedFields));
  const client = useQueryClient();
  const saving = useMutation({
    mutationFn: (fieldOrder: FieldOrder) =>
      data(api.PUT("/api/pipelines/{id}/validation_config", { params: { path: { id: pipelineId } }, body: { field_order: fieldOrder } })),
    onSuccess: () => client.invalidateQueries({ queryKey: queryKeys.pipelines }),
  });
  const saved = saving.isSuccess;
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
                saving.reset();
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
      <ErrorMessage error={saving.error} />
      <div className="actions">
        <button type="button" onClick={() => saving.mutate(draft)} disabled={saving.isPending}>
          {saving.isPending ? "Saving…" : "Save field layout"}
        </button>
        {saved && <span className="ok">Saved</span>}
      </div>
    </details>
  );
}
