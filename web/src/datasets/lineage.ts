/** A version's lineage in words, for the versions table and the operation results. */
import type { DatasetVersion, Lineage } from "../api/schema";

/** A byte count as B, KB or MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The parameters worth reading in a line (objects as compact JSON). */
function paramsText(params: unknown): string {
  if (!params || typeof params !== "object") return "";
  const parts = Object.entries(params as Record<string, unknown>)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key} ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
  return parts.join(", ");
}

/** What made a version: "upload of chats.jsonl (jsonl, 1.2 KB)", "merge of a v1 + b v2 (dedup exact)"... */
export function describeLineage(lineage: Lineage): string {
  switch (lineage.source) {
    case "upload":
      return `upload of ${lineage.file_name ?? "a file"} (${lineage.format}, ${formatBytes(lineage.bytes)})`;
    case "job":
      return `job ${lineage.job_id} of pipeline ${lineage.pipeline_name || lineage.pipeline_id} (${lineage.records} records)`;
    case "operation": {
      const inputs = lineage.inputs.map((input) => `${input.dataset} v${input.version}`).join(" + ");
      const params = paramsText(lineage.params);
      return `${lineage.operation} of ${inputs || "nothing"}${params ? ` (${params})` : ""}`;
    }
  }
}

/** A new version in one line: "chats v3 · 120 rows". */
export function versionLabel(version: Pick<DatasetVersion, "dataset" | "number" | "row_count">): string {
  return `${version.dataset} v${version.number} · ${version.row_count} ${version.row_count === 1 ? "row" : "rows"}`;
}

/** A field's types as "string" or "integer 3, null 1". */
export function fieldTypes(types: Record<string, number>): string {
  const entries = Object.entries(types);
  if (entries.length === 1) return entries[0][0];
  return entries.map(([type, count]) => `${type} ${count}`).join(", ");
}
