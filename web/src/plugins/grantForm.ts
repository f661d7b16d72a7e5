/**
 * The grant editor's form: a grant as the inputs show it (models one per line, so a
 * pattern such as `{a,b}/*` keeps its comma; memory, output and kv bytes in MiB, times in
 * seconds, an empty limit for the server's default) and back, with the first thing wrong
 * named — a limit above the server's maximum among them.
 */
import type { BlockInfo, Grant, GrantCapability, GrantHttp, PluginGrants, ServerLimitValues } from "../api/schema";

/** Every capability, in the order the editor lists them. */
export const CAPABILITIES: GrantCapability[] = ["llm", "embeddings", "kv", "log", "template", "http"];

/** The editor's inputs. */
export interface GrantForm {
  capabilities: GrantCapability[];
  /** One model name or pattern per line. */
  models: string;
  memoryMib: string;
  cpuSecs: string;
  wallClockSecs: string;
  outputMib: string;
  kvMaxKeys: string;
  kvMaxMib: string;
  /** Hosts or URL patterns `http` may reach, one per line. */
  httpAllow: string;
  /** The grant's `http` limits, kept as they are (the editor does not show them). */
  httpLimits: Omit<GrantHttp, "allow">;
}

/** The form inputs that hold a limit. */
export type LimitInput = Exclude<keyof GrantForm, "capabilities" | "models" | "httpAllow" | "httpLimits">;

/** One limit of the form: where it goes in a grant, its unit, the server limit behind it. */
export interface LimitField {
  input: LimitInput;
  label: string;
  /** A grant's units (bytes, milliseconds, keys) per unit of the input. */
  unit: number;
  /** The unit's name, for hints and errors. */
  unitName: string;
  /** The name of a grant's unit (one of which is the least a limit may be). */
  baseName: string;
  /** Whether only whole numbers make sense (a count of keys). */
  whole: boolean;
  /** Where the value lives in a grant. */
  place: ["limits", keyof NonNullable<Grant["limits"]>] | ["kv_quota", keyof NonNullable<Grant["kv_quota"]>];
  /** The server's default and maximum of it. */
  server: keyof ServerLimitValues;
}

const MIB = 1024 * 1024;

/** Every limit the editor shows, in order. */
export const LIMIT_FIELDS: LimitField[] = [
  { input: "memoryMib", label: "Memory (MiB)", unit: MIB, unitName: "MiB", baseName: "byte", whole: false, place: ["limits", "memory_bytes"], server: "memory_bytes" },
  { input: "cpuSecs", label: "CPU time (s)", unit: 1000, unitName: "s", baseName: "ms", whole: false, place: ["limits", "cpu_time_ms"], server: "cpu_time_ms" },
  { input: "wallClockSecs", label: "Wall clock (s)", unit: 1000, unitName: "s", baseName: "ms", whole: false, place: ["limits", "wall_clock_ms"], server: "wall_clock_ms" },
  { input: "outputMib", label: "Output (MiB)", unit: MIB, unitName: "MiB", baseName: "byte", whole: false, place: ["limits", "output_bytes"], server: "output_bytes" },
  { input: "kvMaxKeys", label: "kv keys per namespace", unit: 1, unitName: "keys", baseName: "key", whole: true, place: ["kv_quota", "max_keys"], server: "kv_max_keys" },
  { input: "kvMaxMib", label: "kv size per namespace (MiB)", unit: MIB, unitName: "MiB", baseName: "byte", whole: false, place: ["kv_quota", "max_bytes"], server: "kv_max_bytes" },
];

/**
 * `value` (in a grant's units) in the input's unit, as text, exactly: `64`, `1.5`,
 * `0.00095367431640625` (1000 bytes). Never rounded: reading the text back gives `value`
 * again, so saving a form whose field was not touched keeps the stored number, and the
 * maximum a hint shows is one the form accepts. (A byte count over 2^20 is a finite binary
 * fraction, so the shortest text of the quotient reads back to it; milliseconds over 1000
 * read back within rounding of the whole number.)
 */
function inUnit(value: number, field: LimitField): string {
  return String(value / field.unit);
}

