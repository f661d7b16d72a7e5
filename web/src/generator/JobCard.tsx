/** One job's live progress: bar, counts, current block, tokens, cost, elapsed, ETA, cancel. */
import { useState } from "react";
import { Link } from "react-router-dom";
import { cancelJob, getJob } from "../api/endpoints";
import type { Job } from "../api/types";
import { costLabel } from "../api/usage";
import { ErrorMessage } from "../components/RequestState";
import { SaveJobAsDataset } from "../datasets/SaveJobAsDataset";
import { useRequest } from "../components/useRequest";
import { QualityReport } from "../quality/QualityReport";
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
  const detail = useRequest((signal) => getJob(job.id, signal), [job.id, job.status], running ? QUALITY_POLL_MS : undefined);
  return <QualityReport quality={detail.data?.quality ?? job.quality} />;
}

/** A job card that follows the job while it runs. */
export function JobCard({ initial, pipelineName }: { initial: Job; pipelineName?: string }) {
  const { job, error } = useJobProgress(initial);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [cancelling, setCancelling] = useState(false);
  const running = job.status === "running";
  const now = useNow(running);
  const finished = job.records_generated + job.records_failed;
  const elapsed = elapsedMs(job.created_at, job.completed_at ?? null, now);
  const eta = running ? etaMs(finished, job.total_seeds, elapsed) : null;
  const cost = costLabel(job);
  const cancel = () => {
    setCancelling(true);
    cancelJob(job.id)
      .then(() => setCancelError(null))
      .catch(setCancelError)
      .finally(() => setCancelling(false));
  };
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
      <ErrorMessage error={cancelError} />
      <div className="actions">
        {running && (
          <button type="button" className="danger" onClick={cancel} disabled={cancelling}>
            {cancelling ? "Cancelling…" : "Cancel"}
          </button>
        )}
        <Link to={`/review?job_id=${job.id}&pipeline_id=${job.pipeline_id}`}>Review records</Link>
        {!running && <SaveJobAsDataset jobId={job.id} />}
      </div>
    </article>
  );
}
