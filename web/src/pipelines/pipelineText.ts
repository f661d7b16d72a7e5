/** The YAML/JSON view of a pipeline definition: writing it and reading it back, with errors
 * that say where the text is wrong. YAML is parsed with the `yaml` package (JSON is YAML). */
import YAML from "yaml";
import type { BlockSpec, Constraints, PipelineDefinition } from "../api/schema";
import { CONSTRAINT_KEYS } from "./types";

/** The text formats of the view. */
export type TextFormat = "yaml" | "json";

/** The definition with only what it says: set constraints, a description when there is one. */
export function normalized(definition: PipelineDefinition): PipelineDefinition {
  const constraints: Constraints = {};
  for (const key of CONSTRAINT_KEYS) {
    const value = definition.constraints?.[key];
    if (typeof value === "number" && value >= 0) constraints[key] = value;
  }
  const out: PipelineDefinition = {
    name: definition.name,
    blocks: definition.blocks.map((block) => ({ type: block.type, config: block.config ?? {} })),
    constraints,
  };
  if (definition.description) out.description = definition.description;
  return out;
}

/** The text of a definition. */
export function definitionToText(definition: PipelineDefinition, format: TextFormat): string {
  const value = normalized(definition);
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : YAML.stringify(value, { lineWidth: 0 });
}

/** A definition read from text, or why it cannot be. */
export type TextReading = { definition: PipelineDefinition } | { error: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return Boolean(value) && typeof value === "object" && !Array.isArray(value);
}

function readBlock(value: unknown, index: number): BlockSpec | string {
  if (!isObject(value)) return `blocks[${index}] must be an object with a type`;
  if (typeof value.type !== "string" || value.type === "") return `blocks[${index}] needs a type (a block name)`;
  const config = value.config ?? {};
  if (!isObject(config)) return `blocks[${index}].config must be an object`;
  return { type: value.type, config };
}

function readConstraints(value: unknown): Constraints | string {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) return "constraints must be an object";
  const constraints: Constraints = {};
  for (const [key, limit] of Object.entries(value)) {
    if (!CONSTRAINT_KEYS.includes(key as keyof Constraints)) {
      return `unknown constraint '${key}'; known: ${CONSTRAINT_KEYS.join(", ")}`;
    }
    if (limit === null || limit === -1) continue;
    if (typeof limit !== "number" || limit < 0) return `constraints.${key} must be a number ≥ 0 (or -1: unlimited)`;
    constraints[key as keyof Constraints] = limit;
  }
  return constraints;
}

/** Reads YAML (or, with `json`, strict JSON) text: `{name, blocks, constraints}` or the saved
 * `{name, definition}`. */
export function textToDefinition(text: string, format: TextFormat = "yaml"): TextReading {
  let value: unknown;
  try {
    // Half-typed text is normal here: the parser's warnings would only fill the console.
    value = format === "json" ? JSON.parse(text) : YAML.parse(text, { logLevel: "error" });
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  if (isObject(value) && isObject(value.definition) && value.blocks === undefined) {
    value = { name: value.name, ...value.definition };
  }
  if (!isObject(value)) return { error: "expected an object with name, blocks and constraints" };
  if (!Array.isArray(value.blocks)) return { error: "blocks must be a list of {type, config}" };
  const blocks: BlockSpec[] = [];
  for (const [index, item] of value.blocks.entries()) {
    const block = readBlock(item, index);
    if (typeof block === "string") return { error: block };
    blocks.push(block);
  }
  const constraints = readConstraints(value.constraints);
  if (typeof constraints === "string") return { error: constraints };
  if (value.name !== undefined && typeof value.name !== "string") return { error: "name must be text" };
  if (value.description !== undefined && value.description !== null && typeof value.description !== "string") {
    return { error: "description must be text" };
  }
  const definition: PipelineDefinition = {
    name: typeof value.name === "string" ? value.name : "pipeline",
    blocks,
    constraints,
  };
  if (typeof value.description === "string" && value.description) definition.description = value.description;
  return { definition };
}
