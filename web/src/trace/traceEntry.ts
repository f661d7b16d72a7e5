/**
 * A run's trace as the trace view reads it. The server's OpenAPI document types a trace as a
 * free-form array (records, preview runs and failed runs' error detail all carry one), so
 * the step's parts are described here and read through {@link traceOf}.
 */
import type { Usage } from "../api/schema";

/** One LLM call of a trace step. */
export interface LlmCall {
  model: string;
  provider: string;
  /** Tries made (1 when the first answered). */
  attempts: number;
  /** Time spent waiting: for a slot, for the rate limits and in backoff between attempts, in ms. */
  wait_ms: number;
  /** The part of `wait_ms` spent waiting for the requests- and tokens-per-minute limits, in ms. */
  rate_wait_ms?: number;
  /** From the call to its answer, waits included, in ms. */
  duration_ms?: number;
  /** `ok` or `failed`. */
  status: string;
  error: string | null;
}

/** One step of a run's trace. */
export type TraceEntry = {
  block_type: string;
  step: number;
  input: Record<string, unknown>;
  output: unknown;
  accumulated_state: Record<string, unknown>;
  execution_time: number;
  import_time?: number;
  error: string | null;
  /** Why the block failed, with the evidence: its stderr and its error's detail. */
  failure?: { kind?: string; message?: string; stderr?: string; detail?: unknown };
  usage?: Usage;
  logs?: unknown[];
  /** Log lines past the kept ones. */
  logs_dropped?: number;
  /** The LLM calls the block made (servers that report them). */
  llm_calls?: LlmCall[];
};

/** A trace as its steps (anything but an array: no steps). */
export function traceOf(value: unknown): TraceEntry[] {
  return Array.isArray(value) ? (value as TraceEntry[]) : [];
}
