/** Dashboard (home): running and recent jobs, records by status, tokens and cost over time. */
import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { jobsQuery, pipelinesQuery } from "../api/queries";
import type { Job } from "../api/schema";
import { costLabel } from "../api/usage";
import { ErrorMessage, Loading, QueryState } from "../components/RequestState";
import { UsageChart } from "./UsageChart";
import { JobProgressBar } from "../generator/JobCard";
import { RecentQuality } from "../quality/RecentQuality";
import { REVIEW_STATUSES } from "../review/statuses";
import { statusCountsQuery } from "../review/useStatusCounts";

/** How often the dashboard rereads (the jobs and the counts). */
export const DASHBOARD_POLL_MS = 3000;
/** Finished jobs listed. */
const RECENT = 8;

function JobRows({ jobs, names }: { jobs: Job[]; names: Map<number, string> }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Job</th>
            <th>Pipeline</th>
            <th>Status</th>
            <th>Progress</th>
            <th>Records</th>
            <th>Tokens</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => {
            const cost = costLabel(job);
            return (
              <tr key={job.id}>
                <td>
                  <Link to={`/review?job_id=${job.id}&pipeline_id=${job.pipeline_id}`}>#{job.id}</Link>
                </td>
                <td>{names.get(job.pipeline_id) ?? job.pipeline_id}</td>
                <td>{job.status}</td>
                <td style={{ minWidth: 120 }}>{job.status === "running" ? <JobProgressBar job={job} /> : `${Math.round(job.progress * 100)}%`}</td>
                <td>
                  {job.records_generated} ok / {job.records_failed} failed / {job.total_seeds}
                </td>
                <td>
                  {job.usage.input_tokens + job.usage.output_tokens}
                  {cost !== null && ` · ${cost}`}
                </td>
                <td>{new Date(job.created_at).toLocaleString()}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** What stands in for a part made from the jobs list until it is read. */
function JobsUnavailable({ loading, failed }: { loading: boolean; failed: boolean }) {
  if (failed) return <p className="muted">Unavailable: the jobs could not be read (see the error above).</p>;
  return loading ? <Loading /> : null;
}

/** The dashboard. */
export function DashboardPage() {
  const jobs = useQuery({ ...jobsQuery(), refetchInterval: DASHBOARD_POLL_MS });
  const pipelines = useQuery(pipelinesQuery());
  const counts = useQuery({ ...statusCountsQuery({}), refetchInterval: DASHBOARD_POLL_MS });
  const names = new Map((pipelines.data ?? []).map((p) => [p.id, p.name]));
  const running = (jobs.data ?? []).filter((j) => j.status === "running");
  const recent = (jobs.data ?? []).filter((j) => j.status !== "running").slice(0, RECENT);

  return (
    <section>
      <h1>Dashboard</h1>
      <div className="grid">
        <div className="card">
          <h2 style={{ marginTop: 0 }}>Records by status</h2>
          <QueryState query={counts} keepData>
            {(c) => (
              <ul className="status-counts" data-testid="status-counts">
                <li>
                  <Link to="/review">all</Link>: <b>{c.all}</b>
                </li>
                {REVIEW_STATUSES.map((s) => (
                  <li key={s}>
                    <Link to={`/review?status=${s}`}>{s}</Link>: <b>{c[s]}</b>
                  </li>
                ))}
              </ul>
            )}
          </QueryState>
        </div>
        <div className="card">
          <h2 style={{ marginTop: 0 }}>Pipelines</h2>
          {pipelines.isPending && <Loading />}
          <ErrorMessage error={pipelines.error} onRetry={() => void pipelines.refetch()} />
          {pipelines.data && (
            <p>
              {pipelines.data.length} pipeline{pipelines.data.length === 1 ? "" : "s"}. <Link to="/pipelines">Manage</Link> ·{" "}
              <Link to="/generator">Generate</Link>
            </p>
          )}
        </div>
      </div>
      <h2>Running jobs</h2>
      {jobs.isPending && <Loading />}
      <ErrorMessage error={jobs.error} onRetry={() => void jobs.refetch()} />
      {jobs.data && (running.length === 0 ? <p className="muted">No job is running.</p> : <JobRows jobs={running} names={names} />)}
      <h2>Recent jobs</h2>
      {jobs.data ? (
        recent.length === 0 ? (
          <p className="muted">No finished jobs yet.</p>
        ) : (
          <JobRows jobs={recent} names={names} />
        )
      ) : (
        <JobsUnavailable loading={jobs.isPending} failed={jobs.error !== null} />
      )}
      <h2>Quality of recent jobs</h2>
      <div className="card">
        {jobs.data ? <RecentQuality jobs={recent} /> : <JobsUnavailable loading={jobs.isPending} failed={jobs.error !== null} />}
      </div>
      <h2>Tokens over time</h2>
      <div className="card">
        {jobs.data ? <UsageChart jobs={jobs.data} /> : <JobsUnavailable loading={jobs.isPending} failed={jobs.error !== null} />}
      </div>
    </section>
  );
}
