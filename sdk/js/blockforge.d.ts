// Types of the blockforge JavaScript SDK (blockforge.js). Block code sees plain JSON values
// and snake_case or camelCase exactly as its pipeline writes them; the component bindings'
// camelCase records and `{tag, val}` variants stay inside the SDK.

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object: the run's state, a block's output, a seed. */
export type JsonObject = { [key: string]: Json };

/** The error codes of the contract. */
export type ErrorCode = 'invalid-config' | 'invalid-input' | 'host-call-failed' | 'rejected' | 'internal';
export declare const ERROR_CODES: readonly ErrorCode[];

/** Fails the run with a code, a message naming the field or value at fault, and detail. */
export declare class BlockError extends Error {
  /** `_` may stand for `-` (`invalid_config`). */
  constructor(code: ErrorCode | string, message: string, detail?: Json);
  readonly code: ErrorCode;
  readonly detail?: Json;
  static invalidConfig(message: string, detail?: Json): BlockError;
  static invalidInput(message: string, detail?: Json): BlockError;
  static hostCallFailed(message: string, detail?: Json): BlockError;
  static rejected(message: string, detail?: Json): BlockError;
  static internal(message: string, detail?: Json): BlockError;
}

/** A JSON Schema `type` name. */
export type JsonTypeName = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null';

/** The JSON Schema of one config key: `type`, `default`, `description`, `format`, `enum`... */
export interface ConfigProperty {
  type?: JsonTypeName | readonly JsonTypeName[];
  default?: Json;
  description?: string;
  format?: string;
  enum?: readonly Json[];
  items?: ConfigProperty;
  [keyword: string]: unknown;
}

/** The config keys of a block: each key's JSON Schema. */
export type ConfigProperties = { readonly [key: string]: ConfigProperty };

/** The value of JSON Schema type `T` whose array items have schema `Items`. */
export type JsonTypeValue<T, Items> = T extends 'string'
  ? string
  : T extends 'integer' | 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : T extends 'array'
          ? (Items extends ConfigProperty ? ConfigValue<Items> : Json)[]
          : T extends 'object'
            ? JsonObject
            : Json;

/** The value a config key of schema `P` holds (`type: ['string', 'null']` is `string | null`). */
export type ConfigValue<P> = P extends { enum: readonly (infer E)[] }
  ? E
  : P extends { type: infer T }
    ? T extends readonly (infer Each)[]
      ? JsonTypeValue<Each, P extends { items: infer I } ? I : undefined>
      : JsonTypeValue<T, P extends { items: infer I } ? I : undefined>
    : Json;

/**
 * The config object `execute` sees for config properties `P` and required keys `Required`,
 * derived from the schema: a key with a `default` is always there (the SDK fills it in), and
 * so is a key named in `required` (the host refuses a config without it); any other may be
 * missing.
 */
export type ConfigOf<P, Required extends PropertyKey = never> = {
  -readonly [K in keyof P as IsPresent<P[K], K, Required> extends true ? K : never]: ConfigValue<P[K]>;
} & {
  -readonly [K in keyof P as IsPresent<P[K], K, Required> extends true ? never : K]?: ConfigValue<P[K]>;
};

/** Whether config key `K` of schema `P` is always in the config `execute` sees. */
type IsPresent<P, K, Required> = P extends { default: unknown } ? true : K extends Required ? true : false;

/** One call's input; `Config` is what `defineBlock` derives from the config schema. */
export interface Context<Config = JsonObject> {
  /** The run's accumulated state. */
  readonly state: JsonObject;
  /** The config with the schema's defaults filled in. */
  readonly config: Config;
  /** The config exactly as the pipeline wrote it. */
  readonly rawConfig: JsonObject;
  /** The run's trace id. */
  readonly traceId: string;
  /** Zero-based position of the block in the pipeline. */
  readonly step: number;
  /** The state field `key` as a string; an `invalid-input` error when missing or not a string. */
  str(key: string): string;
  /** Renders a Jinja template against the state with the host's engine. */
  render(source: string): string;
}

/** A host capability a block declares: `log` and `template` need none. */
export type Capability = 'llm' | 'embeddings' | 'kv';

