/**
 * Types of the blockforge server's JSON under the names the pages use. Answers come from the
 * server's OpenAPI description (`openapi.json`, made into `openapi.gen.ts` by `npm run gen:api`
 * at every build); what the server leaves free-form (a block's config schema, a trace, a
 * quality report) or a plain string (a review status, a provider) is narrowed here. Request
 * bodies the server reads as free-form JSON are written out here too. Times are Unix ms.
 */
import type { components } from "./openapi.gen";

/** The server's named schemas. */
type Schemas = components["schemas"];

/** The body of every error answer. */
export type ErrorBody = Schemas["ErrorBody"];

/** Token counts and cost of a run, a job or a block call. */
export type Usage = Schemas["Usage"];

/** A host capability a block declares. */
export type Capability = Schemas["BlockCapability"];

/** Where a block came from. */
export type BlockSource = Schemas["BlockSource"];

/** A JSON Schema (the subset the UI reads; anything else passes through). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  writeOnly?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  additionalProperties?: boolean | JsonSchema;
  [keyword: string]: unknown;
}

/** One block of `GET /api/blocks`, its config schema read as a JSON Schema. */
export type BlockInfo = Omit<Schemas["BlockView"], "config_schema"> & { config_schema: JsonSchema };

/** One `.wasm` file of the plugins folder (`GET /api/plugins`). */
export type PluginFile = Schemas["PluginFileView"];

/** A capability an operator grants (`http` is reserved for a later contract version). */
export type GrantCapability = Schemas["Capability"];

/** What the operator grants one plugin (`PUT /api/plugins/{name}/grants`). */
export type Grant = Schemas["Grant"];

/** The `http` part of a grant: hosts or URL patterns, and limits (absent: the defaults). */
export type GrantHttp = Schemas["GrantHttp"];

/** A server's limits in a grant's units (bytes, milliseconds, keys). */
export type ServerLimitValues = Schemas["LimitValues"];

/** `GET /api/plugins/{name}/grants`. */
export type PluginGrants = Schemas["PluginGrants"];

/** One block of a pipeline definition. */
export type BlockSpec = Schemas["BlockSpec"];

/** A pipeline's token and time budgets. */
export type Constraints = Schemas["Constraints"];

/** A pipeline definition (`{name, blocks, constraints}`). */
export type PipelineDefinition = Schemas["PipelineDefinition"];

/** The review page's field groups. */
export type FieldOrder = Schemas["FieldOrder"];

/** A pipeline's review settings. */
export type ValidationConfig = Schemas["ValidationConfig"];

/** A saved pipeline. */
export type Pipeline = Schemas["PipelineView"];

/** A pipeline saved from a template (`POST /api/pipelines/from_template/{id}`). */
export type PipelineFromTemplate = Schemas["PipelineFromTemplate"];

/** The body of `POST`/`PUT /api/pipelines`. */
export interface PipelineInput {
  name: string;
  definition: PipelineDefinition;
}

/** One template of the gallery (the server always sends `id`: the template file's name). */
export type Template = Omit<Schemas["Template"], "id"> & { id: string };

/** One step of `accumulated_state_schema`. */
export type StateStep = Schemas["StepFields"];

/** `GET /api/pipelines/{id}/accumulated_state_schema`. */
export type AccumulatedStateSchema = Schemas["StateFields"];

/** One seed: how many runs and their initial state. */
export interface Seed {
  repetitions: number;
  metadata: Record<string, unknown>;
}

/** One seed's problems in a validation report (`seed` counts from 1). */
export type SeedIssues = Schemas["SeedIssues"];

/** `POST /api/seeds/validate`. */
export type SeedReport = Schemas["SeedValidation"];

/** Where a job stands. */
export type JobStatus = Schemas["JobStatus"];

/** One criterion's score distribution at one step in a job's quality report. */
export interface QualityScore {
  /** The step that wrote the scores (from 0). */
  step: number;
  /** Its block type. */
  block_type: string;
  /** The criterion (the key the block wrote the score under). */
  name: string;
  /** `judge`: 0–10; `metric`: 0–1. */
  scale: "judge" | "metric";
  min: number;
  max: number;
  /** Counts of ten equal bins from `min` to `max` (the maximum in the last; scores outside are not counted). */
  bins: number[];
  count: number;
  mean: number | null;
}

/** What one check (a pipeline step) did to the job's records. */
export interface QualityBlock {
  step: number;
  block_type: string;
  checked: number;
  flagged: number;
  fixed: number;
  removed: number;
}

