/** The header's running-jobs indicator: polls /api/jobs?status=running. */
import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { runningJobsQuery } from "../api/queries";

/** How often the running jobs are read. */
const POLL_MS = 2000;

/** "N jobs running" with their overall progress, linking to the generator. */
export function JobsIndicator() {
  const { data, error } = useQuery({ ...runningJobsQuery(), refetchInterval: POLL_MS });
  const running = data ?? [];
  const total = running.reduce((sum, job) => sum + job.total_seeds, 0);
  const done = running.reduce((sum, job) => sum + job.current_seed, 0);
  const label = error
    ? "jobs: unavailable"
    : running.length === 0
      ? "no jobs running"
      : `${running.length} job${running.length === 1 ? "" : "s"} running · ${done}/${total}`;
  return (
    <Link
      to="/generator"
      className={`jobs-indicator${running.length > 0 ? " active" : ""}`}
      data-testid="jobs-indicator"
      data-count={running.length}
      title={error instanceof Error ? error.message : label}
    >
      {running.length > 0 && <span className="pulse" aria-hidden="true" />}
      {label}
    </Link>
  );
}
