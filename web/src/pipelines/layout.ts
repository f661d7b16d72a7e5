/** Auto-layout of the canvas with dagre: the chain top to bottom, nodes outside it beside. */
import dagre from "@dagrejs/dagre";
import type { CanvasEdge, CanvasNode } from "./chain";

/** The size dagre reserves for a node (the block node's usual size). */
export const NODE_SIZE = { width: 260, height: 120 };

/** The nodes with positions from dagre (top to bottom along the edges). */
export function autoLayout<N extends CanvasNode>(nodes: N[], edges: CanvasEdge[]): N[] {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "TB", nodesep: 60, ranksep: 50 });
  graph.setDefaultEdgeLabel(() => ({}));
  nodes.forEach((node) => graph.setNode(node.id, { ...NODE_SIZE }));
  edges.forEach((edge) => graph.setEdge(edge.source, edge.target));
  dagre.layout(graph);
  return nodes.map((node) => {
    const placed = graph.node(node.id);
    if (!placed) return node;
    return { ...node, position: { x: placed.x - NODE_SIZE.width / 2, y: placed.y - NODE_SIZE.height / 2 } };
  });
}

/** Room kept between a placed node and its neighbours. */
const GAP = 16;

/** A node's size: as measured by the canvas once rendered, else the usual size. */
function sizeOf(node: CanvasNode): { width: number; height: number } {
  return { width: node.measured?.width ?? NODE_SIZE.width, height: node.measured?.height ?? NODE_SIZE.height };
}

/** `position`, moved down until a node of the usual size placed there would cover no other node
 * (taller nodes by their measured height), keeping a small gap. */
export function freeSpot(position: { x: number; y: number }, nodes: CanvasNode[]): { x: number; y: number } {
  const covering = (at: { x: number; y: number }) =>
    nodes.find((node) => {
      const size = sizeOf(node);
      return (
        at.x < node.position.x + size.width + GAP &&
        node.position.x < at.x + NODE_SIZE.width + GAP &&
        at.y < node.position.y + size.height + GAP &&
        node.position.y < at.y + NODE_SIZE.height + GAP
      );
    });
  let at = position;
  for (let tries = 0; tries < 100; tries += 1) {
    const node = covering(at);
    if (!node) break;
    // Just below the node in the way.
    at = { x: at.x, y: node.position.y + sizeOf(node).height + GAP };
  }
  return at;
}
