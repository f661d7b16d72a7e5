import type { BlockInfo } from "../api/schema";
import { extraMultipliers } from "./multipliers";
import { catalog, fieldMapper } from "./testBlocks";

const chunker: BlockInfo = { ...fieldMapper, type: "TokenChunker", kind: "multiplier", is_multiplier: true };
const withChunker = new Map(catalog).set(chunker.type, chunker);

describe("extraMultipliers", () => {
  it("accepts one multiplier at any step", () => {
    expect(extraMultipliers(["FieldMapper", "TokenChunker", "FieldMapper"], withChunker).size).toBe(0);
    expect(extraMultipliers(["TokenChunker", "FieldMapper"], withChunker).size).toBe(0);
  });

  it("names the first multiplier on every later one", () => {
    const problems = extraMultipliers(["FieldMapper", "TokenChunker", "TokenChunker", "TokenChunker"], withChunker);
    expect([...problems.keys()]).toEqual([2, 3]);
    expect(problems.get(2)).toBe("a pipeline may have one multiplier block, and step 1 (TokenChunker) is one already");
  });
});
