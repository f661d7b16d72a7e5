/** A version's rows, a page at a time, optionally only those whose field equals a value; edit a row. */
import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { DatasetVersion } from "../api/schema";
import { ErrorMessage, Loading } from "../components/RequestState";
import { rowsQuery } from "./calls";
import { Options } from "./fields";
import { whereOf } from "./filter";
import { RowEditor } from "./RowEditor";
import { RowsTable } from "./RowsTable";

/** Rows per page. */
export const ROWS_PER_PAGE = 25;

/** The browser of `version`; `onEdited` gets the version an edit made. */
export function RowBrowser({ version, onEdited }: { version: DatasetVersion; onEdited: (made: DatasetVersion) => void }) {
  const [field, setField] = useState("");
  const [value, setValue] = useState("");
  const [where, setWhere] = useState<Record<string, unknown> | undefined>(undefined);
  // The `after` of each page shown so far: the last is the current page's.
  const [afters, setAfters] = useState<number[]>([-1]);
  const [editing, setEditing] = useState<number | null>(null);
  const after = afters[afters.length - 1];
  const whereKey = JSON.stringify(where ?? null);

  // Another version or filter starts at the first page.
  useEffect(() => {
    setAfters([-1]);
    setEditing(null);
  }, [version.id, whereKey]);

  const page = useQuery(rowsQuery(version.dataset, { version: version.number, after, limit: ROWS_PER_PAGE, where }));
  const rows = page.data?.rows ?? [];
  const fields = version.schema.fields.map((f) => f.name);
  const editedRow = editing === null ? undefined : rows.find((r) => r.position === editing);
  const pageNumber = afters.length;
  const next = page.data?.next_after ?? null;

  return (
    <section aria-label="Rows" data-testid="row-browser">
      <form
        className="row"
        aria-label="Filter rows"
        data-testid="row-filter"
        onSubmit={(event) => {
          event.preventDefault();
          setWhere(whereOf(field, value));
        }}
      >
        <label>
          Field
          <select value={field} onChange={(e) => setField(e.target.value)}>
            <option value="">any</option>
            <Options values={fields} />
          </select>
        </label>
        <label>
          Equals
          <input value={value} onChange={(e) => setValue(e.target.value)} placeholder='text, 3, true or "3"' disabled={!field} />
        </label>
        <button type="submit">Filter</button>
        {where && (
          <button
            type="button"
            onClick={() => {
              setField("");
              setValue("");
              setWhere(undefined);
            }}
          >
            Clear filter
          </button>
        )}
      </form>
      <div className="row" style={{ alignItems: "center", margin: "0.6rem 0" }}>
        <button type="button" onClick={() => setAfters((a) => a.slice(0, -1))} disabled={afters.length < 2}>
          Previous rows
        </button>
        <span data-testid="row-page-info">
          {page.data
            ? `page ${pageNumber} · ${rows.length} ${rows.length === 1 ? "row" : "rows"}${where ? " matching" : ""} of ${page.data.row_count}`
            : page.error
              ? "Rows unavailable"
              : "Loading…"}
        </span>
        <button
          type="button"
          onClick={() => next !== null && setAfters((a) => [...a, next])}
          disabled={next === null || page.isFetching}
        >
          Next rows
        </button>
      </div>
      <ErrorMessage error={page.error} onRetry={() => void page.refetch()} />
      {page.isPending && <Loading label="Loading rows…" />}
      {page.data && rows.length === 0 && <p className="muted">No rows{where ? " match" : ""} on this page.</p>}
      {editedRow && editing !== null && (
        <RowEditor
          key={`${version.id}-${editing}`}
          version={version}
          position={editing}
          row={editedRow.row}
          onSaved={(made) => {
            setEditing(null);
            onEdited(made);
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {rows.length > 0 && <RowsTable rows={rows} fields={fields} testId="dataset-rows" onEdit={setEditing} />}
    </section>
  );
}