function valueIn(grant: Grant, field: LimitField): number | undefined {
  const [group, key] = field.place;
  // The server sends null for a limit the grant does not set.
  const value =
    group === "limits"
      ? grant.limits?.[key as keyof NonNullable<Grant["limits"]>]
      : grant.kv_quota?.[key as keyof NonNullable<Grant["kv_quota"]>];
  return value ?? undefined;
}

/** The inputs showing `grant`. */
export function grantToForm(grant: Grant): GrantForm {
  const form: GrantForm = {
    capabilities: CAPABILITIES.filter((c) => grant.capabilities.includes(c)),
    models: grant.models.join("\n"),
    memoryMib: "",
    cpuSecs: "",
    wallClockSecs: "",
    outputMib: "",
    kvMaxKeys: "",
    kvMaxMib: "",
    httpAllow: (grant.http?.allow ?? []).join("\n"),
    httpLimits: httpLimitsOf(grant.http),
  };
  for (const field of LIMIT_FIELDS) {
    const value = valueIn(grant, field);
    if (value !== undefined) form[field.input] = inUnit(value, field);
  }
  return form;
}

/** The limits of a grant's `http` part, without its allow-list. */
function httpLimitsOf(http: GrantHttp | undefined): Omit<GrantHttp, "allow"> {
  if (!http) return {};
  const { allow: _allow, ...limits } = http;
  return limits;
}

/** The non-empty lines of `text`, trimmed. */
function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** What the server gives a call without this limit and the most a grant may give, in the input's unit. */
export function limitHint(field: LimitField, server: PluginGrants["server_limits"]): string {
  return `default ${inUnit(server.default[field.server], field)}, max ${inUnit(server.maximum[field.server], field)} ${field.unitName}`;
}

/** The limit `text` says in a grant's units (empty: none), or the reason it is not one. */
function amount(text: string, field: LimitField, maximum: ServerLimitValues | undefined): number | undefined | string {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  if (!Number.isFinite(value) || value <= 0 || (field.whole && !Number.isInteger(value))) {
    const kind = field.whole ? "a positive whole number" : "a positive number";
    return `${field.label} must be ${kind} (or empty for the server's default)`;
  }
  const granted = Math.round(value * field.unit);
  if (granted < 1) {
    return `${field.label} must be at least 1 ${field.baseName} (${inUnit(1, field)} ${field.unitName})`;
  }
  if (maximum && granted > maximum[field.server]) {
    return `${field.label} is above this server's maximum of ${inUnit(maximum[field.server], field)} ${field.unitName}`;
  }
  return granted;
}

/** The grant the inputs say, or the first thing wrong; with `maximum`, a limit above it is wrong. */
export function formToGrant(form: GrantForm, maximum?: ServerLimitValues): Grant | { error: string } {
  const limits: NonNullable<Grant["limits"]> = {};
  const kvQuota: NonNullable<Grant["kv_quota"]> = {};
  for (const field of LIMIT_FIELDS) {
    const value = amount(form[field.input], field, maximum);
    if (typeof value === "string") return { error: value };
    if (value === undefined) continue;
    const [group, key] = field.place;
    if (group === "limits") limits[key as keyof NonNullable<Grant["limits"]>] = value;
    else kvQuota[key as keyof NonNullable<Grant["kv_quota"]>] = value;
  }
  const grant: Grant = { capabilities: [...form.capabilities], models: lines(form.models), kv_quota: kvQuota, limits };
  const allow = lines(form.httpAllow);
  if (allow.length > 0 || Object.keys(form.httpLimits).length > 0) grant.http = { allow, ...form.httpLimits };
  return grant;
}

/** The plugin whose grant governs `block`: a builtin's crate, a plugin file's stem. */
export function grantTarget(block: BlockInfo): { name: string; kind: PluginGrants["kind"] } {
  if (block.source.kind === "builtin") return { name: block.source.crate_name, kind: "builtin" };
  const file = block.source.path.split(/[\\/]/).pop() ?? block.source.path;
  return { name: file.replace(/\.wasm$/, ""), kind: "plugin" };
}
