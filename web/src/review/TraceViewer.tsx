/** A run's trace, block by block: input, output, state after, time, error. */
import type { TraceEntry } from "../api/types";
import { costOf, formatCost } from "../api/usage";
import { Value } from "./Value";

/** The steps of a trace; failed steps are open. */
export function TraceViewer({ trace }: { trace: TraceEntry[] }) {
  if (!Array.isArray(trace) || trace.length === 0) return <p className="muted">No trace.</p>;
  return (
    <ol className="trace" data-testid="trace-viewer">
      {trace.map((entry) => {
        const cost = costOf(entry);
        return (
          <li key={entry.step}>
            <details open={entry.error !== null}>
              <summary>
                <b>
                  {entry.step + 1}. {entry.block_type}
                </b>{" "}
                <span className="muted">
                  {entry.execution_time.toFixed(3)} s
                  {entry.usage && ` · ${entry.usage.input_tokens} in / ${entry.usage.output_tokens} out tokens`}
                  {cost !== null && ` · ${formatCost(cost)}`}
                </span>{" "}
                {entry.error !== null && <span className="badge bad">failed</span>}
              </summary>
              {entry.error !== null && <p className="bad">{entry.error}</p>}
              <div className="grid">
                <div className="field">
                  <h4>Input</h4>
                  <Value value={entry.input} />
                </div>
                <div className="field">
                  <h4>Output</h4>
                  <Value value={entry.output} />
                </div>
                <div className="field">
                  <h4>State after</h4>
                  <Value value={entry.accumulated_state} />
                </div>
              </div>
            </details>
          </li>
        );
      })}
    </ol>
  );
}
