/**
 * The dashboard's quality chart: the pass rate of each recent finished job with checks (one
 * bar each, newest on the right, the dashed line at 100%) and the latest such job's full
 * report below.
 */
import { Link } from "react-router-dom";
import { useQueries } from "@tanstack/react-query";
import { jobQuery } from "../api/queries";
import type { Job } from "../api/schema";
import { ErrorMessage, Loading } from "../components/RequestState";
import { passRateText } from "./bins";
import { hasQuality, QualityReport } from "./QualityReport";
import { qualityOf } from "./report";

const WIDTH = 320;
const HEIGHT = 100;
/** Room above the bars for their labels. */
const TOP = 14;

/** Reads the reports of `jobs` (their `GET /api/jobs/{id}`) and charts them. */
export function RecentQuality({ jobs }: { jobs: Job[] }) {
  const details = useQueries({
    queries: jobs.map((j) => jobQuery(j.id)),
    combine: (results) => ({
      data: results.every((r) => r.data !== undefined) ? results.map((r) => r.data as Job) : undefined,
      error: results.find((r) => r.error)?.error ?? null,
      retry: () => results.forEach((r) => void r.refetch()),
    }),
  });
  if (!details.data) {
    return details.error ? <ErrorMessage error={details.error} onRetry={details.retry} /> : <Loading />;
  }
  const checked = details.data.map((j) => ({ ...j, quality: qualityOf(j) })).filter((j) => hasQuality(j.quality) && j.quality?.pass_rate !== null).reverse();
  if (checked.length === 0) {
    return <p className="muted">No recent job has checks, judges or metrics to report on.</p>;
  }
  const barWidth = WIDTH / checked.length;
  const latest = checked[checked.length - 1];
  return (
    <div data-testid="recent-quality">
      <svg width={WIDTH} height={TOP + HEIGHT + 14} role="img" aria-label="Pass rate of recent jobs">
        <line x1={0} y1={TOP} x2={WIDTH} y2={TOP} stroke="var(--border)" strokeDasharray="3 3" />
        {checked.map((job, i) => {
          const rate = job.quality?.pass_rate ?? 0;
          const height = rate * HEIGHT;
          const middle = i * barWidth + barWidth / 2;
          return (
            <g key={job.id} data-testid="pass-rate-bar" data-job-id={job.id} data-rate={rate}>
              <rect x={i * barWidth + 2} y={TOP + HEIGHT - height} width={barWidth - 4} height={height} fill="var(--ok)">
                <title>
                  Job {job.id}: {passRateText(rate)} passed
                </title>
              </rect>
              <text x={middle} y={TOP + HEIGHT - height - 3} fontSize={10} fill="var(--text)" textAnchor="middle">
                {passRateText(rate)}
              </text>
              <text x={middle} y={TOP + HEIGHT + 12} fontSize={10} fill="var(--muted)" textAnchor="middle">
                #{job.id}
              </text>
            </g>
          );
        })}
        <line x1={0} y1={TOP + HEIGHT} x2={WIDTH} y2={TOP + HEIGHT} stroke="var(--border)" />
      </svg>
      <p className="muted">
        Latest: <Link to={`/review?job_id=${latest.id}&pipeline_id=${latest.pipeline_id}`}>job #{latest.id}</Link>
      </p>
      <QualityReport quality={latest.quality} />
    </div>
  );
}
