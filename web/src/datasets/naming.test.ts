import { describe, expect, it } from "vitest";
import { formatFromFileName, nameFromFileName, nameProblem } from "./naming";

describe("dataset names", () => {
  it("takes what the server takes and says why not otherwise", () => {
    expect(nameProblem("chats.v2_final-1")).toBeNull();
    expect(nameProblem("")).toMatch(/needs a name/);
    expect(nameProblem("x".repeat(101))).toMatch(/at most 100/);
    expect(nameProblem("x".repeat(100))).toBeNull();
    expect(nameProblem("my chats")).toMatch(/only ASCII/);
    expect(nameProblem("café")).toMatch(/only ASCII/);
  });

  it("makes a name from a file's stem", () => {
    expect(nameFromFileName("chats.jsonl")).toBe("chats");
    expect(nameFromFileName("My Chats (2024).csv")).toBe("My_Chats_2024");
    expect(nameFromFileName("archive.tar.json")).toBe("archive.tar");
    expect(nameFromFileName("###.json")).toBe("dataset");
    expect(nameProblem(nameFromFileName(`${"é".repeat(300)}a.csv`))).toBeNull();
  });
});

describe("formatFromFileName", () => {
  it("reads the extension, case aside", () => {
    expect(formatFromFileName("a.JSONL")).toBe("jsonl");
    expect(formatFromFileName("a.ndjson")).toBe("jsonl");
    expect(formatFromFileName("a.json")).toBe("json");
    expect(formatFromFileName("a.csv")).toBe("csv");
    expect(formatFromFileName("a.parquet")).toBe("parquet");
    expect(formatFromFileName("a.txt")).toBeNull();
    expect(formatFromFileName("parquet")).toBeNull();
  });
});
