// blockforge SDK for JavaScript blocks (ES module). Types: blockforge.d.ts.
//
// A block is `export const guest = defineBlock({...})`: its description, the JSON Schema
// properties of its config, and `execute(ctx)` returning an object (a transform) or an array
// of objects (a multiplier). The SDK hides the component bindings: records in camelCase,
// `{tag, val}` variants, enum strings and `result` errors never reach block code. Build it with
// `node build_block.mjs` (componentize-js, installed for you; no `wasi:http`).

import * as witEmbeddings from 'blockforge:block/embeddings@0.1.0';
import * as witKv from 'blockforge:block/kv@0.1.0';
import * as witLlm from 'blockforge:block/llm@0.1.0';
import * as witLog from 'blockforge:block/log@0.1.0';
import * as witTemplate from 'blockforge:block/template@0.1.0';

/** The error codes of the contract (`error-code` in wit/since_v0.1.0/types.wit). */
export const ERROR_CODES = ['invalid-config', 'invalid-input', 'host-call-failed', 'rejected', 'internal'];
const CAPABILITIES = ['llm', 'embeddings', 'kv'];
const KINDS = ['transform', 'multiplier'];

/** Fails the run with a code, a message naming the field or value at fault, and detail. */
export class BlockError extends Error {
  constructor(code, message, detail) {
    super(message);
    const normalised = String(code).replace(/_/g, '-');
    if (!ERROR_CODES.includes(normalised)) {
      throw new TypeError(`unknown BlockError code ${JSON.stringify(code)}; use one of: ${ERROR_CODES.join(', ')}`);
    }
    this.name = 'BlockError';
    this.code = normalised;
    this.detail = detail;
  }
  static invalidConfig(message, detail) { return new BlockError('invalid-config', message, detail); }
  static invalidInput(message, detail) { return new BlockError('invalid-input', message, detail); }
  static hostCallFailed(message, detail) { return new BlockError('host-call-failed', message, detail); }
  static rejected(message, detail) { return new BlockError('rejected', message, detail); }
  static internal(message, detail) { return new BlockError('internal', message, detail); }
}

/**
 * The key of a failed model call's code in a `host-call-failed` error's detail, the same in
 * the Python, JavaScript and Rust SDKs: `{"llm_error": "rate-limited"}`.
 */
export const LLM_ERROR_KEY = 'llm_error';

function hostCall(what, call) {
  try {
    return call();
  } catch (error) {
    // A `result` error of an import arrives as a ComponentError carrying `payload`.
    const payload = error && Object.prototype.hasOwnProperty.call(error, 'payload') ? error.payload : undefined;
    if (payload === undefined) throw error;
    if (typeof payload === 'string') throw BlockError.hostCallFailed(`${what}: ${payload}`);
    // Only `llm` and `embeddings` fail with a record: an `llm-error` with its code.
    throw BlockError.hostCallFailed(`${what} failed (${payload.code}): ${payload.message}`, { [LLM_ERROR_KEY]: payload.code });
  }
}

const logAt = (level) => (message) => witLog.log(level, String(message));
/** Log lines kept with the run's trace, tagged with the block, the step and the trace id. */
export const log = {
  trace: logAt('trace'),
  debug: logAt('debug'),
  info: logAt('info'),
  warn: logAt('warn'),
  error: logAt('error'),
};

/** Jinja rendering with the host's engine (minijinja), the same in every block language. */
export const template = {
  render(source, context) {
    return hostCall('template', () => witTemplate.render(source, JSON.stringify(context ?? {})));
  },
};

/** Chat completions through the host's LLM gateway; declare the `llm` capability. */
export const llm = {
  chat({ prompt, system, messages = [], model, temperature, maxTokens, jsonSchema } = {}) {
    const all = [];
    if (system !== undefined) all.push({ role: 'system', content: system });
    for (const message of messages) {
      if (!['system', 'user', 'assistant'].includes(message.role)) {
        throw new TypeError(`message role must be system, user or assistant, got ${JSON.stringify(message.role)}`);
      }
      all.push({ role: message.role, content: String(message.content) });
    }
    if (prompt !== undefined) all.push({ role: 'user', content: prompt });
    const request = {
      model,
      messages: all,
      temperature,
      maxTokens,
      jsonSchema: jsonSchema === undefined || typeof jsonSchema === 'string' ? jsonSchema : JSON.stringify(jsonSchema),
    };
    const reply = hostCall('llm.chat', () => witLlm.chat(request));
    return {
      content: reply.content,
      model: reply.model,
      usage: {
        inputTokens: Number(reply.usage.inputTokens),
        outputTokens: Number(reply.usage.outputTokens),
        cachedTokens: Number(reply.usage.cachedTokens),
      },
    };
  },
};

