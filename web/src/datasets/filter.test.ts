import { describe, expect, it } from "vitest";
import { filterValue, whereOf } from "./filter";

describe("the row filter", () => {
  it("reads JSON values as JSON and the rest as text", () => {
    expect(filterValue("3")).toBe(3);
    expect(filterValue("true")).toBe(true);
    expect(filterValue('"3"')).toBe("3");
    expect(filterValue("billing")).toBe("billing");
    expect(filterValue("null")).toBeNull();
    expect(filterValue("")).toBe("");
  });

  it("makes the where object only with a field", () => {
    expect(whereOf("topic", "rust")).toEqual({ topic: "rust" });
    expect(whereOf("", "rust")).toBeUndefined();
  });
});
