/** Reading usage and cost from the server's JSON, whichever way a server version spells cost. */
import type { Usage } from "./types";

const COST_KEYS = ["cost", "total_cost", "cost_usd"];

function numberAt(value: unknown, key: string): number | null {
  if (!value || typeof value !== "object") return null;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === "number" && Number.isFinite(found) ? found : null;
}

/**
 * The dollar cost of a job, record or trace entry when the server sends one (on the object or
 * in its `usage`), else null (older servers, or a model without a price).
 */
export function costOf(item: { usage?: Usage | null } | null | undefined): number | null {
  if (!item) return null;
  for (const holder of [item, item.usage]) {
    for (const key of COST_KEYS) {
      const cost = numberAt(holder, key);
      if (cost !== null) return cost;
    }
  }
  return null;
}

/** Input plus output tokens. */
export function totalTokens(usage: Usage | null | undefined): number {
  return (usage?.input_tokens ?? 0) + (usage?.output_tokens ?? 0);
}

/** `$0.0123`; small amounts keep four decimals. */
export function formatCost(cost: number): string {
  return `$${cost < 1 ? cost.toFixed(4) : cost.toFixed(2)}`;
}
