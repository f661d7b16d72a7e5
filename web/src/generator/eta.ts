/** Elapsed time and the estimated time left of a job. */

/** Milliseconds a job has run: until it ended, or until `now`. Never negative. */
export function elapsedMs(createdAt: number, completedAt: number | null, now: number): number {
  return Math.max(0, (completedAt ?? now) - createdAt);
}

/**
 * Milliseconds left at the rate so far (finished runs per elapsed time), or null when it
 * cannot be told yet (nothing finished, no time elapsed, nothing planned). 0 when all done.
 */
export function etaMs(finished: number, total: number, elapsed: number): number | null {
  if (total <= 0) return null;
  if (finished >= total) return 0;
  if (finished <= 0 || elapsed <= 0) return null;
  return Math.round(((total - finished) * elapsed) / finished);
}

/** `1h 02m`, `3m 05s`, `42s`; "—" for null. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "—";
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}
