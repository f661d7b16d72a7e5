/** The canvas model: nodes (one block each) and the edges between them. A pipeline is a
 * linear chain, so the order of its blocks is the chain that starts at the first node; a node
 * outside that chain is "not connected" and is not part of the pipeline. */
import type { BlockSpec, Constraints, PipelineDefinition } from "../api/schema";
import type { Config } from "./types";

/** What a node of the canvas carries. */
export interface BlockNodeData extends Record<string, unknown> {
  blockType: string;
  config: Config;
}

/** A node of the canvas (the fields of an @xyflow/react node this model reads). */
export interface CanvasNode {
  id: string;
  type?: string;
  position: { x: number; y: number };
  data: BlockNodeData;
  /** The size the canvas measured (after it rendered the node). */
  measured?: { width?: number; height?: number };
}

/** An edge of the canvas. */
export interface CanvasEdge {
  id: string;
  source: string;
  target: string;
}

/** Nodes in chain order, and the nodes outside the chain. */
export interface ChainOrder {
  order: string[];
  disconnected: string[];
}

/** Follows the outgoing edges from `head`, stopping before a node seen twice. */
function follow(head: string, next: Map<string, string>): string[] {
  const chain = [head];
  const seen = new Set(chain);
  let at = next.get(head);
  while (at !== undefined && !seen.has(at)) {
    chain.push(at);
    seen.add(at);
    at = next.get(at);
  }
  return chain;
}

/** The chain of `nodeIds`: from the node without an incoming edge whose chain is the longest
 * (the first such node on ties; the first node when every node has one). */
export function chainOrder(nodeIds: string[], edges: CanvasEdge[]): ChainOrder {
  const known = new Set(nodeIds);
  const next = new Map<string, string>();
  const hasIncoming = new Set<string>();
  for (const edge of edges) {
    if (!known.has(edge.source) || !known.has(edge.target) || next.has(edge.source)) continue;
    next.set(edge.source, edge.target);
    hasIncoming.add(edge.target);
  }
  const heads = nodeIds.filter((id) => !hasIncoming.has(id));
  const candidates = (heads.length > 0 ? heads : nodeIds.slice(0, 1)).map((head) => follow(head, next));
  const order = candidates.reduce<string[]>((best, chain) => (chain.length > best.length ? chain : best), []);
  const inChain = new Set(order);
  return { order, disconnected: nodeIds.filter((id) => !inChain.has(id)) };
}

/** The edge id for a link. */
export function edgeId(source: string, target: string): string {
  return `e-${source}-${target}`;
}

/** Edges linking `order` one after the other. */
export function linkChain(order: string[]): CanvasEdge[] {
  return order.slice(1).map((target, index) => ({ id: edgeId(order[index], target), source: order[index], target }));
}

/** Why a connection is refused, or the edges with it: a node has one edge out and one in, so
 * the new edge replaces the source's outgoing and the target's incoming edge. */
export function connect(edges: CanvasEdge[], source: string, target: string): CanvasEdge[] | string {
  if (source === target) return "a block cannot follow itself";
  const kept = edges.filter((edge) => edge.source !== source && edge.target !== target);
  const next = new Map(kept.map((edge) => [edge.source, edge.target]));
  if (follow(target, next).includes(source)) return "this link would make a loop; a pipeline is a chain";
  return [...kept, { id: edgeId(source, target), source, target }];
}

/** Removes a node, linking its predecessor to its successor so the chain stays whole. */
export function removeNode(nodeIds: string[], edges: CanvasEdge[], id: string): CanvasEdge[] {
  const before = edges.find((edge) => edge.target === id)?.source;
  const after = edges.find((edge) => edge.source === id)?.target;
  const kept = edges.filter((edge) => edge.source !== id && edge.target !== id);
  if (before === undefined || after === undefined || !nodeIds.includes(before) || !nodeIds.includes(after)) return kept;
  return [...kept, { id: edgeId(before, after), source: before, target: after }];
}

/** Moves a node of the chain `delta` places (−1 earlier, +1 later) and relinks the chain;
 * the edges of nodes outside the chain are kept. */
export function moveInChain(nodeIds: string[], edges: CanvasEdge[], id: string, delta: number): CanvasEdge[] {
  const { order } = chainOrder(nodeIds, edges);
  const from = order.indexOf(id);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= order.length) return edges;
  const moved = [...order];
  moved.splice(from, 1);
  moved.splice(to, 0, id);
  const inChain = new Set(order);
  const outside = edges.filter((edge) => !inChain.has(edge.source) && !inChain.has(edge.target));
  return [...outside, ...linkChain(moved)];
}

/** The pipeline the canvas shows: its chain's blocks in order. */
export function toDefinition(
  meta: { name: string; description?: string; constraints: Constraints },
  nodes: CanvasNode[],
  edges: CanvasEdge[],
): PipelineDefinition {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const { order } = chainOrder(
    nodes.map((node) => node.id),
    edges,
  );
  const blocks: BlockSpec[] = order.flatMap((id) => {
    const node = byId.get(id);
    return node ? [{ type: node.data.blockType, config: node.data.config }] : [];
  });
  const definition: PipelineDefinition = { name: meta.name, blocks, constraints: meta.constraints };
  if (meta.description) definition.description = meta.description;
  return definition;
}

let counter = 0;

/** A fresh node id. */
export function newNodeId(): string {
  counter += 1;
  return `n${Date.now().toString(36)}-${counter}`;
}

/** Nodes and edges for a pipeline's blocks, linked in order (positions are laid out later). */
export function fromBlocks(blocks: BlockSpec[]): { nodes: CanvasNode[]; edges: CanvasEdge[] } {
  const nodes: CanvasNode[] = blocks.map((block, index) => ({
    id: newNodeId(),
    type: "block",
    position: { x: 0, y: index * 160 },
    data: { blockType: block.type, config: { ...(block.config ?? {}) } },
  }));
  return {
    nodes,
    edges: linkChain(nodes.map((node) => node.id)),
  };
}
