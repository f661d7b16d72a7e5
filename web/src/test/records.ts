/** Server-shaped records and jobs for component tests. */
import type { Job, RecordRow } from "../api/schema";
import type { TraceEntry } from "../trace/traceEntry";

const usage = { input_tokens: 12, output_tokens: 7, cached_tokens: 0 };

/** A trace step of a TextGenerator. */
export function traceEntry(overrides: Partial<TraceEntry> = {}): TraceEntry {
  return {
    block_type: "TextGenerator",
    step: 0,
    input: { topic: "wasm" },
    output: { assistant: "Echo" },
    accumulated_state: { topic: "wasm", assistant: "Echo" },
    execution_time: 0.0123,
    error: null,
    usage,
    ...overrides,
  };
}

/** A completed record of one step. */
export function recordRow(overrides: Partial<RecordRow> = {}): RecordRow {
  return {
    id: 7,
    job_id: 3,
    pipeline_id: 1,
    run_id: 1,
    trace_id: "t-1",
    run_status: "completed",
    status: "pending",
    metadata: { topic: "wasm" },
    output: { topic: "wasm", assistant: "Echo", score: 3 },
    pipeline_output: null,
    trace: [traceEntry()],
    usage,
    error: null,
    created_at: 0,
    updated_at: 0,
    ...overrides,
  };
}

/** A finished job. */
export function finishedJob(overrides: Partial<Job> = {}): Job {
  return {
    id: 3,
    pipeline_id: 1,
    status: "completed",
    total_seeds: 2,
    current_seed: 2,
    records_generated: 2,
    records_failed: 0,
    progress: 1,
    current_block: "",
    current_step: null,
    error: null,
    usage: { ...usage, start_time: 1, end_time: 2 },
    usage_by_model: {},
    llm_calls: { requests: 0, attempts: 0, retries: 0, failed: 0, wait_ms: 0 },
    cache: "auto",
    options: {},
    created_at: 1_000,
    started_at: 1_000,
    completed_at: 2_000,
    ...overrides,
  };
}
