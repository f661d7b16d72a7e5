import { describe, expect, it } from "vitest";
import { datasetVersion } from "../test/datasets";
import { describeLineage, fieldTypes, formatBytes, versionLabel } from "./lineage";

describe("describeLineage", () => {
  it("names the uploaded file with its format and size", () => {
    expect(describeLineage({ source: "upload", file_name: "chats.jsonl", format: "jsonl", bytes: 2048 })).toBe(
      "upload of chats.jsonl (jsonl, 2.0 KB)",
    );
    expect(describeLineage({ source: "upload", file_name: null, format: "csv", bytes: 12 })).toBe("upload of a file (csv, 12 B)");
  });

  it("names the job and its pipeline", () => {
    expect(describeLineage({ source: "job", job_id: 4, pipeline_id: 2, pipeline_name: "qa", records: "accepted" })).toBe(
      "job 4 of pipeline qa (accepted records)",
    );
  });

  it("names an operation's inputs and parameters", () => {
    expect(
      describeLineage({
        source: "operation",
        operation: "merge",
        inputs: [
          { dataset: "a", version: 1 },
          { dataset: "b", version: 3 },
        ],
        params: { dedup: "exact", into: "ab" },
      }),
    ).toBe("merge of a v1 + b v3 (dedup exact, into ab)");
    expect(
      describeLineage({
        source: "operation",
        operation: "split",
        inputs: [{ dataset: "a", version: 2 }],
        params: { fractions: { train: 0.8 }, seed: 7, stratify_by: null },
      }),
    ).toBe('split of a v2 (fractions {"train":0.8}, seed 7)');
  });
});

describe("labels", () => {
  it("says a version's rows and a field's types", () => {
    expect(versionLabel(datasetVersion({ number: 3, row_count: 1 }))).toBe("chats v3 · 1 row");
    expect(versionLabel(datasetVersion({ row_count: 120 }))).toBe("chats v1 · 120 rows");
    expect(fieldTypes({ string: 4 })).toBe("string");
    expect(fieldTypes({ integer: 3, null: 1 })).toBe("integer 3, null 1");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MB");
  });
});
