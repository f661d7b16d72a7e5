/** Preview: runs the saved pipeline once on a seed (typed as JSON or read from a file) and
 * shows the result and the trace step by step. */
import { useEffect, useRef, useState } from "react";
import { ApiError } from "../api/errors";
import type { RunAnswer } from "../api/schema";
import { traceOf, type TraceEntry } from "../trace/traceEntry";
import { executePipeline } from "./pipelineCalls";
import { ErrorMessage } from "../components/RequestState";
import { withoutDetail } from "./errorDetail";
import { seedState, seedTemplate } from "./seedInput";
import { TraceSteps } from "../trace/TraceSteps";

/** Props of {@link PreviewPanel}. */
export interface PreviewPanelProps {
  /** Saves the pipeline when it changed; answers its id, or null when it cannot be saved. */
  ensureSaved: () => Promise<number | null>;
  /** The fields the seed must give (to start the seed from). */
  seedFields: string[];
}

type Outcome = { kind: "ok"; results: RunAnswer[] } | { kind: "failed"; error: unknown; trace: TraceEntry[] };

function RunResult({ result, index, count }: { result: RunAnswer; index: number; count: number }) {
  return (
    <section className="run-result">
      {count > 1 && <h3>Run {index + 1} of {count}</h3>}
      <h4>Result (final state)</h4>
      <pre>{JSON.stringify(result.result, null, 2)}</pre>
      {result.pipeline_output !== null && result.pipeline_output !== undefined && (
        <>
          <h4>Pipeline output</h4>
          <pre>{JSON.stringify(result.pipeline_output, null, 2)}</pre>
        </>
      )}
      <p className="muted">
        Tokens: {result.usage?.input_tokens ?? 0} in, {result.usage?.output_tokens ?? 0} out
      </p>
      <h4>Trace</h4>
      <TraceSteps trace={result.trace} stepTestIdPrefix={index === 0 ? "trace-step-" : `trace-run-${index}-step-`} />
    </section>
  );
}

/** The panel. */
export function PreviewPanel({ ensureSaved, seedFields }: PreviewPanelProps) {
  const [text, setText] = useState(() => seedTemplate(seedFields));
  const touched = useRef(false);
  const [inputError, setInputError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const seedKey = seedFields.join("\n");
  useEffect(() => {
    if (!touched.current) setText(seedTemplate(seedKey ? seedKey.split("\n") : []));
  }, [seedKey]);

  const edit = (next: string) => {
    touched.current = true;
    setText(next);
  };
  const pickFile = async (file: File | undefined) => {
    if (!file) return;
    edit(await file.text());
  };
  const run = async () => {
    const seed = seedState(text);
    if ("error" in seed) {
      setInputError(seed.error);
      return;
    }
    setInputError(null);
    setRunning(true);
    setOutcome(null);
    try {
      const id = await ensureSaved();
      if (id === null) {
        setInputError("the pipeline must be saved (and valid) before a preview");
        return;
      }
      const answer = await executePipeline(id, seed.state);
      setOutcome({ kind: "ok", results: "results" in answer ? answer.results : [answer] });
    } catch (e) {
      const trace = e instanceof ApiError ? traceOf(e.detail.trace) : [];
      // The trace is shown step by step below, not as a detail line.
      setOutcome({ kind: "failed", error: withoutDetail(e, ["trace"]), trace });
    } finally {
      setRunning(false);
    }
  };
  return (
    <section className="preview" aria-labelledby="preview-heading">
      <h2 id="preview-heading">Preview</h2>
      <label className="preview-seed">
        Seed (JSON: the initial state, or a seed file's entry)
        <textarea data-testid="preview-seed" rows={6} value={text} onChange={(e) => edit(e.target.value)} spellCheck={false} />
      </label>
      <div className="row preview-input">
        <label>
          Seed file
          <input type="file" accept=".json,.jsonl,application/json" onChange={(e) => void pickFile(e.target.files?.[0])} />
        </label>
        <button type="button" className="primary" data-testid="run-preview" disabled={running} onClick={() => void run()}>
          {running ? "Running…" : "Run preview"}
        </button>
      </div>
      <p className="muted">Runs the saved pipeline (saving your changes first) on this seed, once.</p>
      {inputError && (
        <p className="bad" role="alert">
          {inputError}
        </p>
      )}
      {running && <p role="status">Running the pipeline…</p>}
      {outcome && (
        <div data-testid="preview-result" className={`preview-result ${outcome.kind}`}>
          {outcome.kind === "ok" ? (
            outcome.results.map((result, index) => <RunResult key={index} result={result} index={index} count={outcome.results.length} />)
          ) : (
            <>
              <ErrorMessage error={outcome.error} />
              {outcome.trace.length > 0 && (
                <>
                  <h4>Trace</h4>
                  <TraceSteps trace={outcome.trace} />
                </>
              )}
            </>
          )}
        </div>
      )}
    </section>
  );
}
