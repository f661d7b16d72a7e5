import { describe, expect, it } from "vitest";
import { parseSeedFile, SeedFileError, seedFormat } from "./seedFile";

describe("seedFormat", () => {
  it("picks the reader by extension, case-insensitively", () => {
    expect(seedFormat("a.JSONL")).toBe("jsonl");
    expect(seedFormat("a.json")).toBe("json");
    expect(seedFormat("a.csv")).toBe("csv");
    expect(seedFormat("notes.markdown")).toBe("md");
    expect(seedFormat("a.txt")).toBe("txt");
    expect(seedFormat("a.xml")).toBeNull();
  });
});

describe("parseSeedFile", () => {
  it("reads a JSON list and a single JSON object", () => {
    const list = parseSeedFile("s.json", '[{"repetitions": 2, "metadata": {"topic": "a"}}, {"metadata": {"topic": "b"}}]');
    expect(list).toEqual([{ repetitions: 2, metadata: { topic: "a" } }, { metadata: { topic: "b" } }]);
    expect(parseSeedFile("s.json", '{"metadata": {"x": 1}}')).toEqual([{ metadata: { x: 1 } }]);
  });

  it("rejects bad JSON, a scalar and an empty list", () => {
    expect(() => parseSeedFile("s.json", "[{")).toThrow(SeedFileError);
    expect(() => parseSeedFile("s.json", "3")).toThrow(/expected a list of seeds/);
    expect(() => parseSeedFile("s.json", "[]")).toThrow(/no seeds/);
  });

  it("reads JSON Lines, skipping blank lines, and names the bad line", () => {
    expect(parseSeedFile("s.jsonl", '{"metadata": {"a": 1}}\n\n{"metadata": {"a": 2}}\n')).toEqual([
      { metadata: { a: 1 } },
      { metadata: { a: 2 } },
    ]);
    expect(() => parseSeedFile("s.jsonl", '{"metadata": {}}\n{oops}\n')).toThrow(/^line 2:/);
  });

  it("reads CSV with a header row, quoted fields and a repetitions column", () => {
    const seeds = parseSeedFile("s.csv", 'topic,repetitions,note\n"cats, big",3,"say ""hi"""\ndogs,1,\n');
    expect(seeds).toEqual([
      { repetitions: 3, metadata: { topic: "cats, big", note: 'say "hi"' } },
      { repetitions: 1, metadata: { topic: "dogs", note: "" } },
    ]);
  });

  it("keeps a CSV row with zero repetitions (the server makes no run for it)", () => {
    expect(parseSeedFile("s.csv", "topic,repetitions\nx,0\ny,2\n")).toEqual([
      { repetitions: 0, metadata: { topic: "x" } },
      { repetitions: 2, metadata: { topic: "y" } },
    ]);
  });

  it("rejects CSV rows of the wrong width and non-integer repetitions", () => {
    expect(() => parseSeedFile("s.csv", "a,b\n1\n")).toThrow(/row 2/);
    expect(() => parseSeedFile("s.csv", "a,repetitions\nx,two\n")).toThrow(/row 2: `repetitions`/);
    expect(() => parseSeedFile("s.csv", "a\n")).toThrow(/no seeds/);
  });

  it("reads Markdown as one seed with file_content", () => {
    expect(parseSeedFile("doc.md", "# Title\n\nBody")).toEqual([
      { repetitions: 1, metadata: { file_content: "# Title\n\nBody" } },
    ]);
    expect(() => parseSeedFile("doc.md", "  \n")).toThrow(/empty/);
  });

  it("reads a .txt list of URLs, one seed each, and names a bad line", () => {
    expect(parseSeedFile("urls.TXT", "# pages\nhttps://a.test/1\n\n  http://127.0.0.1:8/b  \n")).toEqual([
      { repetitions: 1, metadata: { url: "https://a.test/1" } },
      { repetitions: 1, metadata: { url: "http://127.0.0.1:8/b" } },
    ]);
    expect(() => parseSeedFile("u.txt", "https://a.test/\nftp://b/x\n")).toThrow(/line 2: .*not an http/);
    expect(() => parseSeedFile("u.txt", "https://a.test/\nnot a url\n")).toThrow(/line 2: .*not a URL/);
    expect(() => parseSeedFile("u.txt", "# nothing\n")).toThrow(/no URLs/);
  });

  it("refuses other file types", () => {
    expect(() => parseSeedFile("s.xml", "{}")).toThrow(/unsupported/);
  });
});
