/**
 * The TanStack Query keys, one family per resource. A write invalidates its resource's family
 * (and what it changes besides: a record edit changes its job's counts), so every view of it
 * reads again.
 */

/** Filters of the records list, the counts and the export. */
export interface RecordFilter {
  status?: string;
  job_id?: number;
  pipeline_id?: number;
}

/** Every query key the UI uses. */
export const queryKeys = {
  blocks: ["blocks"] as const,
  plugins: ["plugins"] as const,
  grants: (name: string, kind: string) => ["plugins", name, "grants", kind] as const,
  settings: ["settings"] as const,
  apiKeys: ["api-keys"] as const,
  templates: ["templates"] as const,
  pipelines: ["pipelines"] as const,
  pipeline: (id: number) => ["pipelines", id] as const,
  stateSchema: (id: number) => ["pipelines", id, "state"] as const,
  jobs: ["jobs"] as const,
  jobList: (pipelineId?: number) => ["jobs", "list", pipelineId ?? null] as const,
  runningJobs: ["jobs", "running"] as const,
  job: (id: number) => ["jobs", id] as const,
  records: ["records"] as const,
  recordPage: (filter: RecordFilter & { limit: number; offset: number }) => ["records", "page", filter] as const,
  statusCounts: (filter: RecordFilter) => ["records", "counts", filter] as const,
  models: (kind: string) => ["models", kind] as const,
  datasets: ["datasets"] as const,
  dataset: (name: string) => ["datasets", name] as const,
  rows: (name: string, rows: object) => ["datasets", name, "rows", rows] as const,
};
