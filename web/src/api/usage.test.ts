import { describe, expect, it } from "vitest";
import { costLabel, costOf, formatCost, reportedCost, totalTokens } from "./usage";

const usage = { input_tokens: 10, output_tokens: 5, cached_tokens: 2 };

describe("costOf", () => {
  it("is null when the server sends no cost", () => {
    expect(costOf({ usage })).toBeNull();
    expect(costOf({ usage: { ...usage, cost: null } })).toBeNull();
    expect(costOf(null)).toBeNull();
  });
  it("reads a cost on the object or in its usage", () => {
    expect(costOf({ usage: { ...usage, cost: 0.25 } })).toBe(0.25);
    expect(costOf({ usage, total_cost: 1.5 } as never)).toBe(1.5);
  });
});

describe("totalTokens and formatCost", () => {
  it("adds input and output and formats dollars", () => {
    expect(totalTokens(usage)).toBe(15);
    expect(totalTokens(undefined)).toBe(0);
    expect(formatCost(0.01234)).toBe("$0.0123");
    expect(formatCost(12.5)).toBe("$12.50");
    expect(formatCost(0)).toBe("$0.0000");
    // A record on a mini model costs a few millionths: it must not read as free.
    expect(formatCost(0.0000042)).toBe("$0.0000042");
    expect(formatCost(0.00001234)).toBe("$0.000012");
  });
});

describe("reportedCost and costLabel", () => {
  it("tells no cost from an unknown price", () => {
    expect(reportedCost({ usage })).toBeUndefined();
    expect(reportedCost({ usage: { ...usage, cost: null } })).toBeNull();
    expect(reportedCost({ usage: { ...usage, cost: null }, cost_usd: 0.5 } as never)).toBe(0.5);
    expect(costLabel({ usage })).toBeNull();
    expect(costLabel({ usage: { ...usage, cost: null } })).toBe("—");
    expect(costLabel({ usage, cost_usd: 0.002 } as never)).toBe("$0.0020");
    expect(costLabel({ usage: { ...usage, cost: 0 } })).toBe("$0.0000");
  });
});
