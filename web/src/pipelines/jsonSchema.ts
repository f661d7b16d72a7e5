/**
 * A block's config schema read as a JSON Schema. The server's OpenAPI document types
 * `config_schema` as a free-form object (it is whatever JSON Schema the block declares), so
 * the subset the editor reads is described here.
 */
import type { BlockInfo } from "../api/schema";

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

/** A block's config schema as a JSON Schema. */
export function blockSchema(info: Pick<BlockInfo, "config_schema">): JsonSchema {
  return info.config_schema as JsonSchema;
}