/**
 * What `defineBlock` takes; `Properties` is the type of its `config`, `Required` the keys its
 * `required` names.
 */
export interface BlockDefinition<
  Properties extends ConfigProperties = ConfigProperties,
  Required extends keyof Properties & string = keyof Properties & string,
> {
  /** The unique name pipelines use, e.g. `WordCount`. */
  typeName: string;
  /** The editor's label; defaults to `typeName`. */
  name?: string;
  description?: string;
  /** Palette group: `generators`, `validators`, `metrics`, `seeders`, `utilities` (default). */
  category?: string;
  /** State fields read. */
  inputs?: readonly string[];
  /** State fields written; an undeclared key is an error (`*` allows any). */
  outputs?: readonly string[];
  /** JSON Schema of each config key (`type`, `default`, `description`, `format`, `enum`...). */
  config?: Properties;
  /** Config keys without a default that must be given: `ctx.config` always has them. */
  required?: readonly Required[];
  capabilities?: readonly Capability[];
  /** `multiplier` (first block only) returns an array of seeds. */
  kind?: 'transform' | 'multiplier';
  /** Runs once per run: an object merged into the state, or seeds for a multiplier. */
  execute(ctx: Context<ConfigOf<Properties, Required>>): Output | Output[] | Promise<Output | Output[]>;
}

/** What `execute` returns: an object of JSON values (`undefined` members are left out). */
export type Output = { [key: string]: Json | undefined };

/**
 * The component's `guest` export: `export const guest = defineBlock({...})`. The config's
 * type is derived from `config` (a `type: 'integer'` key is a number, a key with an `enum` one
 * of its values), so `// @ts-check` and TypeScript see `ctx.config` as it is.
 */
export declare function defineBlock<
  const Properties extends ConfigProperties = {},
  const Required extends keyof Properties & string = never,
>(definition: BlockDefinition<Properties, Required>): unknown;

/** The JSON Schema of a config object with these properties (unknown keys refused). */
export declare function configSchema(properties?: ConfigProperties, required?: readonly string[]): JsonObject;

/**
 * The key of a failed model call's code in a `host-call-failed` error's detail, the same in
 * the JavaScript, Python and Rust SDKs: `{"llm_error": "rate-limited"}`.
 */
export declare const LLM_ERROR_KEY: 'llm_error';

/** Log lines kept with the run's trace. */
export declare const log: {
  trace(message: unknown): void;
  debug(message: unknown): void;
  info(message: unknown): void;
  warn(message: unknown): void;
  error(message: unknown): void;
};

/** Jinja rendering with the host's engine; a `host-call-failed` BlockError when it fails. */
export declare const template: {
  render(source: string, context: JsonObject): string;
};

/** A chat completion request. */
export interface ChatRequest {
  /** The user message. */
  prompt?: string;
  /** The system message. */
  system?: string;
  /** Earlier messages, before `prompt`. */
  messages?: { role: 'system' | 'user' | 'assistant'; content: string }[];
  /** The host's default model when absent. */
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** A JSON Schema the answer must follow (structured output). */
  jsonSchema?: JsonObject | string;
}

/** A model's answer. */
export interface ChatReply {
  content: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number; cachedTokens: number };
}

/** Chat completions through the host's gateway (declare `llm`). */
export declare const llm: {
  chat(request: ChatRequest): ChatReply;
};

/** Text embeddings through the host's gateway (declare `embeddings`). */
export declare const embeddings: {
  embed(texts: string[], options?: { model?: string }): number[][];
};

/** Where kv keys live: the current job (default) or every job of the pipeline. */
export interface KvOptions {
  scope?: 'job' | 'pipeline';
}

/** Key-value storage kept by the host (declare `kv`). */
export declare const kv: {
  get(key: string, options?: KvOptions): string | undefined;
  set(key: string, value: string, options?: KvOptions): void;
  /** Atomic across concurrent runs: use it to claim a key. */
  setIfAbsent(key: string, value: string, options?: KvOptions): boolean;
  delete(key: string, options?: KvOptions): boolean;
  keys(prefix?: string, limit?: number, options?: KvOptions): string[];
};
