import { describe, expect, it } from "vitest";
import { elapsedMs, etaMs, formatDuration } from "./eta";

describe("etaMs", () => {
  it("extrapolates the rate so far", () => {
    expect(etaMs(25, 100, 10_000)).toBe(30_000);
    expect(etaMs(1, 3, 500)).toBe(1_000);
  });
  it("is unknown before anything finished", () => {
    expect(etaMs(0, 10, 5_000)).toBeNull();
    expect(etaMs(3, 10, 0)).toBeNull();
    expect(etaMs(0, 0, 5_000)).toBeNull();
  });
  it("is zero once everything finished", () => {
    expect(etaMs(10, 10, 5_000)).toBe(0);
  });
});

describe("elapsedMs", () => {
  it("runs to now while running and stops at completion", () => {
    expect(elapsedMs(1_000, null, 4_000)).toBe(3_000);
    expect(elapsedMs(1_000, 2_500, 9_000)).toBe(1_500);
    expect(elapsedMs(5_000, null, 4_000)).toBe(0);
  });
});

describe("formatDuration", () => {
  it("formats seconds, minutes and hours", () => {
    expect(formatDuration(42_000)).toBe("42s");
    expect(formatDuration(185_000)).toBe("3m 05s");
    expect(formatDuration(3_720_000)).toBe("1h 02m");
    expect(formatDuration(null)).toBe("—");
  });
});
