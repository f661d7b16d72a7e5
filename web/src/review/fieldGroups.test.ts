import { describe, expect, it } from "vitest";
import { assignField, configuredOrder, groupFields, groupOf } from "./fieldGroups";

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

describe("configuredOrder", () => {
  it("treats the server's default empty field order as no order", () => {
    const empty = { primary: [], secondary: [], hidden: [] };
    expect(configuredOrder(empty)).toBeNull();
    expect(groupFields(["topic", "assistant"], empty, ["topic"])).toEqual({ primary: ["assistant"], secondary: ["topic"], hidden: [] });
    expect(groupOf("x", empty)).toBe("primary");
    expect(assignField(empty, ["a", "b"], "b", "hidden")).toEqual({ primary: ["a"], secondary: [], hidden: ["b"] });
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
