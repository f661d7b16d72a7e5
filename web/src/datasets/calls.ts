/**
 * The datasets endpoints the page writes through (`/api/datasets`, README's *Datasets*), typed
 * by the generated client; the page's reads are TanStack queries (`api/queries.ts`, `rowsQuery`).
 */
import { queryOptions } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { queryKeys } from "../api/queryKeys";
import type { FileFormat, SampleParams, VersionRef } from "../api/schema";
import type { ChatFormat, DatasetRecord, JobRecordChoice } from "./formats";

/** Sends a file as the raw body (the bytes, as the server reads them). */
const rawFile = (file: Blob) => ({
  body: "",
  bodySerializer: () => file,
  headers: { "Content-Type": "application/octet-stream" },
});

/** The first `rows` rows of a file with the detected format; saves nothing. */
export const previewFile = (file: File, format: FileFormat | null, rows?: number) =>
  data(api.POST("/api/datasets/preview", { params: { query: { format: format ?? undefined, file_name: file.name, rows } }, ...rawFile(file) }));

/** Imports a file as a new version of `name` (made when new). */
export const importFile = (name: string, file: File, format: FileFormat | null) =>
  data(
    api.POST("/api/datasets/{name}/import", {
      params: { path: { name }, query: { format: format ?? undefined, file_name: file.name } },
      ...rawFile(file),
    }),
  );

/** Deletes a dataset with every version. */
export const deleteDataset = (name: string) => data(api.DELETE("/api/datasets/{name}", { params: { path: { name } } }));

/** Saves a job's records as a new version of `name`. */
export const saveJobRecords = (name: string, jobId: number, records: JobRecordChoice) =>
  data(api.POST("/api/datasets/{name}/from-job", { params: { path: { name } }, body: { job_id: jobId, records } }));

/** Which rows to read. */
export interface RowQuery {
  version?: number;
  after?: number;
  limit?: number;
  /** `{field: value}`: only rows whose fields equal these values. */
  where?: Record<string, unknown>;
}

/** A page of a version's rows, as a query. */
export const rowsQuery = (name: string, rows: RowQuery) =>
  queryOptions({
    queryKey: queryKeys.rows(name, rows),
    queryFn: ({ signal }) =>
      data(
        api.GET("/api/datasets/{name}/rows", {
          params: {
            path: { name },
            query: {
              version: rows.version,
              after: rows.after,
              limit: rows.limit,
              where: rows.where && Object.keys(rows.where).length > 0 ? JSON.stringify(rows.where) : undefined,
            },
          },
          signal,
        }),
      ),
  });

/** Replaces the row at `position` of `version`: a new version. */
export const editRow = (name: string, version: number, position: number, row: DatasetRecord) =>
  data(api.PUT("/api/datasets/{name}/rows/{position}", { params: { path: { name, position }, query: { version } }, body: row }));

/** Converts every row of `version` to `to` (`from` null: detected): a new version. */
export const convertDataset = (name: string, version: number, from: ChatFormat | null, to: ChatFormat) =>
  data(api.POST("/api/datasets/{name}/convert", { params: { path: { name } }, body: { version, from: from ?? "auto", to } }));

/** How a merge compares rows for near-duplicates (every option has a server default). */
export interface NearOptions {
  /** Jaccard similarity of the word-shingle sets at or above which a row is left out. */
  threshold?: number;
  /** The fields whose text is compared (default: every string value). */
  fields?: string[];
}

/** Merges versions, in order, into a new version of `into`; `near` only with `dedup: "near"`. */
export const mergeDatasets = (inputs: VersionRef[], into: string, dedup: "none" | "exact" | "near", near?: NearOptions) =>
  data(api.POST("/api/datasets/merge", { body: near ? { inputs, into, dedup, near } : { inputs, into, dedup } }));

/** Samples rows of a version into a new version of `into`. */
export const sampleDataset = (name: string, params: SampleParams) =>
  data(api.POST("/api/datasets/{name}/sample", { params: { path: { name } }, body: params }));

/** Splits a version into `<name>.<split>` datasets: one new version each. */
export const splitDataset = (name: string, version: number, fractions: Record<string, number>, seed: number) =>
  data(api.POST("/api/datasets/{name}/split", { params: { path: { name } }, body: { version, fractions, seed } }));

/** The dataset card's Markdown. */
export const getCard = (name: string, version: number, meta: Record<string, string>) =>
  data(api.GET("/api/datasets/{name}/card", { params: { path: { name }, query: { version, ...meta } }, parseAs: "text" }));
