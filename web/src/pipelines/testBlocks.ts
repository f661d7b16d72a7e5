/** Block descriptions shaped like the builtin blocks' `GET /api/blocks` entries (their schemas
 * as schemars writes them), for the tests of the pipelines pages. */
import type { BlockInfo } from "../api/schema";
import type { JsonSchema } from "./jsonSchema";

function block(type: string, category: string, outputs: string[], schema: JsonSchema, inputs: string[] = []): BlockInfo {
  return {
    type,
    name: type,
    description: `${type} block`,
    category,
    inputs,
    outputs,
    config_schema: { type: "object", additionalProperties: false, ...schema },
    capabilities: [],
    kind: "transform",
    is_multiplier: false,
    source: { kind: "builtin", crate_name: type.toLowerCase() },
    content_hash: "0",
  };
}

/** TextGenerator, with two registered models offered as an enum. */
export const textGenerator = block("TextGenerator", "generators", ["assistant", "system", "user"], {
  properties: {
    model: { type: ["string", "null"], format: "model", enum: ["fast", "smart", null], default: null },
    temperature: { type: "number", format: "float", minimum: 0, maximum: 2, default: 0.7 },
    max_tokens: { type: "integer", format: "uint32", minimum: 1, default: 2048 },
    system_prompt: { type: "string", format: "jinja2", default: "" },
    user_prompt: { type: "string", format: "jinja2", default: "" },
  },
});

/** FieldMapper: outputs `*`, the keys of `mappings`. */
export const fieldMapper = block("FieldMapper", "utilities", ["*"], {
  properties: { mappings: { format: "json-or-template", default: null } },
}, ["*"]);

/** JSONValidatorBlock: a field reference and a boolean. */
export const jsonValidator = block("JSONValidatorBlock", "validators", ["valid", "parsed_json"], {
  properties: {
    field_name: { type: "string", format: "field-reference", default: "assistant" },
    required_fields: { format: "json-or-template", default: [] },
    strict: { type: "boolean", default: false },
  },
}, ["*"]);

/** A block with every other kind of field, some required. */
export const kitchenSink = block("KitchenSink", "utilities", ["out"], {
  required: ["title", "tags"],
  properties: {
    title: { type: "string", description: "A title" },
    tags: { type: "array", items: { type: "string" } },
    mode: { type: "string", enum: ["fast", "slow"] },
    options: { type: "object", default: {} },
  },
});

/** Every test block, by type. */
export const catalog = new Map([textGenerator, fieldMapper, jsonValidator, kitchenSink].map((b) => [b.type, b]));
