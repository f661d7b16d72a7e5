/**
 * Review: filter by pipeline, job and status (with counts), page through every record, in a
 * table or one at a time; review with buttons or keys (A, R, U, E, N, P, ?); edit fields;
 * the trace; the field layout; export.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { jobQuery, jobsQuery, pipelineQuery, pipelinesQuery, recordPageQuery } from "../api/queries";
import { queryKeys, type RecordFilter } from "../api/queryKeys";
import type { FieldOrder, RecordRow, RecordUpdate } from "../api/schema";
import { PipelineSelect } from "../components/PipelineSelect";
import { ErrorMessage, Loading } from "../components/RequestState";
import { ExportLinks } from "./ExportLinks";
import { FieldOrderEditor } from "./FieldOrderEditor";
import { configuredOrder, groupFields } from "./fieldGroups";
import { KeyHelp } from "./KeyHelp";
import { moveTo, step, type ReviewCommand } from "./keyboard";
import { RecordView, StatusBadge } from "./RecordView";
import { useReviewKeyboard } from "./useReviewKeyboard";
import { REVIEW_STATUSES, type ReviewStatus } from "./statuses";
import { statusCountsQuery } from "./useStatusCounts";

const PAGE_SIZES = [10, 25, 50, 100, 250];

function numberParam(value: string | null): number | undefined {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n > 0 ? n : undefined;
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === undefined) return "";
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/**
 * The fields a table row previews: the first two primary ones (without a field layout, the
 * first two the pipeline produced, else the first two of the seed's).
 */
function tableFields(record: RecordRow, order: FieldOrder | undefined): string[] {
  const groups = groupFields(Object.keys(record.output ?? {}), order, Object.keys(record.metadata ?? {}));
  return (groups.primary.length > 0 || configuredOrder(order) ? groups.primary : groups.secondary).slice(0, 2);
}

