import { configProblems, fieldsOf } from "./schemaField";
import { jsonValidator, kitchenSink, textGenerator } from "./testBlocks";

describe("reading a config schema", () => {
  it("gives each property its kind, in the schema's order", () => {
    expect(fieldsOf(textGenerator.config_schema).map((f) => [f.key, f.kind])).toEqual([
      ["model", "enum"],
      ["temperature", "number"],
      ["max_tokens", "integer"],
      ["system_prompt", "template"],
      ["user_prompt", "template"],
    ]);
    expect(fieldsOf(jsonValidator.config_schema).map((f) => f.kind)).toEqual(["fieldReference", "jsonOrTemplate", "boolean"]);
    expect(fieldsOf(kitchenSink.config_schema).map((f) => [f.kind, f.required])).toEqual([
      ["string", true],
      ["stringList", true],
      ["enum", false],
      ["json", false],
    ]);
  });

  it("reads optional values written as anyOf with null", () => {
    const [field] = fieldsOf({ properties: { limit: { anyOf: [{ type: "integer" }, { type: "null" }] } } });
    expect(field).toMatchObject({ kind: "integer", nullable: true });
  });
});

describe("configProblems", () => {
  it("finds required keys missing, unknown keys, wrong types, enums and ranges", () => {
    expect(configProblems(kitchenSink.config_schema, { title: 3, tags: ["a", 2], mode: "medium", extra: 1 })).toEqual([
      { key: "tags", message: "item 2 must be string, not integer" },
      { key: "title", message: "must be string, not integer" },
      { key: "mode", message: 'must be one of "fast", "slow"' },
      { key: "extra", message: "is not a setting of this block" },
    ].sort((a, b) => ["title", "tags", "mode", "extra"].indexOf(a.key) - ["title", "tags", "mode", "extra"].indexOf(b.key)));
    expect(configProblems(kitchenSink.config_schema, {})).toEqual([
      { key: "title", message: "is required" },
      { key: "tags", message: "is required" },
    ]);
    expect(configProblems(textGenerator.config_schema, { temperature: 3, max_tokens: 0, model: null })).toEqual([
      { key: "temperature", message: "must be at most 2" },
      { key: "max_tokens", message: "must be at least 1" },
    ]);
    expect(configProblems(textGenerator.config_schema, { model: "fast", temperature: 1 })).toEqual([]);
  });
});
