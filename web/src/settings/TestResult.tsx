/** The outcome of a connection test, with its latency. */
import type { ConnectionTest } from "../api/schema";

/** "Connected in 123 ms" or the failure. */
export function TestResult({ result }: { result: ConnectionTest }) {
  return (
    <p className={result.success ? "ok" : "bad"} role="status" data-testid="model-test-result">
      {result.success ? "Connected" : "Failed"}
      {result.latency_ms >= 0 && ` in ${result.latency_ms} ms`}: {result.message}
    </p>
  );
}