/** Text embeddings through the host's gateway; declare the `embeddings` capability. */
export const embeddings = {
  embed(texts, { model } = {}) {
    const reply = hostCall('embeddings.embed', () => witEmbeddings.embed({ model, inputs: [...texts] }));
    return reply.vectors.map((vector) => Array.from(vector));
  },
};

function scopeOf(options) {
  const scope = options?.scope ?? 'job';
  if (scope !== 'job' && scope !== 'pipeline') {
    throw new TypeError(`kv scope must be 'job' or 'pipeline', got ${JSON.stringify(scope)}`);
  }
  return scope;
}

/** Key-value storage scoped to the job (default) or the pipeline; declare the `kv` capability. */
export const kv = {
  get: (key, options) => hostCall('kv.get', () => witKv.get(scopeOf(options), key)) ?? undefined,
  set: (key, value, options) => hostCall('kv.set', () => witKv.set(scopeOf(options), key, value)),
  setIfAbsent: (key, value, options) => hostCall('kv.setIfAbsent', () => witKv.setIfAbsent(scopeOf(options), key, value)),
  delete: (key, options) => hostCall('kv.delete', () => witKv.delete(scopeOf(options), key)),
  keys: (prefix = '', limit = 100, options) => hostCall('kv.keys', () => witKv.keys(scopeOf(options), prefix, limit)),
};

function jsonType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return { object: 'an object', string: 'a string', number: 'a number', boolean: 'a boolean' }[typeof value] ?? typeof value;
}

