/**
 * The datasets endpoints (`/api/datasets`, README's *Datasets*) and their JSON, typed. Kept
 * beside `endpoints.ts` so the page brings its own calls without reshaping the shared client.
 */
import { apiFetch, getJson, query, sendJson } from "./client";

/** A file format a dataset is imported from or exported to. */
export type FileFormat = "jsonl" | "json" | "csv" | "parquet";

/** Every file format, in the order the UI offers them. */
export const FILE_FORMATS: readonly FileFormat[] = ["jsonl", "json", "csv", "parquet"];

/** The chat and instruction formats `convert` reads and writes (the server's `Format::ALL`). */
export const CHAT_FORMATS = ["openai", "sharegpt", "alpaca", "alpaca_system", "chatml", "vicuna", "llama3"] as const;

/** One chat or instruction format. */
export type ChatFormat = (typeof CHAT_FORMATS)[number];

/** A dataset in the list: its newest version's number and row count. */
export interface DatasetSummary {
  id: number;
  name: string;
  latest_version: number;
  row_count: number;
  created_at: number;
  updated_at: number;
}

/** One version of one dataset, by name and number. */
export interface VersionRef {
  dataset: string;
  version: number;
}

/** What made a version. */
export type Lineage =
  | { source: "upload"; file_name: string | null; format: string; bytes: number }
  | { source: "job"; job_id: number; pipeline_id: number; pipeline_name: string; records: string }
  | { source: "operation"; operation: string; inputs: VersionRef[]; params: unknown };

/** One field of a schema summary: JSON type → rows that held it. */
export interface FieldSummary {
  name: string;
  types: Record<string, number>;
}

/** Every field a version's rows hold, in first-seen order. */
export interface SchemaSummary {
  fields: FieldSummary[];
}

/** One ready version. */
export interface DatasetVersion {
  id: number;
  dataset: string;
  number: number;
  parent: number | null;
  lineage: Lineage;
  row_count: number;
  schema: SchemaSummary;
  created_at: number;
}

/** `GET /api/datasets/{name}`: the versions, oldest first. */
export interface DatasetDetail {
  name: string;
  versions: DatasetVersion[];
}

/** A row of a dataset. */
export type DatasetRecord = Record<string, unknown>;

/** What the detection found in a preview's first row. */
export interface Detected {
  family: "chat" | "instruction" | "other";
  format: ChatFormat | null;
  field: string | null;
}

/** `POST /api/datasets/preview`: the first rows, their fields and the detected format. */
export interface Preview {
  format: FileFormat;
  rows: DatasetRecord[];
  fields: SchemaSummary;
  detected: Detected;
}

/** A page of rows; `next_after` is null at the end. */
export interface RowPage {
  dataset: string;
  version: number;
  row_count: number;
  rows: { position: number; row: DatasetRecord }[];
  next_after: number | null;
}

/** Which records of a job to save. */
export type JobRecordChoice = "accepted" | "all";

const base = (name: string) => `/api/datasets/${encodeURIComponent(name)}`;

/** Every dataset, by name. */
export const listDatasets = (signal?: AbortSignal) => getJson<DatasetSummary[]>("/api/datasets", signal);

/** One dataset's versions (404 when there is none of that name). */
export const getDataset = (name: string, signal?: AbortSignal) => getJson<DatasetDetail>(base(name), signal);

/** Deletes a dataset with every version. */
export const deleteDataset = (name: string) => sendJson<unknown>("DELETE", base(name));

/** Sends a file as the raw body and reads the JSON answer. */
async function sendFile<T>(path: string, file: Blob): Promise<T> {
  const response = await apiFetch(path, {
    method: "POST",
    body: file,
    headers: { "Content-Type": "application/octet-stream" },
  });
  return (await response.json()) as T;
}

/** The first `rows` rows of a file with the detected format; saves nothing. */
export const previewFile = (file: File, format: FileFormat | null, rows?: number) =>
  sendFile<Preview>(`/api/datasets/preview${query({ format, file_name: file.name, rows })}`, file);

