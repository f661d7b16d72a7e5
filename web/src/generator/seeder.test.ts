import { describe, expect, it } from "vitest";
import type { BlockInfo, Pipeline } from "../api/schema";
import { seederOf } from "./seeder";

const block = (type: string, over: Partial<BlockInfo>): BlockInfo => ({
  type,
  name: type,
  description: "",
  category: "generators",
  inputs: [],
  outputs: [],
  config_schema: {},
  capabilities: [],
  kind: "transform",
  is_multiplier: false,
  source: { kind: "builtin", crate_name: type },
  content_hash: "",
  ...over,
});

const blocks = [
  block("ScenarioSampler", { category: "seeders", kind: "multiplier", is_multiplier: true }),
  block("MarkdownMultiplierBlock", { category: "seeders", kind: "multiplier", is_multiplier: true, inputs: ["file_content"] }),
  block("FieldMapper", {}),
];

const pipeline = (...types: string[]): Pipeline => ({
  id: 1,
  name: "p",
  definition: { name: "p", blocks: types.map((type) => ({ type, config: {} })) },
  validation_config: { field_order: { primary: [], secondary: [], hidden: [] } },
  created_at: 0,
  updated_at: 0,
  first_block_type: types[0] ?? null,
  first_block_is_multiplier: false,
});

describe("seederOf", () => {
  it("finds a first block that makes runs without seeds", () => {
    expect(seederOf(pipeline("ScenarioSampler", "FieldMapper"), blocks)?.type).toBe("ScenarioSampler");
  });

  it("refuses seeders that read the seed, transforms, later seeders and unknown pipelines", () => {
    expect(seederOf(pipeline("MarkdownMultiplierBlock"), blocks)).toBeNull();
    expect(seederOf(pipeline("FieldMapper", "ScenarioSampler"), blocks)).toBeNull();
    expect(seederOf(pipeline(), blocks)).toBeNull();
    expect(seederOf(undefined, blocks)).toBeNull();
    expect(seederOf(pipeline("ScenarioSampler"), undefined)).toBeNull();
  });
});
