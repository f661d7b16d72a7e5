import { issuesByNode } from "./saveIssues";

describe("issuesByNode", () => {
  it("attaches each step's messages to the node at that step, leaving pipeline-wide issues out", () => {
    const byNode = issuesByNode(
      [
        { step: 1, block_type: "B", message: "invalid config: /x: wrong" },
        { step: 1, block_type: "B", message: "a pipeline may have one multiplier block, and step 0 (A) is one already" },
        { step: 0, block_type: "A", message: "unknown block type 'A'" },
        { step: null, block_type: null, message: "the pipeline has no blocks" },
        { step: 7, block_type: "Z", message: "beyond the chain" },
      ],
      ["n1", "n2"],
    );
    expect([...byNode.entries()]).toEqual([
      ["n2", ["invalid config: /x: wrong", "a pipeline may have one multiplier block, and step 0 (A) is one already"]],
      ["n1", ["unknown block type 'A'"]],
    ]);
  });
});
