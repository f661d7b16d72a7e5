/** The server's seed check (`POST /api/seeds/validate`): valid or not, runs, required fields,
 * errors, warnings and each seed's problems. */
import type { SeedIssues, SeedReport } from "../api/schema";

/** A seed's problems as lines; the server leaves out the lists that are empty. */
function seedProblems(seed: SeedIssues): { seed: number; messages: string[] } {
  return {
    seed: seed.seed,
    messages: [
      ...(seed.errors ?? []),
      ...(seed.missing_fields ?? []).map((f) => `missing ${f}`),
      ...(seed.empty_fields ?? []).map((f) => `empty ${f}`),
    ],
  };
}

/** The report (`data-testid="seed-report"`). */
export function SeedReportView({ report }: { report: SeedReport }) {
  const problems = report.seeds.map(seedProblems).filter((p) => p.messages.length > 0);
  return (
    <div className="seed-report" data-testid="seed-report" aria-live="polite">
      <p className={report.valid ? "ok" : "bad"}>
        {report.valid ? "Seeds are valid" : "Seeds have errors"}: {report.total_runs} run
        {report.total_runs === 1 ? "" : "s"}
        {report.required_fields.length > 0 && <> · required fields: {report.required_fields.join(", ")}</>}
      </p>
      {report.errors.length > 0 && (
        <ul className="bad" aria-label="Seed errors">
          {report.errors.map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      )}
      {report.warnings.length > 0 && (
        <ul className="warn" aria-label="Seed warnings">
          {report.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      {problems.length > 0 && (
        <details>
          <summary>{problems.length} seed(s) with problems</summary>
          <ul>
            {problems.map((s) => (
              <li key={s.seed}>
                seed {s.seed}: {s.messages.join("; ")}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
