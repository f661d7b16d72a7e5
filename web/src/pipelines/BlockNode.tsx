/** A block on the canvas: its place in the chain, badges ("not configured", "not connected",
 * server errors) and the state fields it can read. */
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import type { BlockNodeData } from "./chain";

/** What the editor computed for a node. */
export interface NodeView {
  /** Place in chain order (nodes outside the chain come after it). */
  index: number;
  title: string;
  known: boolean;
  available: string[];
  outputs: string[];
  /** Why it is not configured (config problems, template errors). */
  configProblems: string[];
  notConnected: boolean;
  /** The server's validation messages for this step. */
  issues: string[];
}

/** The data of a canvas node as the editor renders it. */
export type ViewNodeData = BlockNodeData & { view: NodeView };

/** The xyflow node type of a block. */
export type BlockFlowNode = Node<ViewNodeData, "block">;

const FIELDS_SHOWN = 8;

/** A field list, shortened past {@link FIELDS_SHOWN} names. */
function FieldList({ label, fields }: { label: string; fields: string[] }) {
  const more = fields.length - FIELDS_SHOWN;
  return (
    <p className="node-fields">
      <span className="muted">{label}: </span>
      {fields.length === 0 ? <span className="muted">none</span> : fields.slice(0, FIELDS_SHOWN).map((f) => <code key={f}>{f}</code>)}
      {more > 0 && <span className="muted" title={fields.join(", ")}> +{more} more</span>}
    </p>
  );
}

/** The custom node component. */
export function BlockNode({ data, selected }: NodeProps<BlockFlowNode>) {
  const { view } = data;
  return (
    <div
      className={`block-node${selected ? " selected" : ""}${view.issues.length > 0 ? " has-issues" : ""}`}
      data-testid={`node-${view.index}`}
      data-block-type={data.blockType}
    >
      <Handle type="target" position={Position.Top} aria-label="previous block" />
      <div className="node-head">
        <span className="node-index" aria-label={`step ${view.index + 1}`}>
          {view.notConnected ? "–" : view.index + 1}
        </span>
        <strong>{view.title}</strong>
      </div>
      <div className="node-badges">
        {!view.known && <span className="badge bad">unknown block</span>}
        {view.configProblems.length > 0 && (
          <span className="badge warn" title={view.configProblems.join("\n")}>
            not configured
          </span>
        )}
        {view.notConnected && <span className="badge warn">not connected</span>}
        {view.issues.length > 0 && (
          <span className="badge bad" title={view.issues.join("\n")}>
            {view.issues.length === 1 ? "1 error" : `${view.issues.length} errors`}
          </span>
        )}
      </div>
      {view.issues.map((issue) => (
        <p className="node-issue bad" key={issue}>
          {issue}
        </p>
      ))}
      <FieldList label="reads from state" fields={view.available} />
      <FieldList label="writes" fields={view.outputs} />
      <Handle type="source" position={Position.Bottom} aria-label="next block" />
    </div>
  );
}
