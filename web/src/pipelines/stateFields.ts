/** The accumulated state, computed in the browser the way the server's
 * `host/src/engine/fields.rs` does: each step reads the Jinja variables of its template config
 * fields and the fields its config names (`field-reference`; a multiplier also its declared
 * inputs unless its config names one) and writes its declared
 * outputs (`*`: the keys of its `mappings`). A field read before any earlier step writes it must
 * come from the seed. */
import type { BlockInfo, BlockSpec } from "../api/schema";
import { blockSchema, type JsonSchema } from "./jsonSchema";
import { hasTemplate, readTemplate } from "./jinja";

/** Schema formats of config fields the blocks render as Jinja. */
export const TEMPLATE_FORMATS = ["jinja2", "json-or-template"];

/** Schema format of a config field whose value names a state field the block reads. */
const FIELD_REFERENCE = "field-reference";

/** Whether `spec`'s config sets a field-reference value (a field the block reads). */
function namesAField(spec: BlockSpec, info: BlockInfo): boolean {
  const properties = blockSchema(info).properties ?? {};
  return Object.entries(spec.config ?? {}).some(
    ([key, value]) => properties[key]?.format === FIELD_REFERENCE && typeof value === "string" && value !== "",
  );
}

/** What one step reads, writes and sees. */
export interface StepState {
  step: number;
  blockType: string;
  /** Whether the palette knows the block type. */
  known: boolean;
  /** Variables its templates read. */
  reads: string[];
  /** Fields it writes (`*`: not known in advance). */
  outputs: string[];
  /** Template fields that do not read. */
  templateErrors: TemplateError[];
  /** Fields in the state when it runs (what it can read). */
  available: string[];
  /** Fields in the state after it. */
  fields: string[];
}

/** The state fields of a whole pipeline. */
export interface PipelineState {
  seedFields: string[];
  fields: string[];
  steps: StepState[];
}

function stringsIn(value: unknown, out: string[]): void {
  if (typeof value === "string") {
    if (hasTemplate(value)) out.push(value);
  } else if (Array.isArray(value)) {
    value.forEach((item) => stringsIn(item, out));
  } else if (value && typeof value === "object") {
    Object.values(value).forEach((item) => stringsIn(item, out));
  }
}

/** A template config field that does not read. */
export interface TemplateError {
  field: string;
  message: string;
}

/** The variables read by the template config fields of one step, and their syntax errors. */
export function templateReads(spec: BlockSpec, info: BlockInfo): { reads: string[]; errors: TemplateError[] } {
  const properties = blockSchema(info).properties ?? {};
  const reads = new Set<string>();
  const errors: TemplateError[] = [];
  for (const [key, value] of Object.entries(spec.config ?? {})) {
    const schema: JsonSchema | undefined = properties[key];
    // A field named in the config (WebFetch's `url_field: url`) is read as it is.
    if (schema?.format === FIELD_REFERENCE) {
      if (typeof value === "string" && value !== "") reads.add(value);
      continue;
    }
    if (!schema || !TEMPLATE_FORMATS.includes(schema.format ?? "")) continue;
    const sources: string[] = [];
    stringsIn(value, sources);
    for (const source of sources) {
      const reading = readTemplate(source);
      reading.variables.forEach((name) => reads.add(name));
      reading.problems.forEach((problem) => errors.push({ field: key, message: problem.message }));
    }
  }
  return { reads: [...reads].sort(), errors };
}

/** The declared outputs, with `*` replaced by the keys of a `mappings` config object. */
export function outputsOf(spec: BlockSpec, info: BlockInfo): string[] {
  if (!info.outputs.includes("*")) return info.outputs;
  let mappings: unknown = spec.config?.mappings;
  if (typeof mappings === "string") {
    try {
      mappings = JSON.parse(mappings);
    } catch {
      mappings = undefined;
    }
  }
  if (mappings && typeof mappings === "object" && !Array.isArray(mappings)) {
    return [...info.outputs.filter((o) => o !== "*"), ...Object.keys(mappings)];
  }
  return info.outputs;
}

/** Reads and writes of every step of `blocks`, with the seed fields they imply. */
export function pipelineState(blocks: BlockSpec[], catalog: Map<string, BlockInfo>): PipelineState {
  const seed = new Set<string>();
  const written = new Set<string>();
  let writesUnknown = false;
  const partial = blocks.map((spec, step) => {
    const info = catalog.get(spec.type);
    const { reads: templated, errors } = info ? templateReads(spec, info) : { reads: [], errors: [] };
    // A multiplier, wherever it stands, reads its declared inputs, unless its config names the
    // field it reads (TokenChunker's `field_name`): that field is read instead.
    const declared = info?.is_multiplier && !namesAField(spec, info) ? info.inputs.filter((i) => i !== "*") : [];
    const reads = [...new Set([...templated, ...declared])].sort();
    if (!writesUnknown) reads.filter((r) => !written.has(r)).forEach((r) => seed.add(r));
    const outputs = info ? outputsOf(spec, info) : [];
    writesUnknown ||= !info || outputs.includes("*");
    outputs.filter((o) => o !== "*").forEach((o) => written.add(o));
    return { step, blockType: spec.type, known: Boolean(info), reads, outputs, templateErrors: errors };
  });
  const soFar = new Set(seed);
  const steps = partial.map((step) => {
    const available = [...soFar].sort();
    step.outputs.filter((o) => o !== "*").forEach((o) => soFar.add(o));
    return { ...step, available, fields: [...soFar].sort() };
  });
  return { seedFields: [...seed].sort(), fields: [...soFar].sort(), steps };
}
