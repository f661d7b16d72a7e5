import type { PipelineDefinition } from "../api/schema";
import { definitionToText, textToDefinition } from "./pipelineText";

const definition: PipelineDefinition = {
  name: "Q&A: pairs",
  description: "multi\nline",
  blocks: [
    {
      type: "StructuredGenerator",
      config: {
        json_schema: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
        user_prompt: "Passage:\n{{ content }}\n",
        temperature: 0.4,
        model: null,
      },
    },
    { type: "FieldMapper", config: { mappings: { q: "{{ generated.q }}" } } },
    { type: "ValidatorBlock", config: {} },
  ],
  constraints: { max_total_tokens: 5000, max_total_execution_time: 12.5 },
};

describe("the YAML/JSON view", () => {
  it.each(["yaml", "json"] as const)("round-trips a pipeline through %s", (format) => {
    const text = definitionToText(definition, format);
    expect(textToDefinition(text, format)).toEqual({ definition });
  });

  it("writes YAML a person can edit, and reads edits back", () => {
    const text = definitionToText(definition, "yaml");
    expect(text).toContain("type: FieldMapper");
    const edited = text.replace("max_total_tokens: 5000", "max_total_tokens: 42");
    const read = textToDefinition(edited);
    expect("definition" in read && read.definition.constraints?.max_total_tokens).toBe(42);
  });

  it("reads the saved shape, -1 as unlimited and a missing config as empty", () => {
    const read = textToDefinition(
      JSON.stringify({ name: "s", definition: { blocks: [{ type: "A" }], constraints: { max_total_tokens: -1 } } }),
    );
    expect(read).toEqual({ definition: { name: "s", blocks: [{ type: "A", config: {} }], constraints: {} } });
  });

  it("says what is wrong with bad text", () => {
    const error = (text: string) => {
      const read = textToDefinition(text);
      return "error" in read ? read.error : "";
    };
    expect(error("name: [unclosed")).toMatch(/line 1/);
    expect("error" in textToDefinition("name: x\nblocks: []", "json")).toBe(true);
    expect(error("- 1")).toMatch(/expected an object/);
    expect(error("name: x\nblocks: 3")).toMatch(/blocks must be a list/);
    expect(error("blocks:\n  - config: {}")).toMatch(/blocks\[0\] needs a type/);
    expect(error("blocks:\n  - type: A\n    config: 3")).toMatch(/blocks\[0\]\.config must be an object/);
    expect(error("blocks: []\nconstraints: {max_tokens: 3}")).toMatch(/unknown constraint 'max_tokens'/);
    expect(error("blocks: []\nconstraints: {max_total_tokens: lots}")).toMatch(/must be a number/);
  });
});
