import type { BlockInfo } from "../api/schema";
import { pipelineState } from "./stateFields";
import { catalog, fieldMapper } from "./testBlocks";

describe("pipelineState", () => {
  it("computes seed fields and the fields each step can read and leaves, as the server does", () => {
    const state = pipelineState(
      [
        { type: "TextGenerator", config: { user_prompt: "Write about {{ topic }} in {{ style }}", model: "{{ no }}" } },
        { type: "JSONValidatorBlock", config: { field_name: "assistant" } },
        { type: "FieldMapper", config: { mappings: { question: "{{ parsed_json.q }}", echo: "{{ topic }} {{ extra }}" } } },
      ],
      catalog,
    );
    expect(state.seedFields).toEqual(["extra", "style", "topic"]);
    expect(state.steps.map((s) => s.reads)).toEqual([["style", "topic"], ["assistant"], ["extra", "parsed_json", "topic"]]);
    expect(state.steps[0].available).toEqual(["extra", "style", "topic"]);
    expect(state.steps[1].available).toEqual(["assistant", "extra", "style", "system", "topic", "user"]);
    expect(state.steps[2].outputs).toEqual(["question", "echo"]);
    expect(state.fields).toEqual(["assistant", "echo", "extra", "parsed_json", "question", "style", "system", "topic", "user", "valid"]);
  });

  it("stops inferring seed fields after a block that may write anything, and after an unknown block", () => {
    const state = pipelineState(
      [
        { type: "FieldMapper", config: {} },
        { type: "TextGenerator", config: { user_prompt: "{{ later }}" } },
      ],
      catalog,
    );
    expect(state.seedFields).toEqual([]);
    expect(state.steps[0].outputs).toEqual(["*"]);
    const unknown = pipelineState(
      [
        { type: "Nope", config: {} },
        { type: "TextGenerator", config: { user_prompt: "{{ later }}" } },
      ],
      catalog,
    );
    expect(unknown.steps[0].known).toBe(false);
    expect(unknown.seedFields).toEqual([]);
  });

  it("reports the template fields that do not read", () => {
    const state = pipelineState([{ type: "TextGenerator", config: { user_prompt: "{{ a }", system_prompt: "{% if b %}" } }], catalog);
    expect(state.steps[0].templateErrors).toEqual([
      { field: "user_prompt", message: "'{{' at line 1 is never closed with '}}'" },
      { field: "system_prompt", message: "'if' at line 1 is never closed with 'endif'" },
    ]);
  });

  it("reads mappings given as JSON text", () => {
    const state = pipelineState([{ type: "FieldMapper", config: { mappings: '{"k": "{{ v }}"}' } }], catalog);
    expect(state.steps[0].outputs).toEqual(["k"]);
    expect(state.seedFields).toEqual(["v"]);
  });

  it("counts a multiplier's declared inputs as seed reads, as the server does", () => {
    const chunker: BlockInfo = {
      ...fieldMapper,
      type: "MarkdownMultiplierBlock",
      inputs: ["file_content"],
      outputs: ["chunk_text", "chunk_index"],
      kind: "multiplier",
      is_multiplier: true,
    };
    const withChunker = new Map(catalog).set(chunker.type, chunker);
    const state = pipelineState(
      [
        { type: "MarkdownMultiplierBlock", config: {} },
        { type: "TextGenerator", config: { user_prompt: "{{ chunk_text }} {{ topic }}" } },
      ],
      withChunker,
    );
    expect(state.steps[0].reads).toEqual(["file_content"]);
    expect(state.seedFields).toEqual(["file_content", "topic"]);
    // Later in the chain, it still reads its input: from the seed when no block before writes it.
    const later = pipelineState(
      [
        { type: "FieldMapper", config: { mappings: { text: "{{ url }}" } } },
        { type: "MarkdownMultiplierBlock", config: {} },
        { type: "TextGenerator", config: { user_prompt: "{{ chunk_text }}" } },
      ],
      withChunker,
    );
    expect(later.seedFields).toEqual(["file_content", "url"]);
    const written = pipelineState(
      [
        { type: "FieldMapper", config: { mappings: { file_content: "{{ url }}" } } },
        { type: "MarkdownMultiplierBlock", config: {} },
      ],
      withChunker,
    );
    expect(written.seedFields).toEqual(["url"]);
  });

  it("reads the field a multiplier's config names instead of its declared input", () => {
    const tokenChunker: BlockInfo = {
      ...fieldMapper,
      type: "TokenChunker",
      inputs: ["file_content"],
      outputs: ["chunk_text", "chunk_index", "chunk_tokens"],
      config_schema: { type: "object", properties: { field_name: { type: "string", format: "field-reference" } } },
      kind: "multiplier",
      is_multiplier: true,
    };
    const withChunker = new Map(catalog).set(tokenChunker.type, tokenChunker);
    const named = pipelineState([{ type: "TokenChunker", config: { field_name: "body" } }], withChunker);
    expect(named.seedFields).toEqual(["body"]);
    const unnamed = pipelineState([{ type: "TokenChunker", config: {} }], withChunker);
    expect(unnamed.seedFields).toEqual(["file_content"]);
  });
});
