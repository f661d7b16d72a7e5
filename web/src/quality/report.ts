/**
 * A job's quality report (`quality` of `GET /api/jobs/{id}`) as the UI reads it. The server's
 * OpenAPI document leaves `quality` free-form (an object), so its parts are described here and
 * read through {@link qualityOf}.
 */
import type { Job } from "../api/schema";

/** One criterion's score distribution at one step in a job's quality report. */
export interface QualityScore {
  /** The step that wrote the scores (from 0). */
  step: number;
  /** Its block type. */
  block_type: string;
  /** The criterion (the key the block wrote the score under). */
  name: string;
  /** `judge`: 0–10; `metric`: 0–1. */
  scale: "judge" | "metric";
  min: number;
  max: number;
  /** Counts of ten equal bins from `min` to `max` (the maximum in the last; scores outside are not counted). */
  bins: number[];
  count: number;
  mean: number | null;
}

/** What one check (a pipeline step) did to the job's records. */
export interface QualityBlock {
  step: number;
  block_type: string;
  checked: number;
  flagged: number;
  fixed: number;
  removed: number;
}

/** A job's quality report. */
export interface Quality {
  /** Records that completed with a check run on them, or that a check removed. */
  checked: number;
  /** Of those, records that completed and no step flagged. */
  passed: number;
  /** `passed / checked`; null before any record was checked. */
  pass_rate: number | null;
  /** Records whose run failed for another reason than a check removing them (not checked). */
  failed: number;
  scores: QualityScore[];
  blocks: QualityBlock[];
}

/** A job's report, when the answer carries one (only `GET /api/jobs/{id}` does). */
export function qualityOf(job: Pick<Job, "quality">): Quality | undefined {
  return job.quality ? (job.quality as unknown as Quality) : undefined;
}
