import { chainOrder, connect, fromBlocks, linkChain, moveInChain, removeNode, toDefinition } from "./chain";
import type { CanvasEdge } from "./chain";
import { autoLayout, freeSpot } from "./layout";

const edge = (source: string, target: string): CanvasEdge => ({ id: `${source}${target}`, source, target });

describe("chainOrder", () => {
  it("orders nodes along the edges from the first node, whatever order they were added in", () => {
    expect(chainOrder(["c", "a", "b"], [edge("b", "c"), edge("a", "b")])).toEqual({ order: ["a", "b", "c"], disconnected: [] });
  });

  it("takes the longest chain and lists the other nodes as not connected", () => {
    expect(chainOrder(["x", "a", "b", "c", "y"], [edge("a", "b"), edge("b", "c"), edge("x", "y")])).toEqual({
      order: ["a", "b", "c"],
      disconnected: ["x", "y"],
    });
    expect(chainOrder(["solo"], [])).toEqual({ order: ["solo"], disconnected: [] });
    expect(chainOrder([], [])).toEqual({ order: [], disconnected: [] });
  });

  it("survives a loop and edges to nodes that are gone", () => {
    expect(chainOrder(["a", "b"], [edge("a", "b"), edge("b", "a"), edge("b", "gone")])).toEqual({
      order: ["a", "b"],
      disconnected: [],
    });
  });
});

describe("editing the chain", () => {
  it("connect replaces the source's outgoing and the target's incoming edge and refuses loops", () => {
    const edges = linkChain(["a", "b", "c"]);
    const relinked = connect(edges, "a", "c");
    expect(typeof relinked).not.toBe("string");
    expect(chainOrder(["a", "b", "c"], relinked as CanvasEdge[])).toEqual({ order: ["a", "c"], disconnected: ["b"] });
    expect(connect(edges, "c", "a")).toMatch(/loop/);
    expect(connect(edges, "a", "a")).toMatch(/itself/);
  });

  it("removeNode keeps the chain whole and moveInChain reorders it", () => {
    const ids = ["a", "b", "c"];
    const edges = linkChain(ids);
    expect(chainOrder(["a", "c"], removeNode(ids, edges, "b")).order).toEqual(["a", "c"]);
    expect(chainOrder(ids, moveInChain(ids, edges, "c", -1)).order).toEqual(["a", "c", "b"]);
    expect(chainOrder(ids, moveInChain(ids, edges, "a", 1)).order).toEqual(["b", "a", "c"]);
    expect(moveInChain(ids, edges, "a", -1)).toBe(edges);
  });
});

describe("canvas model ↔ pipeline definition", () => {
  it("round-trips blocks, configs and constraints", () => {
    const definition = {
      name: "p",
      description: "d",
      blocks: [
        { type: "TextGenerator", config: { user_prompt: "{{ x }}" } },
        { type: "FieldMapper", config: { mappings: { a: "{{ assistant }}" } } },
      ],
      constraints: { max_total_tokens: 1000, max_total_execution_time: 2.5 },
    };
    const { nodes, edges } = fromBlocks(definition.blocks);
    const laidOut = autoLayout(nodes, edges);
    expect(laidOut[1].position.y).toBeGreaterThan(laidOut[0].position.y);
    const shuffled = [laidOut[1], laidOut[0]];
    expect(toDefinition(definition, shuffled, edges)).toEqual(definition);
  });

  it("leaves nodes outside the chain out of the pipeline", () => {
    const { nodes } = fromBlocks([
      { type: "A", config: {} },
      { type: "B", config: {} },
    ]);
    expect(toDefinition({ name: "p", constraints: {} }, nodes, []).blocks).toEqual([{ type: "A", config: {} }]);
  });
});

describe("freeSpot", () => {
  it("moves a dropped block below the blocks it would cover", () => {
    const { nodes } = fromBlocks([{ type: "A", config: {} }]);
    const at = { ...nodes[0].position };
    const spot = freeSpot({ x: at.x + 10, y: at.y + 10 }, nodes);
    expect(spot.x).toBe(at.x + 10);
    expect(spot.y - at.y).toBeGreaterThanOrEqual(120);
    expect(freeSpot({ x: at.x + 400, y: at.y }, nodes)).toEqual({ x: at.x + 400, y: at.y });
  });
  it("goes by the measured height of tall nodes and past a column of them", () => {
    const { nodes } = fromBlocks([
      { type: "A", config: {} },
      { type: "B", config: {} },
    ]);
    const placed = [
      { ...nodes[0], position: { x: 0, y: 0 }, measured: { width: 240, height: 300 } },
      { ...nodes[1], position: { x: 0, y: 320 }, measured: { width: 240, height: 100 } },
    ];
    // Dropped on the first: below the second, which sits right under it.
    const spot = freeSpot({ x: 20, y: 150 }, placed);
    expect(spot).toEqual({ x: 20, y: 320 + 100 + 16 });
  });
});