/** Imports a file as a new version of `name` (made when new). */
export const importFile = (name: string, file: File, format: FileFormat | null) =>
  sendFile<DatasetVersion>(`${base(name)}/import${query({ format, file_name: file.name })}`, file);

/** Saves a job's records as a new version of `name`. */
export const saveJobRecords = (name: string, jobId: number, records: JobRecordChoice) =>
  sendJson<DatasetVersion>("POST", `${base(name)}/from-job`, { job_id: jobId, records });

/** Which rows to read. */
export interface RowQuery {
  version?: number;
  after?: number;
  limit?: number;
  /** `{field: value}`: only rows whose fields equal these values. */
  where?: Record<string, unknown>;
}

/** A page of a version's rows. */
export const listRows = (name: string, rows: RowQuery, signal?: AbortSignal) =>
  getJson<RowPage>(
    `${base(name)}/rows${query({
      version: rows.version,
      after: rows.after,
      limit: rows.limit,
      where: rows.where && Object.keys(rows.where).length > 0 ? JSON.stringify(rows.where) : undefined,
    })}`,
    signal,
  );

/** Replaces the row at `position` of `version`: a new version. */
export const editRow = (name: string, version: number, position: number, row: DatasetRecord) =>
  sendJson<DatasetVersion>("PUT", `${base(name)}/rows/${position}${query({ version })}`, row);

/** Converts every row of `version` to `to` (`from` null: detected): a new version. */
export const convertDataset = (name: string, version: number, from: ChatFormat | null, to: ChatFormat) =>
  sendJson<DatasetVersion>("POST", `${base(name)}/convert`, { version, from: from ?? "auto", to });

/** Merges versions, in order, into a new version of `into`. */
/** How a merge compares rows for near-duplicates (every option has a server default). */
export interface NearOptions {
  /** Jaccard similarity of the word-shingle sets at or above which a row is left out. */
  threshold?: number;
  /** The fields whose text is compared (default: every string value). */
  fields?: string[];
}

/** Merges versions into a new version of `into`; `near` only with `dedup: "near"`. */
export const mergeDatasets = (inputs: VersionRef[], into: string, dedup: "none" | "exact" | "near", near?: NearOptions) =>
  sendJson<DatasetVersion>("POST", "/api/datasets/merge", near ? { inputs, into, dedup, near } : { inputs, into, dedup });

/** A sample's parameters. */
export interface SampleParams {
  version: number;
  n: number;
  seed: number;
  stratify_by: string | null;
  into: string;
}

/** Samples rows of a version into a new version of `into`. */
export const sampleDataset = (name: string, params: SampleParams) =>
  sendJson<DatasetVersion>("POST", `${base(name)}/sample`, params);

/** Splits a version into `<name>.<split>` datasets: one new version each. */
export const splitDataset = (name: string, version: number, fractions: Record<string, number>, seed: number) =>
  sendJson<DatasetVersion[]>("POST", `${base(name)}/split`, { version, fractions, seed });

/** The download URL of a version in `format`. */
export const datasetExportUrl = (name: string, version: number, format: FileFormat) =>
  `${base(name)}/export${query({ version, format })}`;

/** What the card says beside what the server knows. */
export interface CardMeta {
  license?: string;
  /** Comma-separated language codes. */
  language?: string;
  /** Comma-separated Hub task categories. */
  task_categories?: string;
}

/** The URL of a version's dataset card (README.md). */
export const datasetCardUrl = (name: string, version: number, meta: CardMeta) =>
  `${base(name)}/card${query({ version, ...meta })}`;

/** The dataset card's Markdown. */
export async function getCard(name: string, version: number, meta: CardMeta, signal?: AbortSignal): Promise<string> {
  return (await apiFetch(datasetCardUrl(name, version, meta), { signal })).text();
}
