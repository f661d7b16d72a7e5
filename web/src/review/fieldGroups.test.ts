import { describe, expect, it } from "vitest";
import { assignField, groupFields, groupOf } from "./fieldGroups";

describe("groupFields", () => {
  it("shows produced fields as primary and seed fields as secondary without an order", () => {
    expect(groupFields(["a", "b"], null)).toEqual({ primary: ["a", "b"], secondary: [], hidden: [] });
    expect(groupFields(["topic", "assistant"], null, ["topic"])).toEqual({ primary: ["assistant"], secondary: ["topic"], hidden: [] });
  });
  it("keeps the configured order, drops absent fields and puts unlisted ones in secondary", () => {
    const order = { primary: ["b", "gone"], secondary: ["c"], hidden: ["a"] };
    expect(groupFields(["a", "b", "c", "d"], order)).toEqual({ primary: ["b"], secondary: ["c", "d"], hidden: ["a"] });
    expect(groupOf("d", order)).toBe("secondary");
    expect(groupOf("a", order)).toBe("hidden");
  });
});

describe("assignField", () => {
  it("moves a field into one group only", () => {
    const order = assignField({ primary: ["a"], secondary: ["b"], hidden: [] }, ["a", "b"], "a", "hidden");
    expect(order).toEqual({ primary: [], secondary: ["b"], hidden: ["a"] });
  });
  it("starts from everything primary when there is no order", () => {
    expect(assignField(null, ["a", "b"], "b", "secondary")).toEqual({ primary: ["a"], secondary: ["b"], hidden: [] });
  });
});
