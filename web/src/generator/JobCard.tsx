/** One job's live progress: bar, counts, current block, tokens, cost, elapsed, ETA, cancel. */
import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { jobQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { Job } from "../api/schema";
import { costLabel } from "../api/usage";
import { ErrorMessage } from "../components/RequestState";
import { SaveJobAsDataset } from "../datasets/SaveJobAsDataset";
import { QualityReport } from "../quality/QualityReport";
import { qualityOf } from "../quality/report";
import { elapsedMs, etaMs, formatDuration } from "./eta";
import { useJobProgress, useNow } from "./useJobProgress";

/** The progress bar: `data-testid="job-progress"` with `aria-valuenow` in percent. */
export function JobProgressBar({ job }: { job: Job }) {
  const percent = Math.round(Math.min(1, Math.max(0, job.progress)) * 100);
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={`Job ${job.id} progress`}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      data-testid="job-progress"
      data-job-id={job.id}
    >
      <div style={{ width: `${percent}%` }} />
    </div>
  );
}

const STATUS_CLASS: Record<Job["status"], string> = {
  running: "",
  completed: "ok",
  failed: "bad",
  cancelled: "warn",
  stopped: "warn",
};

/** How often a running job's quality report is reread (the stream carries no report). */
const QUALITY_POLL_MS = 5000;

/** The job's quality report, read from `GET /api/jobs/{id}`: again when the job ends. */
function JobQuality({ job }: { job: Job }) {
  const running = job.status === "running";
  // Read again once the job ends too (its end invalidates the jobs): the report is complete then.
  const detail = useQuery({ ...jobQuery(job.id), refetchInterval: running ? QUALITY_POLL_MS : false });
  return <QualityReport quality={qualityOf(detail.data ?? job)} />;
}

/** A job card that follows the job while it runs. */
export function JobCard({ initial, pipelineName }: { initial: Job; pipelineName?: string }) {
  const { job, error } = useJobProgress(initial);
  const client = useQueryClient();
  const cancelJob = useMutation({
    mutationFn: () => data(api.DELETE("/api/jobs/{id}", { params: { path: { id: job.id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: queryKeys.jobs }),
  });
  const running = job.status === "running";
  const now = useNow(running);
  const finished = job.records_generated + job.records_failed;
  const elapsed = elapsedMs(job.created_at, job.completed_at ?? null, now);
  const eta = running ? etaMs(finished, job.total_seeds, elapsed) : null;
  const cost = costLabel(job);
  return (
    <article className="card job-card" data-testid="job-card" data-job-id={job.id} aria-label={`Job ${job.id}`}>
      <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
        <h3 style={{ margin: 0 }}>
          Job {job.id}
          {pipelineName ? ` · ${pipelineName}` : ""}
        </h3>
        <span className={`badge ${STATUS_CLASS[job.status]}`} data-testid="job-status">
          {job.status}
        </span>
      </div>
      <JobProgressBar job={job} />
      <div className="stats">
        <span>
          done <b>{job.records_generated}</b>
        </span>
        <span>
          failed <b className={job.records_failed > 0 ? "bad" : undefined}>{job.records_failed}</b>
        </span>
        <span>
          total <b>{job.total_seeds}</b>
        </span>
        {running && job.current_block && (
          <span>
            block <b>{job.current_block}</b>
            {job.current_step != null ? ` (step ${job.current_step + 1})` : ""}
          </span>
        )}
        <span title={`cached ${job.usage.cached_tokens}`}>
          tokens <b>{job.usage.input_tokens}</b> in / <b>{job.usage.output_tokens}</b> out
        </span>
        {cost !== null && (
          <span>
            cost <b data-testid="job-cost" title={cost === "—" ? "no price known for this model" : undefined}>{cost}</b>
          </span>
        )}
        <span>
          elapsed <b>{formatDuration(elapsed)}</b>
        </span>
        {running && (
          <span>
            ETA <b>{formatDuration(eta)}</b>
          </span>
        )}
      </div>
      <JobQuality job={job} />
      {job.error && <p className="bad">{job.error}</p>}
      {error && running && <ErrorMessage error={error} />}
      <ErrorMessage error={cancelJob.error} />
      <div className="actions">
        {running && (
          <button type="button" className="danger" onClick={() => cancelJob.mutate()} disabled={cancelJob.isPending}>
            {cancelJob.isPending ? "Cancelling…" : "Cancel"}
          </button>
        )}
        <Link to={`/review?job_id=${job.id}&pipeline_id=${job.pipeline_id}`}>Review records</Link>
        {!running && <SaveJobAsDataset jobId={job.id} />}
      </div>
    </article>
  );
}
