/** The canvas (@xyflow/react): shows the nodes, accepts blocks dropped from the palette,
 * connects, moves and deletes nodes. */
import { useCallback, useEffect, type DragEvent } from "react";
import {
  Background,
  Controls,
  MarkerType,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { BlockNode, type BlockFlowNode } from "./BlockNode";
import { droppedBlockType, endBlockDrag, isBlockDrag } from "./Palette";

const nodeTypes = { block: BlockNode };

/** Props of {@link Canvas}. */
export interface CanvasProps {
  nodes: BlockFlowNode[];
  edges: Edge[];
  onNodesChange: (changes: NodeChange<BlockFlowNode>[]) => void;
  onEdgesChange: (changes: EdgeChange[]) => void;
  onConnect: (connection: Connection) => void;
  onDropBlock: (blockType: string, position: { x: number; y: number }) => void;
  onSelect: (nodeId: string | null) => void;
}

/** The canvas; must be inside a ReactFlowProvider. */
export function Canvas({ nodes, edges, onNodesChange, onEdgesChange, onConnect, onDropBlock, onSelect }: CanvasProps) {
  const flow = useReactFlow();
  // Keep every block in view when one is added or removed (after xyflow has measured it).
  const count = nodes.length;
  useEffect(() => {
    const frame = requestAnimationFrame(() => void flow.fitView({ maxZoom: 1, duration: 150 }));
    return () => cancelAnimationFrame(frame);
  }, [count, flow]);
  const onDragOver = useCallback((event: DragEvent) => {
    if (!isBlockDrag(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  }, []);
  const onDrop = useCallback(
    (event: DragEvent) => {
      const blockType = droppedBlockType(event);
      endBlockDrag();
      if (!blockType) return;
      event.preventDefault();
      onDropBlock(blockType, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [flow, onDropBlock],
  );
  return (
    <div className="canvas" data-testid="canvas" onDragOver={onDragOver} onDrop={onDrop} aria-label="Pipeline canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeClick={(_, node) => onSelect(node.id)}
        onPaneClick={() => onSelect(null)}
        fitView
        fitViewOptions={{ maxZoom: 1 }}
        deleteKeyCode={["Delete", "Backspace"]}
        defaultEdgeOptions={{ markerEnd: { type: MarkerType.ArrowClosed } }}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
      {nodes.length === 0 && (
        <p className="canvas-empty muted">Drag blocks here from the palette, or use their Add button.</p>
      )}
    </div>
  );
}
