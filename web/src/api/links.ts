/**
 * Query strings as the UI sends them, for the client's requests and for plain download links
 * (a link's `href` goes through no client): the defined, non-empty values, form-encoded.
 */

/** A query's values (empty ones are left out). */
export type QueryValues = Record<string, string | number | boolean | null | undefined>;

/** The query string of `values` without the leading `?` ("" when none is set). */
export function queryString(values: QueryValues): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  return search.toString();
}

/** `path` with the query string of `values`. */
export function withQuery(path: string, values: QueryValues): string {
  const text = queryString(values);
  return text ? `${path}?${text}` : path;
}

/** The download URL of an export of records (`GET /api/export/download`). */
export const recordsExportUrl = (filter: QueryValues, format: string) => withQuery("/api/export/download", { ...filter, format });

/** The download URL of a dataset version in `format`. */
export const datasetExportUrl = (name: string, version: number, format: string) =>
  withQuery(`/api/datasets/${encodeURIComponent(name)}/export`, { version, format });

/** The URL of a version's dataset card (README.md) with the metadata given. */
export const datasetCardUrl = (name: string, version: number, meta: QueryValues) =>
  withQuery(`/api/datasets/${encodeURIComponent(name)}/card`, { version, ...meta });
