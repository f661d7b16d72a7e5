import { describe, expect, it } from "vitest";
import { fraction, wholeNumber } from "./numbers";

describe("number boxes", () => {
  it("reads whole numbers of at least 0", () => {
    expect(wholeNumber("42")).toBe(42);
    expect(wholeNumber(" 0 ")).toBe(0);
    expect(wholeNumber("")).toBeNull();
    expect(wholeNumber("-1")).toBeNull();
    expect(wholeNumber("1.5")).toBeNull();
    expect(wholeNumber("99999999999999999999")).toBeNull();
  });

  it("reads fractions of at least 0", () => {
    expect(fraction("0.8")).toBe(0.8);
    expect(fraction("0")).toBe(0);
    expect(fraction("")).toBeNull();
    expect(fraction("-0.1")).toBeNull();
    expect(fraction("a")).toBeNull();
  });
});
