/** Labels of a quality histogram's bins: ten equal ranges from `min` to `max`. */
import type { QualityScore } from "./report";

/** `"3–4"` on a 0–10 scale, `"0.3–0.4"` on a 0–1 scale: one label per bin. */
export function binLabels(score: Pick<QualityScore, "min" | "max" | "bins">): string[] {
  const n = score.bins.length;
  const width = (score.max - score.min) / n;
  const digits = width >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(width)));
  const at = (i: number) => (score.min + i * width).toFixed(digits);
  return score.bins.map((_, i) => `${at(i)}–${at(i + 1)}`);
}

/** A pass rate as a percentage for people (`"60%"`), or "—" when nothing was checked. */
export function passRateText(rate: number | null): string {
  if (rate === null) return "—";
  return `${Math.round(rate * 1000) / 10}%`;
}
