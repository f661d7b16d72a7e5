/** A run's trace, block by block — the one trace view of the preview and of review: per step
 * its input, output, state after, time, error, usage and cost, logs, and the LLM calls it made
 * when the server reports them. */
import { traceOf, type LlmCall, type TraceEntry } from "./traceEntry";
import { costLabel, totalTokens } from "../api/usage";
import { Value } from "../components/Value";
import "./trace.css";

/** Props of {@link TraceSteps}. */
export interface TraceStepsProps {
  /** The steps (a free-form array in the server's schema: read as {@link TraceEntry}s). */
  trace: readonly unknown[];
  /** `data-testid` of the list. */
  testId?: string;
  /** Each step is `<prefix><n>` (n from 0). */
  stepTestIdPrefix?: string;
}

function seconds(value: unknown): string | null {
  return typeof value === "number" && Number.isFinite(value) ? `${value.toFixed(3)} s` : null;
}

function milliseconds(value: unknown): string {
  return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value)} ms` : "—";
}

/** Time, host-call time, tokens and cost of a step, as one line (host calls and tokens only
 * when the block made any). */
function stepStats(entry: TraceEntry): string {
  const parts: string[] = [];
  const time = seconds(entry.execution_time);
  if (time) parts.push(time);
  const hostCalls = entry.import_time ? seconds(entry.import_time) : null;
  if (hostCalls) parts.push(`host calls ${hostCalls}`);
  if (entry.usage && totalTokens(entry.usage) > 0) parts.push(`${entry.usage.input_tokens} in / ${entry.usage.output_tokens} out tokens`);
  const cost = costLabel(entry);
  if (cost !== null) parts.push(`cost ${cost}`);
  return parts.join(" · ");
}

/** The LLM calls of a step: model, provider, attempts, waiting, duration, outcome. */
function LlmCalls({ calls }: { calls: LlmCall[] }) {
  const failed = calls.some((call) => call.error);
  return (
    <details open={failed}>
      <summary>LLM calls ({calls.length})</summary>
      <div className="table-wrap">
        <table className="llm-calls">
          <thead>
            <tr>
              <th>Model</th>
              <th>Provider</th>
              <th>Attempts</th>
              <th>Waited</th>
              <th>Took</th>
              <th>Status</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((call, index) => (
              <tr key={index} className={call.error ? "bad" : undefined}>
                <td>{call.model}</td>
                <td>{call.provider}</td>
                <td>{call.attempts}</td>
                <td>{milliseconds(call.wait_ms)}</td>
                <td>{milliseconds(call.duration_ms)}</td>
                <td>{call.status}</td>
                <td>{call.error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** The steps of a trace. */
export function TraceSteps({ trace: steps, testId, stepTestIdPrefix = "trace-step-" }: TraceStepsProps) {
  const trace = traceOf(steps);
  if (trace.length === 0)
    return (
      <p className="muted" data-testid={testId}>
        No steps ran.
      </p>
    );
  return (
    <ol className="trace" data-testid={testId}>
      {trace.map((entry, index) => {
        const failed = entry.error !== null && entry.error !== undefined;
        return (
          <li key={index} data-testid={`${stepTestIdPrefix}${index}`} className={failed ? "trace-step failed" : "trace-step"}>
            <h4>
              {entry.step + 1}. {entry.block_type} <span className="muted">{stepStats(entry)}</span>{" "}
              {failed && <span className="badge bad">failed</span>}
            </h4>
            {failed && (
              <p className="bad" role="alert">
                Error: {entry.error}
              </p>
            )}
            {entry.failure?.stderr && (
              <details open>
                <summary>Block stderr</summary>
                <Value value={entry.failure.stderr} />
              </details>
            )}
            {entry.failure?.detail !== undefined && entry.failure?.detail !== null && (
              <details>
                <summary>Error detail</summary>
                <Value value={entry.failure.detail} />
              </details>
            )}
            <details>
              <summary>Input</summary>
              <Value value={entry.input} />
            </details>
            <details open>
              <summary>Output</summary>
              <Value value={entry.output} />
            </details>
            <details>
              <summary>State after</summary>
              <Value value={entry.accumulated_state} />
            </details>
            {Array.isArray(entry.logs) && entry.logs.length > 0 && (
              <details>
                <summary>
                  Logs ({entry.logs.length}
                  {entry.logs_dropped ? `, ${entry.logs_dropped} more dropped` : ""})
                </summary>
                <Value value={entry.logs} />
              </details>
            )}
            {Array.isArray(entry.llm_calls) && entry.llm_calls.length > 0 && <LlmCalls calls={entry.llm_calls} />}
          </li>
        );
      })}
    </ol>
  );
}
