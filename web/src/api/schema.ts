/**
 * The server's JSON types under the names the pages use: aliases of the schemas generated from
 * the OpenAPI document (`openapi.gen.ts`, made by `npm run gen:api` at every build), nothing
 * written by hand. Times are Unix ms.
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
/** One block of `GET /api/blocks` (its `config_schema` is a JSON Schema: see `pipelines/jsonSchema.ts`). */
export type BlockInfo = Schemas["BlockView"];
/** One `.wasm` file of the plugins folder (`GET /api/plugins`). */
export type PluginFile = Schemas["PluginFileView"];
/** A capability an operator grants. */
export type GrantCapability = Schemas["Capability"];
/** What the operator grants one plugin (`PUT /api/plugins/{name}/grants`). */
export type Grant = Schemas["Grant"];
/** The `http` part of a grant. */
export type GrantHttp = Schemas["GrantHttp"];
/** A server's limits in a grant's units (bytes, milliseconds, keys). */
export type ServerLimitValues = Schemas["LimitValues"];
/** `GET /api/plugins/{name}/grants`. */
export type PluginGrants = Schemas["PluginGrants"];
/** One block of a pipeline definition. */
export type BlockSpec = Schemas["BlockSpec"];
/** A pipeline's token, cost and time budgets. */
export type Constraints = Schemas["Constraints"];
/** A pipeline definition (`{name, blocks, constraints}`). */
export type PipelineDefinition = Schemas["PipelineDefinition"];
/** The review page's field groups. */
export type FieldOrder = Schemas["FieldOrder"];
/** A pipeline's review settings. */
export type ValidationConfig = Schemas["ValidationConfig"];
/** A saved pipeline. */
export type Pipeline = Schemas["PipelineView"];
/** One template of the gallery. */
export type Template = Schemas["Template"];
/** One step of `accumulated_state_schema`. */
export type StateStep = Schemas["StepFields"];
/** `GET /api/pipelines/{id}/accumulated_state_schema`. */
export type AccumulatedStateSchema = Schemas["StateFields"];
/** One seed's problems in a validation report (`seed` counts from 1). */
export type SeedIssues = Schemas["SeedIssues"];
/** `POST /api/seeds/validate`. */
export type SeedReport = Schemas["SeedValidation"];
/** Where a job stands. */
export type JobStatus = Schemas["JobStatus"];
/** A job (`GET /api/jobs/{id}`, the SSE `progress` and `done` events). */
export type Job = Schemas["JobView"];
/** A stored record. */
export type RecordRow = Schemas["RecordRow"];
/** The body of `PUT /api/records/{id}`. */
export type RecordUpdate = Schemas["RecordUpdate"];
/** `PUT /api/records/{id}`: the record as stored after the review. */
export type RecordReviewed = Schemas["RecordReviewed"];
/** One run of `POST /api/pipelines/{id}/execute`. */
export type RunAnswer = Schemas["RunAnswer"];
/** `POST /api/pipelines/{id}/execute`: one run, or `{results}` after a multiplier. */
export type ExecuteAnswer = Schemas["ExecuteAnswer"];
/** A registered model; `api_key` is always masked. */
export type Model = Schemas["ModelView"];
/** The body of model create/update/test; omitted fields keep their stored value on update. */
export type ModelInput = Schemas["ModelInput"];
/** `POST /api/{llm,embedding}-models/test`. */
export type ConnectionTest = Schemas["ConnectionTest"];
/** Server-wide settings (`GET/PUT /api/settings`). */
export type ServerSettings = Schemas["Settings"];
/** A named API key as listed: never the key itself. */
export type ApiKey = Schemas["ApiKeyView"];
/** A key just made: the only answer with the key. */
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
/** A dataset in the list: its newest version's number and row count. */
export type DatasetSummary = Schemas["DatasetRow"];
/** `GET /api/datasets/{name}`: the versions, oldest first. */
export type DatasetDetail = Schemas["DatasetVersions"];
/** One ready version of one dataset. */
export type DatasetVersion = Schemas["VersionRow"];
/** One version, by dataset name and number. */
export type VersionRef = Schemas["VersionRef"];
/** What made a version. */
export type Lineage = Schemas["Lineage"];
/** `POST /api/datasets/preview`. */
export type Preview = Schemas["DatasetPreview"];
/** A page of a version's rows. */
export type RowPage = Schemas["RowsPage"];
/** A file format a dataset is imported from or exported to. */
export type FileFormat = Schemas["FileFormat"];
/** A sample's parameters. */
export type SampleParams = Schemas["SampleBody"];
/** Which records of a job to save as a dataset. */
export type FromJob = Schemas["FromJob"];