function parseObject(text, what, error) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (parseError) {
    throw error(`${what} is not valid JSON: ${parseError.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw error(`${what} must be a JSON object, got ${jsonType(value)}`);
  }
  return value;
}

/** The JSON Schema (draft 2020-12) of a config with `properties`; unknown keys are refused. */
export function configSchema(properties = {}, required = []) {
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties,
    additionalProperties: false,
  };
  if (required.length) schema.required = required;
  return schema;
}

function withDefaults(properties, raw) {
  const config = {};
  for (const [key, property] of Object.entries(properties)) {
    if (property && Object.prototype.hasOwnProperty.call(property, 'default')) {
      config[key] = structuredClone(property.default);
    }
  }
  return Object.assign(config, raw);
}

class Context {
  constructor(state, config, rawConfig, traceId, step) {
    this.state = state;
    this.config = config;
    this.rawConfig = rawConfig;
    this.traceId = traceId;
    this.step = step;
  }
  str(key) {
    if (!Object.prototype.hasOwnProperty.call(this.state, key)) {
      throw BlockError.invalidInput(`state field '${key}' is missing`);
    }
    const value = this.state[key];
    if (typeof value !== 'string') {
      throw BlockError.invalidInput(`state field '${key}' must be a string, got ${jsonType(value)}`);
    }
    return value;
  }
  render(source) {
    return template.render(source, this.state);
  }
}

/** `String(value)`, or a fallback when even that throws (`Object.create(null)`, a hostile Proxy). */
function safeString(value) {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return `${typeof value} that cannot be shown`;
    }
  }
}

/**
 * `value` as JSON text, never throwing. What `JSON.stringify` refuses is written anyway: a
 * BigInt as the string `"123n"`, an object met again inside itself (a cycle) as
 * `"[Circular]"` (one object met twice side by side is written twice); a value that still
 * cannot be written (a throwing `toJSON`) becomes the JSON string of `String(value)`, as the
 * Python SDK keeps a `repr`.
 */
function safeJson(value) {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text;
  } catch {
    try {
      const text = JSON.stringify(value, cycleSafeReplacer());
      if (text !== undefined) return text;
    } catch {
      // Falls through to the text of the value.
    }
  }
  return JSON.stringify(safeString(value));
}

/**
 * A `JSON.stringify` replacer writing a BigInt as `"123n"` and a cycle as `"[Circular]"`. It
 * keeps the objects from the root down to the one being written: `JSON.stringify` calls it
 * with `this` set to the object holding `item`, so the path is cut back to that holder before
 * `item` is looked for on it.
 */
function cycleSafeReplacer() {
  const path = [];
  return function replace(_key, item) {
    if (typeof item === 'bigint') return `${item}n`;
    if (item === null || typeof item !== 'object') return item;
    while (path.length > 0 && path[path.length - 1] !== this) path.pop();
    if (path.includes(item)) return '[Circular]';
    path.push(item);
    return item;
  };
}

/** `value instanceof type`, false where a Proxy's `getPrototypeOf` throws. */
function isInstance(value, type) {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

function asWitError(error) {
  if (isInstance(error, BlockError)) {
    return {
      code: error.code,
      message: error.message,
      detail: error.detail === undefined ? undefined : safeJson(error.detail),
    };
  }
  // Anything else a block throws: its name, message and stack, as the run's error. A thrown
  // value may be anything (a BigInt, a cyclic object, one whose getters throw): nothing here
  // may throw again, or the bindings would trap with `unreachable` and lose it.
  let name = 'Error';
  try {
    if (error !== null && error !== undefined && typeof error.name === 'string') name = error.name;
  } catch {
    // A throwing `name` getter: keep `Error`.
  }
  const isError = isInstance(error, Error);
  let message;
  try {
    message = isError ? `${name}: ${error.message}` : `uncaught ${typeof error === 'bigint' ? `${error}n` : safeJson(error)}`;
  } catch {
    message = `uncaught ${safeString(error)}`;
  }
  // The block's own frames: the SDK's and the bindings' say nothing to its author.
  let stack = '';
  try {
    stack = isError && error.stack
      ? String(error.stack).split('\n').map((line) => line.trim())
        .filter((line) => line && !/(^|\/)blockforge\.js:|initializer\.js:/.test(line)).join('\n')
      : '';
  } catch {
    // A throwing `stack` getter: no stack.
  }
  return {
    code: 'internal',
    message: stack ? `${message}\n${stack}` : message,
    detail: JSON.stringify({ exception: name, stack }),
  };
}

function encodeOutput(definition, result) {
  const json = (value) => {
    try {
      return JSON.stringify(value);
    } catch (error) {
      throw BlockError.internal(`the output is not JSON: ${error.message}`);
    }
  };
  if (definition.kind === 'multiplier') {
    if (!Array.isArray(result) || !result.every((s) => s && typeof s === 'object' && !Array.isArray(s))) {
      throw BlockError.internal(`execute must return an array of objects (a multiplier), got ${jsonType(result)}`);
    }
    return { tag: 'seeds', val: result.map(json) };
  }
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    throw BlockError.internal(`execute must return an object (a transform), got ${jsonType(result)}`);
  }
  return { tag: 'object', val: json(result) };
}

/** The component's `guest` export for a block definition (see blockforge.d.ts). */
export function defineBlock(definition) {
  const {
    typeName, name, description = '', category = 'utilities', inputs = [], outputs = [],
    config = {}, required = [], capabilities = [], kind = 'transform', execute,
  } = definition;
  if (!typeName) throw new TypeError('defineBlock: typeName is required (the name pipelines use)');
  if (typeof execute !== 'function') throw new TypeError(`defineBlock(${typeName}): execute(ctx) is required`);
  if (!KINDS.includes(kind)) throw new TypeError(`defineBlock(${typeName}): kind must be 'transform' or 'multiplier'`);
  const unknown = capabilities.filter((c) => !CAPABILITIES.includes(c));
  if (unknown.length) throw new TypeError(`defineBlock(${typeName}): unknown capabilities ${unknown}; use ${CAPABILITIES}`);
  const info = {
    typeName,
    name: name ?? typeName,
    description,
    category,
    inputs: [...inputs],
    outputs: [...outputs],
    configSchema: JSON.stringify(configSchema(config, required)),
    capabilities: [...capabilities],
    kind,
  };
  return {
    describe: () => info,
    async execute(ctx) {
      try {
        const state = parseObject(ctx.state, 'state', BlockError.invalidInput);
        const rawConfig = parseObject(ctx.config, 'config', BlockError.invalidConfig);
        const context = new Context(state, withDefaults(config, rawConfig), rawConfig, ctx.traceId, ctx.step);
        return encodeOutput(definition, await execute(context));
      } catch (error) {
        return { tag: 'err', val: asWitError(error) };
      }
    },
  };
}
