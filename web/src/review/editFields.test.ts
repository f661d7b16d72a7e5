import { describe, expect, it } from "vitest";
import { draftsOf, valuesOf } from "./editFields";

describe("record field drafts", () => {
  it("round-trips strings and JSON values", () => {
    const values = { text: "hi", n: 3, list: [1, "a"], obj: { x: null } };
    const drafts = draftsOf(values);
    expect(drafts[0]).toEqual({ name: "text", json: false, text: "hi" });
    expect(drafts[1].json).toBe(true);
    expect(valuesOf(drafts)).toEqual({ values });
  });
  it("names the field whose JSON is broken", () => {
    const result = valuesOf([{ name: "n", json: true, text: "{oops" }]);
    expect(result).toMatchObject({ field: "n" });
  });
});
