/** How the config form shows one property of a block's JSON Schema, and which of a config's
 * values the schema refuses (the "not configured" badge; the server checks again on save). */
import type { JsonSchema } from "./jsonSchema";
import type { Config } from "./types";

/** The kinds of input the config form has. */
export type FieldKind =
  | "enum"
  | "boolean"
  | "integer"
  | "number"
  | "string"
  | "stringList"
  | "template"
  | "jsonOrTemplate"
  | "fieldReference"
  | "json";

/** One property, read for the form. */
export interface FieldSpec {
  key: string;
  kind: FieldKind;
  label: string;
  description: string;
  required: boolean;
  nullable: boolean;
  schema: JsonSchema;
  defaultValue: unknown;
  /** For `enum`: the choices, in the schema's order. */
  options: unknown[];
}

/** The types a schema allows, alternatives (`anyOf`/`oneOf`) included. */
export function typesOf(schema: JsonSchema): string[] {
  const own = typeof schema.type === "string" ? [schema.type] : Array.isArray(schema.type) ? schema.type : [];
  const alternatives = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].filter(
    (alternative): alternative is JsonSchema => Boolean(alternative) && typeof alternative === "object",
  );
  return [...new Set([...own, ...alternatives.flatMap(typesOf)])];
}

/** The non-null alternative of `anyOf: [X, {type: null}]`, or the schema itself. */
function mainSchema(schema: JsonSchema): JsonSchema {
  const alternatives = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].filter(
    (alternative): alternative is JsonSchema =>
      Boolean(alternative) && typeof alternative === "object" && !typesOf(alternative).every((t) => t === "null"),
  );
  return alternatives.length === 1 ? { ...alternatives[0], ...schema, anyOf: undefined, oneOf: undefined } : schema;
}

/** Turns `snake_case` into a label. */
function labelOf(key: string, schema: JsonSchema): string {
  if (schema.title) return schema.title;
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function kindOf(schema: JsonSchema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return "enum";
  if (schema.format === "jinja2") return "template";
  if (schema.format === "json-or-template") return "jsonOrTemplate";
  if (schema.format === "field-reference") return "fieldReference";
  const types = typesOf(schema).filter((t) => t !== "null");
  if (types.length !== 1) return "json";
  switch (types[0]) {
    case "boolean":
      return "boolean";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "string":
      return "string";
    case "array": {
      const items = schema.items;
      return items && typeof items === "object" && typesOf(items).includes("string") ? "stringList" : "json";
    }
    default:
      return "json";
  }
}

/** Every property of a config schema, in the schema's order. */
export function fieldsOf(configSchema: JsonSchema): FieldSpec[] {
  const required = new Set(configSchema.required ?? []);
  return Object.entries(configSchema.properties ?? {}).map(([key, raw]) => {
    const own = typeof raw === "object" && raw ? raw : {};
    const schema = mainSchema(own);
    return {
      key,
      kind: kindOf(schema),
      label: labelOf(key, schema),
      description: schema.description ?? "",
      required: required.has(key),
      nullable: typesOf(own).includes("null") || (schema.enum ?? []).includes(null),
      schema,
      defaultValue: schema.default,
      options: schema.enum ?? [],
    };
  });
}

/** One value the schema refuses. */
export interface ConfigProblem {
  key: string;
  message: string;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(value: unknown, types: string[]): boolean {
  if (types.length === 0) return true;
  const actual = jsonType(value);
  return types.includes(actual) || (actual === "integer" && types.includes("number"));
}

/** Why `value` does not fit `schema` (the checks the form can explain), or null. */
function valueProblem(value: unknown, schema: JsonSchema): string | null {
  const types = typesOf(schema);
  if (!matchesType(value, types)) return `must be ${types.join(" or ")}, not ${jsonType(value)}`;
  if (Array.isArray(schema.enum) && !schema.enum.some((choice) => JSON.stringify(choice) === JSON.stringify(value))) {
    return `must be one of ${schema.enum.map((choice) => JSON.stringify(choice)).join(", ")}`;
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return `must be at least ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `must be at most ${schema.maximum}`;
  }
  if (Array.isArray(value) && schema.items && typeof schema.items === "object") {
    const items = schema.items;
    const bad = value.findIndex((item) => valueProblem(item, items) !== null);
    if (bad >= 0) return `item ${bad + 1} ${valueProblem(value[bad], items)}`;
  }
  return null;
}

/** Every problem of `config` against the block's schema: required keys missing, unknown keys
 * when the schema allows no others, values of the wrong type, outside the enum or the range. */
export function configProblems(configSchema: JsonSchema, config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const properties = configSchema.properties ?? {};
  for (const key of configSchema.required ?? []) {
    if (config[key] === undefined) problems.push({ key, message: "is required" });
  }
  for (const [key, value] of Object.entries(config)) {
    const raw = properties[key];
    if (raw === undefined) {
      if (configSchema.additionalProperties === false) problems.push({ key, message: "is not a setting of this block" });
      continue;
    }
    if (typeof raw !== "object" || raw === null) continue;
    const message = valueProblem(value, raw);
    if (message) problems.push({ key, message });
  }
  return problems;
}
