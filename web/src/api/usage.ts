/** Reading usage and cost from the server's JSON, whichever way a server version spells cost. */
import type { Usage } from "./schema";

const COST_KEYS = ["cost", "total_cost", "cost_usd"];

/** A cost as the server reports it: dollars, `null` (the server prices calls but not this
 * model's: unknown price), or `undefined` (the server sends no cost at all). */
export type ReportedCost = number | null | undefined;

function reportedAt(value: unknown, key: string): ReportedCost {
  if (!value || typeof value !== "object" || !(key in value)) return undefined;
  const found = (value as Record<string, unknown>)[key];
  if (typeof found === "number" && Number.isFinite(found)) return found;
  return found === null ? null : undefined;
}

/** The cost of a job, record or trace entry as reported, on the object or in its `usage`: a
 * number wins over a `null` spelled another way. */
export function reportedCost(item: { usage?: Usage | null } | null | undefined): ReportedCost {
  if (!item) return undefined;
  let reported: ReportedCost = undefined;
  for (const holder of [item, item.usage]) {
    for (const key of COST_KEYS) {
      const cost = reportedAt(holder, key);
      if (typeof cost === "number") return cost;
      if (cost === null) reported = null;
    }
  }
  return reported;
}

/**
 * The dollar cost of a job, record or trace entry when the server sends one (on the object or
 * in its `usage`), else null (older servers, or a model without a price).
 */
export function costOf(item: { usage?: Usage | null } | null | undefined): number | null {
  return reportedCost(item) ?? null;
}

/** Input plus output tokens. */
export function totalTokens(usage: Usage | null | undefined): number {
  return (usage?.input_tokens ?? 0) + (usage?.output_tokens ?? 0);
}

/** `$12.34`, `$0.0123`; amounts under a hundredth of a cent keep two significant digits
 * (`$0.0000042`), so a cheap record never reads as free. */
export function formatCost(cost: number): string {
  if (cost >= 1) return `$${cost.toFixed(2)}`;
  if (cost === 0 || cost >= 0.0001) return `$${cost.toFixed(4)}`;
  return `$${Number(cost.toPrecision(2)).toFixed(Math.min(20, 1 - Math.floor(Math.log10(cost))))}`;
}

/** A reported cost for display: dollars, "—" for an unknown price, null when the server sends
 * no cost (show nothing). */
export function costText(cost: ReportedCost): string | null {
  if (cost === undefined) return null;
  return cost === null ? "—" : formatCost(cost);
}

/** The item's cost for display (see {@link costText}). */
export function costLabel(item: { usage?: Usage | null } | null | undefined): string | null {
  return costText(reportedCost(item));
}
