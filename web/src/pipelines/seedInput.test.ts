import { seedState, seedTemplate } from "./seedInput";

describe("the preview seed", () => {
  it("takes a state object, a seed entry's metadata, a seed file's first seed or a JSONL first line", () => {
    expect(seedState('{"topic": "rivers"}')).toEqual({ state: { topic: "rivers" } });
    expect(seedState('{"repetitions": 2, "metadata": {"topic": "x"}}')).toEqual({ state: { topic: "x" } });
    expect(seedState('[{"metadata": {"a": 1}}, {"metadata": {"a": 2}}]')).toEqual({ state: { a: 1 } });
    expect(seedState('{"a": 1}\n{"a": 2}\n')).toEqual({ state: { a: 1 } });
  });

  it("says why a seed cannot be used", () => {
    expect(seedState("")).toMatchObject({ error: expect.stringContaining("type a seed") });
    expect(seedState("{nope")).toMatchObject({ error: expect.stringContaining("not JSON") });
    expect(seedState("[]")).toEqual({ error: "the seed list is empty" });
    expect(seedState("3")).toEqual({ error: "the seed must be a JSON object" });
  });

  it("starts from the fields the seed must give", () => {
    expect(JSON.parse(seedTemplate(["content", "style"]))).toEqual({ content: "", style: "" });
  });
});
