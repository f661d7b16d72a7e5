/** A run's trace, step by step: each block's input, output, state after, time and error. */
import type { TraceEntry } from "../api/types";

function Json({ value }: { value: unknown }) {
  return <pre>{JSON.stringify(value, null, 2)}</pre>;
}

/** The steps of a trace; `testIdPrefix` names each step `<prefix><n>` (n from 0). */
export function TraceView({ trace, testIdPrefix = "trace-step-" }: { trace: TraceEntry[]; testIdPrefix?: string }) {
  if (trace.length === 0) return <p className="muted">No steps ran.</p>;
  return (
    <ol className="trace">
      {trace.map((entry, index) => (
        <li key={index} data-testid={`${testIdPrefix}${index}`} className={entry.error ? "trace-step failed" : "trace-step"}>
          <h4>
            Step {entry.step + 1}: {entry.block_type}{" "}
            <span className="muted">
              {entry.execution_time.toFixed(3)} s
              {entry.import_time !== undefined && ` (host calls ${entry.import_time.toFixed(3)} s)`}
            </span>
          </h4>
          {entry.error && (
            <p className="bad" role="alert">
              Error: {entry.error}
            </p>
          )}
          <details>
            <summary>Input</summary>
            <Json value={entry.input} />
          </details>
          <details open>
            <summary>Output</summary>
            <Json value={entry.output} />
          </details>
          <details>
            <summary>State after</summary>
            <Json value={entry.accumulated_state} />
          </details>
          {entry.logs && entry.logs.length > 0 && (
            <details>
              <summary>Logs ({entry.logs.length})</summary>
              <Json value={entry.logs} />
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}
