/**
 * Review: filter by pipeline, job and status (with counts), page through every record, in a
 * table or one at a time; review with buttons or keys (A, R, U, E, N, P, ?); edit fields;
 * the trace; the field layout; export.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { getJob, getPipeline, listJobs, listPipelines, listRecords, updateRecord, type RecordFilter } from "../api/endpoints";
import { REVIEW_STATUSES, type FieldOrder, type RecordRow, type ReviewStatus } from "../api/types";
import { PipelineSelect } from "../components/PipelineSelect";
import { ErrorMessage, Loading } from "../components/RequestState";
import { useRequest } from "../components/useRequest";
import { ExportLinks } from "../review/ExportLinks";
import { FieldOrderEditor } from "../review/FieldOrderEditor";
import { configuredOrder, groupFields } from "../review/fieldGroups";
import { KeyHelp } from "../review/KeyHelp";
import { moveTo, step, type ReviewCommand } from "../review/keyboard";
import { RecordView, StatusBadge } from "../review/RecordView";
import { useReviewKeyboard } from "../review/useReviewKeyboard";
import { statusCounts } from "../review/useStatusCounts";

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
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [countsTick, setCountsTick] = useState(0);

  const filter: RecordFilter = useMemo(() => ({ pipeline_id: pipelineId, job_id: jobId, status }), [pipelineId, jobId, status]);
  const filterKey = JSON.stringify(filter);

  const pipelines = useRequest((signal) => listPipelines(signal), []);
  const jobs = useRequest((signal) => listJobs(pipelineId, signal), [pipelineId]);
  // A job or pipeline named in the URL that does not exist says so (its filter matches nothing).
  const jobCheck = useRequest((signal) => (jobId === undefined ? Promise.resolve(null) : getJob(jobId, signal)), [jobId]);
  const pipelineCheck = useRequest(
    (signal) => (pipelineId === undefined ? Promise.resolve(null) : getPipeline(pipelineId, signal)),
    [pipelineId],
  );
  const counts = useRequest((signal) => statusCounts({ pipeline_id: pipelineId, job_id: jobId }, signal), [pipelineId, jobId, countsTick]);
  const page = useRequest(
    (signal) => listRecords({ ...filter, limit: pageSize, offset }, signal).then((p) => ({ ...p, offset, pageSize })),
    [filterKey, offset, pageSize],
  );

  // A new filter starts at the first record.
  useEffect(() => {
    setOffset(0);
    setIndex(0);
    setEditing(false);
  }, [filterKey, pageSize]);

  const total = page.data?.total ?? 0;
  const current = page.data && page.data.offset === offset && page.data.pageSize === pageSize ? page.data : undefined;
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

  const replaceRecord = useCallback(
    (record: RecordRow) => {
      if (!page.data) return;
      page.setData({ ...page.data, items: page.data.items.map((r) => (r.id === record.id ? record : r)) });
      setCountsTick((t) => t + 1);
    },
    [page],
  );

  const review = useCallback(
    (record: RecordRow | undefined, update: Parameters<typeof updateRecord>[1]) => {
      if (!record) return Promise.resolve();
      setBusy(true);
      setActionError(null);
      return updateRecord(record.id, update)
        .then(replaceRecord)
        .catch((e: unknown) => {
          setActionError(e);
          throw e;
        })
        .finally(() => setBusy(false));
    },
    [replaceRecord],
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
        <ErrorMessage error={pipelineCheck.error} onRetry={pipelineCheck.reload} />
        <ErrorMessage error={jobCheck.error} onRetry={jobCheck.reload} />
        <ErrorMessage
          error={pipelines.error ?? jobs.error ?? counts.error}
          onRetry={() => {
            pipelines.reload();
            jobs.reload();
            counts.reload();
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

      <ErrorMessage error={page.error} onRetry={page.reload} />
      <ErrorMessage error={actionError} />
      {!current && page.loading && <Loading label="Loading records…" />}
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
              onSaved={(order) => {
                if (!pipelines.data) return;
                pipelines.setData(
                  pipelines.data.map((p) =>
                    p.id === selected.pipeline_id ? { ...p, validation_config: { ...(p.validation_config ?? {}), field_order: order } } : p,
                  ),
                );
              }}
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
