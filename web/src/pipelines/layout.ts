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

/** `position`, moved down until a node placed there would not cover another node. */
export function freeSpot(position: { x: number; y: number }, nodes: CanvasNode[]): { x: number; y: number } {
  const covers = (at: { x: number; y: number }) =>
    nodes.some(
      (node) => Math.abs(node.position.x - at.x) < NODE_SIZE.width && Math.abs(node.position.y - at.y) < NODE_SIZE.height,
    );
  let at = position;
  for (let tries = 0; tries < 50 && covers(at); tries += 1) at = { x: at.x, y: at.y + NODE_SIZE.height / 2 };
  return at;
}
