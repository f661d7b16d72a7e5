/**
 * Types of the blockforge server's JSON, as host/src/api/*.rs and the README's API table
 * answer it. Times are Unix milliseconds.
 */

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
  detail: Record<string, unknown>;
}

/** Token counts of a run, a job or a block call. Cost fields arrive with a later server change. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  /** Present once the server prices calls. */
  cost?: number | null;
  /** When the job started, Unix seconds (DataGenFlow's key; jobs only). */
  start_time?: number;
  /** When the job ended, Unix seconds; null while it runs (jobs only). */
  end_time?: number | null;
  [extra: string]: unknown;
}

/** A host capability a block declares. */
export type Capability = "llm" | "embeddings" | "kv";

/** Where a block came from. */
export type BlockSource =
  | { kind: "builtin"; crate_name: string }
  | { kind: "plugin"; path: string };

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

/** One block of `GET /api/blocks`. */
export interface BlockInfo {
  type: string;
  name: string;
  description: string;
  category: string;
  inputs: string[];
  outputs: string[];
  config_schema: JsonSchema;
  capabilities: Capability[];
  kind: "transform" | "multiplier";
  is_multiplier: boolean;
  source: BlockSource;
  content_hash: string;
}

/** One `.wasm` file of the plugins folder (`GET /api/plugins`). */
export interface PluginFile {
  file: string;
  path: string;
  /** `loading` while it is compiled and described; the other files do not wait for it. */
  status: "loaded" | "loading" | "failed";
  type: string | null;
  name: string | null;
  content_hash: string;
  error: string | null;
}

/** A capability an operator grants (`http` is reserved for a later contract version). */
export type GrantCapability = "llm" | "embeddings" | "kv" | "log" | "template" | "http";

/** What the operator grants one plugin (`PUT /api/plugins/{name}/grants`). */
export interface Grant {
  capabilities: GrantCapability[];
  /** Model names or glob patterns; `["*"]` allows every model. */
  models: string[];
  kv_quota: { max_keys?: number; max_bytes?: number };
  limits: { memory_bytes?: number; cpu_time_ms?: number; wall_clock_ms?: number; output_bytes?: number };
  /** Where `http` calls may go (none when absent) and their limits. */
  http?: GrantHttp;
}

/** The `http` part of a grant: hosts or URL patterns, and limits (absent: the defaults). */
export interface GrantHttp {
  allow: string[];
  max_response_bytes?: number;
  timeout_ms?: number;
  per_host_per_minute?: number;
  max_requests_per_run?: number;
}

/** A server's limits in a grant's units (bytes, milliseconds, keys). */
export interface ServerLimitValues {
  memory_bytes: number;
  cpu_time_ms: number;
  wall_clock_ms: number;
  output_bytes: number;
  kv_max_keys: number;
  kv_max_bytes: number;
}

/** `GET /api/plugins/{name}/grants`. */
export interface PluginGrants {
  plugin: string;
  kind: "builtin" | "plugin";
  /** Whether the operator stored a grant (else the plugin runs with `default`). */
  stored: boolean;
  grant: Grant;
  default: Grant;
  declared: Capability[] | null;
  /** What a call gets when the grant sets no limit, and the most a grant may give. */
  server_limits: { default: ServerLimitValues; maximum: ServerLimitValues };
}

/** One block of a pipeline definition. */
export interface BlockSpec {
  type: string;
  config: Record<string, unknown>;
}

/** A pipeline's token and time budgets. */
export interface Constraints {
  max_total_tokens?: number | null;
  max_total_input_tokens?: number | null;
  max_total_output_tokens?: number | null;
  max_total_cached_tokens?: number | null;
  max_total_execution_time?: number | null;
}

/** A pipeline definition (`{name, blocks, constraints}`). */
export interface PipelineDefinition {
  name: string;
  description?: string;
  blocks: BlockSpec[];
  constraints?: Constraints;
}

/** The review page's field groups. */
export interface FieldOrder {
  primary: string[];
  secondary: string[];
  hidden: string[];
}

/** A pipeline's review settings. */
export interface ValidationConfig {
  field_order?: FieldOrder;
  [extra: string]: unknown;
}

/** A saved pipeline. */
export interface Pipeline {
  id: number;
  name: string;
  definition: PipelineDefinition;
  /** Never null: an empty field order until one is set. */
  validation_config: ValidationConfig;
  created_at: number;
  updated_at: number;
  template_id?: string;
  /** The first block's type name (null without blocks). */
  first_block_type: string | null;
  /** Whether the first block is a multiplier. */
  first_block_is_multiplier: boolean;
}