/** A job's quality report (`quality` of `GET /api/jobs/{id}`). */
export interface Quality {
  /** Records that completed with a check run on them, or that a check removed. */
  checked: number;
  /** Of those, records that completed and no step flagged. */
  passed: number;
  /** `passed / checked`; null before any record was checked. */
  pass_rate: number | null;
  /** Records whose run failed for another reason than a check removing them (not checked). */
  failed: number;
  scores: QualityScore[];
  blocks: QualityBlock[];
}

/** A job (`GET /api/jobs/{id}`, the SSE `progress` and `done` events), its quality report read. */
export type Job = Omit<Schemas["JobView"], "quality"> & {
  /** Only in `GET /api/jobs/{id}`: what its checks, judges and metrics found. */
  quality?: Quality;
};

/** A record's review status. */
export type ReviewStatus = "pending" | "accepted" | "rejected" | "edited";

/** Every review status, in display order. */
export const REVIEW_STATUSES: ReviewStatus[] = ["pending", "accepted", "rejected", "edited"];

/** One LLM call of a trace step. */
export interface LlmCall {
  model: string;
  provider: string;
  /** Tries made (1 when the first answered). */
  attempts: number;
  /** Time spent waiting: for a slot, for the rate limits and in backoff between attempts, in ms. */
  wait_ms: number;
  /** The part of `wait_ms` spent waiting for the requests- and tokens-per-minute limits, in ms. */
  rate_wait_ms?: number;
  /** From the call to its answer, waits included, in ms. */
  duration_ms?: number;
  /** `ok` or `failed`. */
  status: string;
  error: string | null;
}

/** One step of a run's trace. */
export interface TraceEntry {
  block_type: string;
  step: number;
  input: Record<string, unknown>;
  output: unknown;
  accumulated_state: Record<string, unknown>;
  execution_time: number;
  import_time?: number;
  error: string | null;
  /** Why the block failed, with the evidence: its stderr and its error's detail. */
  failure?: { kind?: string; message?: string; stderr?: string; detail?: unknown };
  usage?: Usage;
  logs?: unknown[];
  /** Log lines past the kept ones. */
  logs_dropped?: number;
  /** The LLM calls the block made (servers that report them). */
  llm_calls?: LlmCall[];
}

/** A stored record, its review status and trace read. */
export type RecordRow = Omit<Schemas["RecordRow"], "status" | "run_status" | "trace"> & {
  status: ReviewStatus;
  run_status: "completed" | "failed";
  trace: TraceEntry[];
};

/** The body of `PUT /api/records/{id}`. */
export interface RecordUpdate {
  status?: ReviewStatus;
  output?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** `POST /api/pipelines/{id}/execute` (one run), its trace read. */
export type ExecuteResult = Omit<Schemas["RunAnswer"], "trace"> & { trace: TraceEntry[] };

/** `POST /api/pipelines/{id}/execute` after a multiplier. */
export interface ExecuteResults {
  results: ExecuteResult[];
}

/** Which registry: chat models or embedding models. */
export type ModelKind = "llm" | "embedding";

/** The providers the server accepts. */
export const PROVIDERS = ["openai", "anthropic", "gemini", "ollama"] as const;

/** A provider name. */
export type Provider = (typeof PROVIDERS)[number];

/** A registered model; `api_key` is always masked. */
export type Model = Omit<Schemas["ModelView"], "provider"> & { provider: Provider };

/** The body of model create/update/test; omitted fields keep their stored value on update. */
export type ModelInput = Schemas["ModelInput"];

/** `POST /api/{llm,embedding}-models/test`. */
export type ConnectionTest = Schemas["ConnectionTest"];

/** `DELETE /api/pipelines/{id}`. */
export type PipelineDeleted = Schemas["PipelineDeleted"];

/** `PUT /api/pipelines/{id}/validation_config`. */
export type ValidationConfigStored = Schemas["ValidationConfigStored"];

/** `POST /api/generate`. */
export type JobStarted = Schemas["JobStarted"];

/** `DELETE /api/jobs/{id}`. */
export type JobCancelled = Schemas["JobCancelled"];

/** `PUT /api/records/{id}`: the record as stored after the review. */
export type RecordReviewed = RecordRow & Pick<Schemas["RecordReviewed"], "success">;

/** `POST /api/plugins`: the file written and its block. */
export type PluginUploaded = Schemas["PluginUploaded"];

/** A model saved or changed, with the server's `message`. */
export type ModelSaved = Schemas["ModelSaved"];

/** A delete by name (a model, a dataset). */
export type Deleted = Schemas["Deleted"];

/** Server-wide settings (`GET/PUT /api/settings`). */
export type ServerSettings = Schemas["Settings"];

/** The SSE `record` event. */
export interface RecordEvent {
  record_id: number;
  run_status: "completed" | "failed";
}