/** The review page. */
export function ReviewPage() {
  const [params, setParams] = useSearchParams();
  const pipelineId = numberParam(params.get("pipeline_id"));
  const jobId = numberParam(params.get("job_id"));
  const statusParam = params.get("status");
  const status = REVIEW_STATUSES.includes(statusParam as ReviewStatus) ? (statusParam as ReviewStatus) : "";
  const view = params.get("view") === "table" ? "table" : "record";

  const [pageSize, setPageSize] = useState(25);
  const [offset, setOffset] = useState(0);
  const [index, setIndex] = useState(0);
  const [editing, setEditing] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);

  const filter: RecordFilter = useMemo(
    () => ({ pipeline_id: pipelineId, job_id: jobId, status: status || undefined }),
    [pipelineId, jobId, status],
  );
  const filterKey = JSON.stringify(filter);

  const client = useQueryClient();
  const pipelines = useQuery(pipelinesQuery());
  const jobs = useQuery(jobsQuery(pipelineId));
  // A job or pipeline named in the URL that does not exist says so (its filter matches nothing).
  const jobCheck = useQuery({ ...jobQuery(jobId ?? 0), enabled: jobId !== undefined });
  const pipelineCheck = useQuery({ ...pipelineQuery(pipelineId ?? 0), enabled: pipelineId !== undefined });
  const counts = useQuery(statusCountsQuery({ pipeline_id: pipelineId, job_id: jobId }));
  const pageQuery = recordPageQuery({ ...filter, limit: pageSize, offset });
  const page = useQuery(pageQuery);

  // A new filter starts at the first record.
  useEffect(() => {
    setOffset(0);
    setIndex(0);
    setEditing(false);
  }, [filterKey, pageSize]);

  // Records are shown from a read that succeeded: after a failed one (offline), the cached
  // page is not offered for review.
  const current = page.error ? undefined : page.data;
  // While the next page loads, the last total read keeps paging (N, Next page) where it was:
  // with none, every move would go back to the first record.
  const lastTotal = useRef(0);
  if (current) lastTotal.current = current.total;
  const total = current?.total ?? lastTotal.current;
  const records = current?.items ?? [];
  const selected: RecordRow | undefined = records[Math.min(index, records.length - 1)];
  const position = offset + Math.min(index, Math.max(records.length - 1, 0));

  const setFilter = (key: string, value: string | number | undefined) => {
    const next = new URLSearchParams(params);
    if (value === undefined || value === "") next.delete(key);
    else next.set(key, String(value));
    if (key === "pipeline_id") next.delete("job_id");
    setParams(next, { replace: true });
  };

  const go = useCallback(
    (target: { offset: number; index: number }) => {
      setEditing(false);
      setOffset(target.offset);
      setIndex(target.index);
    },
    [],
  );

  // A review or an edit: the record stays in the page shown (even when it leaves the status
  // filter: press N to go on); every records query goes stale, the counts and the jobs are
  // read again at once.
  const reviewing = useMutation({
    mutationFn: ({ id, update }: { id: number; update: RecordUpdate }) =>
      data(api.PUT("/api/records/{id}", { params: { path: { id } }, body: update })),
    onSuccess: (record) => {
      client.setQueryData(pageQuery.queryKey, (old) =>
        old ? { ...old, items: old.items.map((r) => (r.id === record.id ? record : r)) } : old,
      );
      void client.invalidateQueries({ queryKey: queryKeys.records, refetchType: "none" });
      void client.refetchQueries({ queryKey: queryKeys.statusCounts({ pipeline_id: pipelineId, job_id: jobId }) });
      void client.invalidateQueries({ queryKey: queryKeys.jobs });
    },
  });
  const busy = reviewing.isPending;
  const { mutateAsync } = reviewing;
  const review = useCallback(
    async (record: RecordRow | undefined, update: RecordUpdate) => {
      if (record) await mutateAsync({ id: record.id, update });
    },
    [mutateAsync],
  );

  const cursor = { offset, pageSize, total, index };
  const onCommand = (command: ReviewCommand) => {
    switch (command.type) {
      case "help":
        setHelpOpen((open) => !open);
        return;
      case "close":
        if (helpOpen) setHelpOpen(false);
        else setEditing(false);
        return;
      case "next":
      case "previous":
        go(step(cursor, command.type));
        return;
      case "edit":
        if (!selected) return;
        if (view === "table") setFilter("view", undefined);
        setEditing(true);
        return;
      case "status":
        if (!busy) review(selected, { status: command.status }).catch(() => undefined);
        return;
    }
  };
  useReviewKeyboard(onCommand);

  const pipelineOf = (id: number | undefined) => pipelines.data?.find((p) => p.id === id);
  const fieldOrder: FieldOrder | undefined = pipelineOf(selected?.pipeline_id)?.validation_config?.field_order;
  const fieldNames = useMemo(() => {
    const names = new Set<string>();
    records.forEach((r) => Object.keys(r.output ?? {}).forEach((k) => names.add(k)));
    return [...names];
  }, [records]);

  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const pageNumber = Math.floor(offset / pageSize) + 1;

  return (
    <section>
      <h1>Review</h1>
      <div className="card">
        <div className="row">
          <PipelineSelect
            pipelines={pipelines.data ?? []}
            value={pipelineId}
            onChange={(id) => setFilter("pipeline_id", id)}
            allLabel="All pipelines"
          />
          <label>
            Job
            <select value={jobId ?? ""} onChange={(e) => setFilter("job_id", e.target.value)}>
              <option value="">All jobs</option>
              {jobId !== undefined && !(jobs.data ?? []).some((j) => j.id === jobId) && <option value={jobId}>Job {jobId}</option>}
              {(jobs.data ?? []).map((j) => (
                <option key={j.id} value={j.id}>
                  Job {j.id} · {j.status} · {new Date(j.created_at).toLocaleString()}
                </option>
              ))}
            </select>
          </label>
          <label>
            Page size
            <select value={pageSize} onChange={(e) => setPageSize(Number(e.target.value))}>
              {PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </label>
          <div className="actions" role="group" aria-label="View">
            <button type="button" aria-pressed={view === "table"} onClick={() => setFilter("view", "table")}>
              Table
            </button>
            <button type="button" aria-pressed={view === "record"} onClick={() => setFilter("view", undefined)}>
              Single record
            </button>
            <button type="button" onClick={() => setHelpOpen(true)} aria-label="Show review keys">
              Keys (?)
            </button>
          </div>
        </div>
        <div className="actions" role="group" aria-label="Status filter" data-testid="status-filter">
          {(["", ...REVIEW_STATUSES] as const).map((s) => (
            <button key={s || "all"} type="button" aria-pressed={status === s} onClick={() => setFilter("status", s)} data-status={s || "all"}>
              {s || "all"} ({counts.data ? counts.data[s || "all"] : "…"})
            </button>
          ))}
        </div>
        <ErrorMessage error={pipelineCheck.error} onRetry={() => void pipelineCheck.refetch()} />
        <ErrorMessage error={jobCheck.error} onRetry={() => void jobCheck.refetch()} />
        <ErrorMessage
          error={pipelines.error ?? jobs.error ?? counts.error}
          onRetry={() => {
            void pipelines.refetch();
            void jobs.refetch();
            void counts.refetch();
          }}
        />
        <ExportLinks filter={filter} />
      </div>

      <div className="row" style={{ alignItems: "center", margin: "0.6rem 0" }}>
        <button type="button" onClick={() => go(moveTo(cursor, offset - pageSize))} disabled={offset === 0}>
          Previous page
        </button>
        <span data-testid="review-page-info">
          {!current
            ? page.error
              ? "Records unavailable"
              : "Loading…"
            : total === 0
              ? "No records"
              : `${offset + 1}–${Math.min(offset + pageSize, total)} of ${total}`}
          {current && ` · page ${pageNumber} of ${pageCount}`}
        </span>
        <button type="button" onClick={() => go(moveTo(cursor, offset + pageSize))} disabled={offset + pageSize >= total}>
          Next page
        </button>
      </div>

      <ErrorMessage error={page.error} onRetry={() => void page.refetch()} />
      <ErrorMessage error={reviewing.error} />
      {!current && page.isFetching && <Loading label="Loading records…" />}
      {current && records.length === 0 && <p className="muted">No records match.</p>}

      {current && selected && view === "record" && (
        <>
          <RecordView
            record={selected}
            position={position}
            total={total}
            fieldOrder={fieldOrder}
            editing={editing}
            busy={busy}
            onStatus={(s) => review(selected, { status: s }).catch(() => undefined)}
            onEdit={() => setEditing(true)}
            onSave={(edit) => review(selected, { ...edit, status: "edited" }).then(() => setEditing(false))}
            onCancelEdit={() => setEditing(false)}
            onNext={() => go(step(cursor, "next"))}
            onPrevious={() => go(step(cursor, "previous"))}
          />
          {pipelineOf(selected.pipeline_id) && (
            <FieldOrderEditor
              key={selected.pipeline_id}
              pipelineId={selected.pipeline_id}
              fields={fieldNames}
              seedFields={Object.keys(selected.metadata ?? {})}
              order={fieldOrder}
            />
          )}
        </>
      )}

      {current && records.length > 0 && view === "table" && (
        <div className="table-wrap">
          <table data-testid="record-table">
            <thead>
              <tr>
                <th>Record</th>
                <th>Status</th>
                <th>Run</th>
                <th>Job</th>
                <th>Fields</th>
              </tr>
            </thead>
            <tbody>
              {records.map((record, i) => {
                const shown = tableFields(record, pipelineOf(record.pipeline_id)?.validation_config?.field_order);
                return (
                  <tr
                    key={record.id}
                    className={i === index ? "selected" : undefined}
                    aria-selected={i === index}
                    onClick={() => setIndex(i)}
                    onDoubleClick={() => {
                      setIndex(i);
                      setFilter("view", undefined);
                    }}
                  >
                    <td>
                      <button
                        type="button"
                        onClick={() => {
                          setIndex(i);
                          setFilter("view", undefined);
                        }}
                      >
                        Open {record.id}
                      </button>
                    </td>
                    <td>
                      <StatusBadge status={record.status} />
                    </td>
                    <td className={record.run_status === "failed" ? "bad" : undefined}>{record.run_status}</td>
                    <td>{record.job_id}</td>
                    <td>
                      {shown.map((field) => (
                        <div key={field}>
                          <b>{field}:</b> {preview(record.output[field])}
                        </div>
                      ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {helpOpen && <KeyHelp onClose={() => setHelpOpen(false)} />}
    </section>
  );
}