/** The body of `POST`/`PUT /api/pipelines`. */
export interface PipelineInput {
  name: string;
  definition: PipelineDefinition;
}

/** One template of the gallery. */
export interface Template {
  id: string;
  name: string;
  description: string;
  example_seed: unknown;
  blocks: BlockSpec[];
}

/** One step of `accumulated_state_schema`. */
export interface StateStep {
  step: number;
  block_type: string;
  reads: string[];
  outputs: string[];
  fields: string[];
}

/** `GET /api/pipelines/{id}/accumulated_state_schema`. */
export interface AccumulatedStateSchema {
  fields: string[];
  seed_fields: string[];
  steps: StateStep[];
}

/** One seed: how many runs and their initial state. */
export interface Seed {
  repetitions: number;
  metadata: Record<string, unknown>;
}

/** One seed's problems in a validation report (`seed` counts from 1). */
export interface SeedIssues {
  seed: number;
  /** The server leaves each list out when it is empty. */
  errors?: string[];
  missing_fields?: string[];
  empty_fields?: string[];
  /** `repetitions: 0`: valid, makes no run (a warning); absent otherwise. */
  no_runs?: boolean;
}

/** `POST /api/seeds/validate`. */
export interface SeedReport {
  valid: boolean;
  errors: string[];
  warnings: string[];
  required_fields: string[];
  total_runs: number;
  seeds: SeedIssues[];
  pipeline_id: number;
}

/** Where a job stands. */
export type JobStatus = "running" | "completed" | "failed" | "cancelled" | "stopped";

/** A job (`GET /api/jobs/{id}`, the SSE `progress` and `done` events). */
export interface Job {
  id: number;
  pipeline_id: number;
  status: JobStatus;
  total_seeds: number;
  current_seed: number;
  records_generated: number;
  records_failed: number;
  /** 0..1. */
  progress: number;
  current_block: string;
  current_step: number | null;
  error: string | null;
  usage: Usage;
  options: { concurrency?: number; file?: string | null; seedless?: boolean; [extra: string]: unknown };
  created_at: number;
  started_at: number;
  completed_at: number | null;
  /** Only in `GET /api/jobs/{id}`: what its checks, judges and metrics found. */
  quality?: Quality;
}

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

/** A record's review status. */
export type ReviewStatus = "pending" | "accepted" | "rejected" | "edited";

/** Every review status, in display order. */
export const REVIEW_STATUSES: ReviewStatus[] = ["pending", "accepted", "rejected", "edited"];

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

/** A stored record. */
export interface RecordRow {
  id: number;
  job_id: number;
  pipeline_id: number;
  run_id: number;
  trace_id: string;
  run_status: "completed" | "failed";
  status: ReviewStatus;
  metadata: Record<string, unknown>;
  output: Record<string, unknown>;
  pipeline_output: unknown;
  trace: TraceEntry[];
  usage: Usage;
  error: string | null;
  created_at: number;
  updated_at: number;
}

/** The body of `PUT /api/records/{id}`. */
export interface RecordUpdate {
  status?: ReviewStatus;
  output?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** `POST /api/pipelines/{id}/execute` (one run). */
export interface ExecuteResult {
  result: Record<string, unknown>;
  pipeline_output: unknown;
  trace: TraceEntry[];
  trace_id: string;
  usage: Usage;
}

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
export interface Model {
  name: string;
  provider: Provider;
  endpoint: string;
  api_key: string;
  api_key_set: boolean;
  model_name: string;
  is_default: boolean;
  /** Embedding models only. */
  dimensions?: number;
  created_at: number;
  updated_at: number;
}

/** The body of model create/update/test; omitted fields keep their stored value on update. */
export interface ModelInput {
  name?: string;
  provider?: Provider;
  endpoint?: string;
  api_key?: string;
  model_name?: string;
  dimensions?: number;
  is_default?: boolean;
}

/** `POST /api/{llm,embedding}-models/test`. */
export interface ConnectionTest {
  success: boolean;
  message: string;
  /** -1 when no answer came. */
  latency_ms: number;
}

/** The SSE `record` event. */
export interface RecordEvent {
  record_id: number;
  run_status: "completed" | "failed";
}
