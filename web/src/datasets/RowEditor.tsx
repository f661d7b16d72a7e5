/** Edits one row as JSON; saving makes a new version (the one shown is kept as it was). */
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { queryKeys } from "../api/queryKeys";
import type { DatasetVersion } from "../api/schema";
import { editRow } from "./calls";
import type { DatasetRecord } from "./formats";
import { ErrorMessage } from "../components/RequestState";

/** The JSON text as a row, or the reason it is not one. */
export function parseRow(text: string): { row: DatasetRecord } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { problem: "a row is a JSON object" };
  return { row: value as DatasetRecord };
}

/** The editor of row `position` of `version`. */
export function RowEditor({
  version,
  position,
  row,
  onSaved,
  onCancel,
}: {
  version: DatasetVersion;
  position: number;
  row: DatasetRecord;
  onSaved: (made: DatasetVersion) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(() => JSON.stringify(row, null, 2));
  const client = useQueryClient();
  const saving = useMutation({
    mutationFn: (row: DatasetRecord) => editRow(version.dataset, version.number, position, row),
    onSuccess: (made) => {
      void client.invalidateQueries({ queryKey: queryKeys.datasets });
      onSaved(made);
    },
  });
  const busy = saving.isPending;
  const error = saving.error;
  const parsed = parseRow(text);
  const save = () => {
    if ("row" in parsed) saving.mutate(parsed.row);
  };
  return (
    <form
      className="card"
      aria-label="Edit row"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <h3 style={{ marginTop: 0 }}>
        Row {position} of {version.dataset} v{version.number}
      </h3>
      <label style={{ display: "flex" }}>
        Row (JSON)
        <textarea className="code" rows={10} value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      {"problem" in parsed && <p className="bad">{parsed.problem}</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !("row" in parsed)}>
          {busy ? "Saving…" : "Save as a new version"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}
