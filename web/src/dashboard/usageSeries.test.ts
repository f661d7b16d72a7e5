import { describe, expect, it } from "vitest";
import type { Job } from "../api/schema";
import { bucketSize, usageOverTime } from "./usageSeries";

const HOUR = 3_600_000;

function job(id: number, createdAt: number, input: number, output: number, cost?: number | null): Job {
  return {
    id,
    pipeline_id: 1,
    status: "completed",
    total_seeds: 1,
    current_seed: 1,
    records_generated: 1,
    records_failed: 0,
    progress: 1,
    current_block: "",
    current_step: null,
    error: null,
    usage: {
      input_tokens: input,
      output_tokens: output,
      cached_tokens: 0,
      start_time: createdAt / 1000,
      end_time: null,
      ...(cost === undefined ? {} : { cost }),
    },
    usage_by_model: {},
    llm_calls: { requests: 0, attempts: 0, retries: 0, failed: 0, wait_ms: 0 },
    cache: "auto",
    options: {},
    created_at: createdAt,
    started_at: createdAt,
    completed_at: createdAt + 1000,
  };
}

describe("usageOverTime", () => {
  it("sums jobs per hour, oldest first", () => {
    const points = usageOverTime([job(3, 2 * HOUR + 5, 1, 1), job(1, 10, 10, 20), job(2, HOUR - 1, 5, 5)]);
    expect(points.map((p) => [p.time, p.input, p.output, p.jobs])).toEqual([
      [0, 15, 25, 2],
      [2 * HOUR, 1, 1, 1],
    ]);
    expect(points[0].cost).toBeNull();
  });
  it("adds cost only where the server sent one", () => {
    const [point] = usageOverTime([job(1, 0, 1, 1, 0.5), job(2, 10, 1, 1), job(3, 20, 1, 1, 0.25)]);
    expect(point.cost).toBe(0.75);
    expect(point.costReported).toBe(true);
  });
  it("keeps an unknown price apart from no cost", () => {
    const [unknown] = usageOverTime([job(1, 0, 1, 1, null)]);
    expect(unknown.cost).toBeNull();
    expect(unknown.costReported).toBe(true);
    const [none] = usageOverTime([job(1, 0, 1, 1)]);
    expect(none.costReported).toBe(false);
  });
  it("uses days when the jobs span more than two days", () => {
    expect(bucketSize([job(1, 0, 0, 0), job(2, 72 * HOUR, 0, 0)])).toBe(24 * HOUR);
    expect(bucketSize([job(1, 0, 0, 0), job(2, 3 * HOUR, 0, 0)])).toBe(HOUR);
  });
});
