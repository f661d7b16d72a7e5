/**
 * A job's quality report: the pass rate, one histogram per scored criterion and what each
 * check flagged, fixed or removed. Plain SVG, so the job card needs no chart library.
 */
import type { Quality, QualityBlock, QualityScore } from "./report";
import { binLabels, passRateText } from "./bins";

const WIDTH = 220;
const HEIGHT = 80;

/** One criterion's ten bins at one step as bars (`data-testid="score-histogram"`, one `rect` per bin). */
export function ScoreHistogram({ score }: { score: QualityScore }) {
  const labels = binLabels(score);
  const tallest = Math.max(1, ...score.bins);
  const barWidth = WIDTH / score.bins.length;
  return (
    <figure className="quality-histogram" data-testid="score-histogram" data-name={score.name} data-step={score.step}>
      <figcaption>
        <b>{score.name}</b>{" "}
        <span className="muted">
          step {score.step + 1} {score.block_type} ·{" "}
          {score.min}–{score.max} · {score.count} score{score.count === 1 ? "" : "s"}
          {score.mean !== null && ` · mean ${score.mean.toFixed(2)}`}
        </span>
      </figcaption>
      <svg width={WIDTH} height={HEIGHT + 14} role="img" aria-label={`${score.name} scores: ${score.bins.join(", ")}`}>
        {score.bins.map((count, i) => {
          const height = (count / tallest) * HEIGHT;
          return (
            <rect
              key={i}
              data-bin={i}
              data-count={count}
              x={i * barWidth + 1}
              y={HEIGHT - height}
              width={barWidth - 2}
              height={height}
              fill="var(--accent)"
            >
              <title>
                {labels[i]}: {count}
              </title>
            </rect>
          );
        })}
        <line x1={0} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} stroke="var(--border)" />
        <text x={0} y={HEIGHT + 12} fontSize={10} fill="var(--muted)">
          {score.min}
        </text>
        <text x={WIDTH} y={HEIGHT + 12} fontSize={10} fill="var(--muted)" textAnchor="end">
          {score.max}
        </text>
      </svg>
    </figure>
  );
}

/** The checks' table: per step, records checked, flagged, fixed and removed. */
function BlockTable({ blocks }: { blocks: QualityBlock[] }) {
  return (
    <div className="table-wrap">
      <table data-testid="quality-blocks">
        <thead>
          <tr>
            <th>Step</th>
            <th>Block</th>
            <th>Checked</th>
            <th>Flagged</th>
            <th>Fixed</th>
            <th>Removed</th>
          </tr>
        </thead>
        <tbody>
          {blocks.map((b) => (
            <tr key={`${b.step}-${b.block_type}`} data-step={b.step}>
              <td>{b.step + 1}</td>
              <td>{b.block_type}</td>
              <td>{b.checked}</td>
              <td className={b.flagged > 0 ? "warn" : undefined}>{b.flagged}</td>
              <td className={b.fixed > 0 ? "ok" : undefined}>{b.fixed}</td>
              <td className={b.removed > 0 ? "bad" : undefined}>{b.removed}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Whether a report has anything to show. */
export function hasQuality(quality: Quality | undefined): quality is Quality {
  return quality !== undefined && (quality.checked > 0 || quality.scores.length > 0 || quality.blocks.length > 0);
}

/** The whole report (`data-testid="quality-report"`); nothing for a job without checks or scores. */
export function QualityReport({ quality }: { quality: Quality | undefined }) {
  if (!hasQuality(quality)) return null;
  return (
    <section className="quality-report" data-testid="quality-report" aria-label="Quality">
      <h4 style={{ margin: "0.5rem 0" }}>Quality</h4>
      {quality.checked > 0 && (
        <p>
          pass rate <b data-testid="pass-rate">{passRateText(quality.pass_rate)}</b>{" "}
          <span className="muted">
            ({quality.passed} of {quality.checked} checked records
            {quality.failed > 0 && `; ${quality.failed} failed otherwise`})
          </span>
        </p>
      )}
      {quality.scores.length > 0 && (
        <div className="row" style={{ flexWrap: "wrap", gap: "1rem" }}>
          {quality.scores.map((s) => (
            <ScoreHistogram key={`${s.step}-${s.block_type}-${s.scale}-${s.name}`} score={s} />
          ))}
        </div>
      )}
      {quality.blocks.length > 0 && <BlockTable blocks={quality.blocks} />}
    </section>
  );
}
