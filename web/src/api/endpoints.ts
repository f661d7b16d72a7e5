/** One typed function per server endpoint the UI uses. */
import { getJson, getPage, query, sendForm, sendJson, type Page } from "./client";
import type {
  AccumulatedStateSchema,
  BlockInfo,
  ConnectionTest,
  Deleted,
  ExecuteResult,
  ExecuteResults,
  FieldOrder,
  Grant,
  Job,
  JobCancelled,
  JobStarted,
  Model,
  ModelInput,
  ModelKind,
  ModelSaved,
  Pipeline,
  PipelineDeleted,
  PipelineFromTemplate,
  PipelineInput,
  PluginFile,
  PluginGrants,
  PluginUploaded,
  RecordReviewed,
  RecordRow,
  RecordUpdate,
  ReviewStatus,
  Seed,
  SeedReport,
  ServerSettings,
  Template,
  ValidationConfigStored,
} from "./types";

/** Every block with its schema and source. */
export const listBlocks = (signal?: AbortSignal) => getJson<BlockInfo[]>("/api/blocks", signal);

/** Every `.wasm` of the plugins folder, loaded or failed. */
export const listPlugins = (signal?: AbortSignal) => getJson<PluginFile[]>("/api/plugins", signal);

/**
 * Uploads a `.wasm` component into the plugins folder. A block type another plugin file
 * provides answers 409 (`detail.provided_by` names that file) unless `replace` is set; a
 * builtin's type always answers 409 (only the server's `PLUGIN_OVERRIDES` allows it).
 */
export function uploadPlugin(file: File, replace = false): Promise<PluginUploaded> {
  const form = new FormData();
  form.append("file", file, file.name);
  if (replace) form.append("replace", "true");
  return sendForm("/api/plugins", form);
}

/** What the operator grants plugin `name` (of `kind`). */
export const getGrants = (name: string, kind: PluginGrants["kind"], signal?: AbortSignal) =>
  getJson<PluginGrants>(`/api/plugins/${encodeURIComponent(name)}/grants${query({ kind })}`, signal);

/** Replaces plugin `name`'s grant; the server uses it from the next job on. */
export const putGrants = (name: string, kind: PluginGrants["kind"], grant: Grant) =>
  sendJson<PluginGrants>("PUT", `/api/plugins/${encodeURIComponent(name)}/grants${query({ kind })}`, grant);

/** Every server-wide setting. */
export const getSettings = (signal?: AbortSignal) => getJson<ServerSettings>("/api/settings", signal);

/** Changes the settings given; answers all of them. */
export const putSettings = (changes: Partial<ServerSettings>) =>
  sendJson<ServerSettings>("PUT", "/api/settings", changes);

/** A named API key as listed (`/api/settings/api-keys`): never the key itself. */
export interface ApiKey {
  id: number;
  name: string;
  /** The key's first characters, to tell keys apart. */
  prefix: string;
  access: ApiKeyAccess;
  /** ms since the epoch. */
  created_at: number;
}

/** What a named key may do: `read-only` keys may only `GET`. */
export type ApiKeyAccess = "read-only" | "read-write";

/** Every named API key, oldest first. */
export const listApiKeys = (signal?: AbortSignal) => getJson<ApiKey[]>("/api/settings/api-keys", signal);

/** Makes a key; the answer's `key` is shown this once. */
export const createApiKey = (name: string, access: ApiKeyAccess) =>
  sendJson<ApiKey & { key: string }>("POST", "/api/settings/api-keys", { name, access });

/** Deletes a key: requests with it are refused from then on. */
export const deleteApiKey = (id: number) =>
  sendJson<{ message: string; id: number }>("DELETE", `/api/settings/api-keys/${id}`);

/** Every saved pipeline. */
export const listPipelines = (signal?: AbortSignal) => getJson<Pipeline[]>("/api/pipelines", signal);

/** One pipeline. */
export const getPipeline = (id: number, signal?: AbortSignal) =>
  getJson<Pipeline>(`/api/pipelines/${id}`, signal);

/** Saves a new pipeline (validated by the server). */
export const createPipeline = (input: PipelineInput) => sendJson<Pipeline>("POST", "/api/pipelines", input);

/** Replaces a pipeline (validated by the server). */
export const updatePipeline = (id: number, input: PipelineInput) =>
  sendJson<Pipeline>("PUT", `/api/pipelines/${id}`, input);

/** Deletes a pipeline with its jobs and records. */
export const deletePipeline = (id: number) =>
  sendJson<PipelineDeleted>("DELETE", `/api/pipelines/${id}`);

/** The state fields after each block and those the seeds must give. */
export const accumulatedStateSchema = (id: number, signal?: AbortSignal) =>
  getJson<AccumulatedStateSchema>(`/api/pipelines/${id}/accumulated_state_schema`, signal);

