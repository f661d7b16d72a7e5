/** Tokens (and cost when the server sends it) over time, bucketed from the jobs list. */
import type { Job } from "../api/schema";
import { reportedCost } from "../api/usage";

/** One bucket of the chart. */
export interface UsagePoint {
  /** Bucket start, Unix ms. */
  time: number;
  input: number;
  output: number;
  cached: number;
  /** The known costs summed; null when no job in the bucket had a known cost. */
  cost: number | null;
  /** Whether the server reported a cost (known or unknown price) for any job in the bucket. */
  costReported: boolean;
  jobs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Hourly buckets for jobs within two days of each other, daily ones otherwise. */
export function bucketSize(jobs: Job[]): number {
  if (jobs.length === 0) return HOUR;
  const times = jobs.map((j) => j.created_at);
  return Math.max(...times) - Math.min(...times) <= 2 * DAY ? HOUR : DAY;
}

/** The jobs' usage summed per bucket of their start time, oldest first (empty buckets skipped). */
export function usageOverTime(jobs: Job[], size = bucketSize(jobs)): UsagePoint[] {
  const buckets = new Map<number, UsagePoint>();
  for (const job of jobs) {
    const time = Math.floor(job.created_at / size) * size;
    const point = buckets.get(time) ?? { time, input: 0, output: 0, cached: 0, cost: null, costReported: false, jobs: 0 };
    point.input += job.usage.input_tokens;
    point.output += job.usage.output_tokens;
    point.cached += job.usage.cached_tokens;
    const cost = reportedCost(job);
    if (cost !== undefined) point.costReported = true;
    if (typeof cost === "number") point.cost = (point.cost ?? 0) + cost;
    point.jobs += 1;
    buckets.set(time, point);
  }
  return [...buckets.values()].sort((a, b) => a.time - b.time);
}
