import { describe, expect, it } from "vitest";
import { inputOf } from "./ModelForm";

const draft = {
  name: " main ",
  provider: "anthropic" as const,
  endpoint: "",
  api_key: "",
  model_name: "claude-sonnet-4",
  dimensions: "",
  is_default: false,
};

describe("inputOf", () => {
  it("omits an empty key on update so the stored key is kept, and sends the provider", () => {
    const input = inputOf("llm", draft, true);
    expect(input).toEqual({ name: "main", provider: "anthropic", endpoint: "", model_name: "claude-sonnet-4" });
    expect("api_key" in input).toBe(false);
  });
  it("sends a typed key, the default flag and embedding dimensions", () => {
    expect(inputOf("embedding", { ...draft, api_key: "sk-1", dimensions: "768", is_default: true }, true)).toMatchObject({
      api_key: "sk-1",
      dimensions: 768,
      is_default: true,
    });
    expect(inputOf("llm", draft, false).api_key).toBe("");
  });
});
