/**
 * The grant editor's form: a grant as the inputs show it (models one per line, so a
 * pattern such as `{a,b}/*` keeps its comma; memory and output in MiB, times in seconds, an empty limit for the server's default) and
 * back, with the first thing wrong named.
 */
import type { BlockInfo, Grant, GrantCapability, PluginGrants } from "../api/types";

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
}

const MIB = 1024 * 1024;

const shown = (value: number | undefined, unit: number) => (value === undefined ? "" : String(value / unit));

/** The inputs showing `grant`. */
export function grantToForm(grant: Grant): GrantForm {
  return {
    capabilities: CAPABILITIES.filter((c) => grant.capabilities.includes(c)),
    models: grant.models.join("\n"),
    memoryMib: shown(grant.limits.memory_bytes, MIB),
    cpuSecs: shown(grant.limits.cpu_time_ms, 1000),
    wallClockSecs: shown(grant.limits.wall_clock_ms, 1000),
    outputMib: shown(grant.limits.output_bytes, MIB),
  };
}

/** A positive number of `unit`s from `text` (empty: none), or the reason it is not one. */
function amount(text: string, label: string, unit: number): number | undefined | string {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  if (!Number.isFinite(value) || value <= 0) return `${label} must be a positive number (or empty for the server's default)`;
  return Math.round(value * unit);
}

/** The grant the inputs say, keeping `base`'s kv quota; or the first thing wrong. */
export function formToGrant(form: GrantForm, base: Grant): Grant | { error: string } {
  const limits: Grant["limits"] = {};
  const fields: [keyof Grant["limits"], string, string, number][] = [
    ["memory_bytes", form.memoryMib, "Memory (MiB)", MIB],
    ["cpu_time_ms", form.cpuSecs, "CPU time (s)", 1000],
    ["wall_clock_ms", form.wallClockSecs, "Wall clock (s)", 1000],
    ["output_bytes", form.outputMib, "Output (MiB)", MIB],
  ];
  for (const [key, text, label, unit] of fields) {
    const value = amount(text, label, unit);
    if (typeof value === "string") return { error: value };
    if (value !== undefined) limits[key] = value;
  }
  const models = form.models
    .split(/\r?\n/)
    .map((m) => m.trim())
    .filter((m) => m !== "");
  return { capabilities: [...form.capabilities], models, kv_quota: base.kv_quota, limits };
}

/** The plugin whose grant governs `block`: a builtin's crate, a plugin file's stem. */
export function grantTarget(block: BlockInfo): { name: string; kind: PluginGrants["kind"] } {
  if (block.source.kind === "builtin") return { name: block.source.crate_name, kind: "builtin" };
  const file = block.source.path.split(/[\\/]/).pop() ?? block.source.path;
  return { name: file.replace(/\.wasm$/, ""), kind: "plugin" };
}