/** Stores which fields the review page shows first, second or not at all. */
export const setFieldOrder = (id: number, fieldOrder: FieldOrder) =>
  sendJson<ValidationConfigStored>("PUT", `/api/pipelines/${id}/validation_config`, {
    field_order: fieldOrder,
  });

/** Runs a saved pipeline once on `state`. */
export const executePipeline = (id: number, state: Record<string, unknown>) =>
  sendJson<ExecuteResult | ExecuteResults>("POST", `/api/pipelines/${id}/execute`, state);

/** The template gallery. */
export const listTemplates = (signal?: AbortSignal) => getJson<Template[]>("/api/templates", signal);

/** Saves a pipeline from a template. */
export const pipelineFromTemplate = (templateId: string) =>
  sendJson<PipelineFromTemplate>("POST", `/api/pipelines/from_template/${encodeURIComponent(templateId)}`);

/** Checks seeds against a saved pipeline. */
export const validateSeeds = (pipelineId: number, seeds: Seed[]) =>
  sendJson<SeedReport>("POST", "/api/seeds/validate", { pipeline_id: pipelineId, seeds });

/** Starts a job over a seed file, or without one (null) when the pipeline starts with a seeder. */
export function startJob(pipelineId: number, file: File | null, concurrency?: number): Promise<JobStarted> {
  const form = new FormData();
  form.append("pipeline_id", String(pipelineId));
  if (concurrency !== undefined) form.append("concurrency", String(concurrency));
  if (file) form.append("file", file, file.name);
  return sendForm("/api/generate", form);
}

/** One job. */
export const getJob = (id: number, signal?: AbortSignal) => getJson<Job>(`/api/jobs/${id}`, signal);

/** Jobs, newest first. */
export const listJobs = (pipelineId?: number, signal?: AbortSignal) =>
  getJson<Job[]>(`/api/jobs${query({ pipeline_id: pipelineId })}`, signal);

/** Jobs still running (`/api/jobs/active` is DataGenFlow's one running job, 404 when none). */
export const activeJobs = (signal?: AbortSignal) => getJson<Job[]>("/api/jobs?status=running", signal);

/** Cancels a running job. */
export const cancelJob = (id: number) => sendJson<JobCancelled>("DELETE", `/api/jobs/${id}`);

/** Filters of the records list and the export. */
export interface RecordFilter {
  status?: ReviewStatus | "";
  job_id?: number;
  pipeline_id?: number;
}

/** A page of records with the total. */
export const listRecords = (
  filter: RecordFilter & { limit: number; offset: number },
  signal?: AbortSignal,
): Promise<Page<RecordRow>> => getPage<RecordRow>(`/api/records${query({ ...filter })}`, signal);

/** One record with its trace. */
export const getRecord = (id: number, signal?: AbortSignal) => getJson<RecordRow>(`/api/records/${id}`, signal);

/** Reviews or edits a record. */
export const updateRecord = (id: number, update: RecordUpdate) =>
  sendJson<RecordReviewed>("PUT", `/api/records/${id}`, update);

/** Export formats. */
export type ExportFormat = "jsonl" | "json" | "csv";

/** The download URL of an export. */
export const exportUrl = (filter: RecordFilter, format: ExportFormat) =>
  `/api/export/download${query({ ...filter, format })}`;

const modelsPath = (kind: ModelKind) => (kind === "llm" ? "/api/llm-models" : "/api/embedding-models");

/** Registered models of a kind. */
export const listModels = (kind: ModelKind, signal?: AbortSignal) => getJson<Model[]>(modelsPath(kind), signal);

/** Registers a model. */
export const createModel = (kind: ModelKind, input: ModelInput) =>
  sendJson<ModelSaved>("POST", modelsPath(kind), input);

/** Updates a model (omitted fields and a masked key keep their stored values). */
export const updateModel = (kind: ModelKind, name: string, input: ModelInput) =>
  sendJson<ModelSaved>("PUT", `${modelsPath(kind)}/${encodeURIComponent(name)}`, input);

/** Deletes a model. */
export const deleteModel = (kind: ModelKind, name: string) =>
  sendJson<Deleted>("DELETE", `${modelsPath(kind)}/${encodeURIComponent(name)}`);

/** Makes a model its kind's default. */
export const setDefaultModel = (kind: ModelKind, name: string) =>
  sendJson<Model>("PUT", `${modelsPath(kind)}/${encodeURIComponent(name)}/default`);

/** Sends one real request to a model (saved, or as given) and reports the latency. */
export const testModel = (kind: ModelKind, input: ModelInput) =>
  sendJson<ConnectionTest>("POST", `${modelsPath(kind)}/test`, input);
