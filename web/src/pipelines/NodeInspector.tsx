/** The selected block's panel: its config form, its place in the chain (move up/down) and
 * delete. */
import type { BlockInfo } from "../api/schema";
import { blockSchema } from "./jsonSchema";
import type { NodeView } from "./BlockNode";
import { ConfigForm } from "./ConfigForm";
import type { Config } from "./types";

/** Props of {@link NodeInspector}. */
export interface NodeInspectorProps {
  nodeId: string;
  blockType: string;
  config: Config;
  info: BlockInfo | undefined;
  view: NodeView;
  chainLength: number;
  onConfig: (nodeId: string, config: Config) => void;
  onMove: (nodeId: string, delta: number) => void;
  onDelete: (nodeId: string) => void;
}

/** The panel. */
export function NodeInspector({ nodeId, blockType, config, info, view, chainLength, onConfig, onMove, onDelete }: NodeInspectorProps) {
  return (
    <aside className="inspector" aria-labelledby="inspector-heading" data-testid="inspector">
      <h2 id="inspector-heading">
        {view.notConnected ? "Not connected: " : `Step ${view.index + 1}: `}
        {info?.name ?? blockType}
      </h2>
      {info ? <p className="muted">{info.description}</p> : <p className="bad">Unknown block type {blockType}: no such block is loaded.</p>}
      <div className="actions">
        <button type="button" disabled={view.notConnected || view.index === 0} onClick={() => onMove(nodeId, -1)}>
          Move up
        </button>
        <button type="button" disabled={view.notConnected || view.index >= chainLength - 1} onClick={() => onMove(nodeId, 1)}>
          Move down
        </button>
        <button type="button" className="danger" onClick={() => onDelete(nodeId)}>
          Delete block
        </button>
      </div>
      {view.issues.length > 0 && (
        <ul className="node-issues" role="alert" aria-label="Server validation errors">
          {view.issues.map((issue) => (
            <li className="bad" key={issue}>
              {issue}
            </li>
          ))}
        </ul>
      )}
      <p className="muted">
        Can read: {view.available.length > 0 ? view.available.join(", ") : "no known fields"}
      </p>
      {info && (
        <ConfigForm
          key={nodeId}
          schema={blockSchema(info)}
          config={config}
          availableFields={view.available}
          onChange={(next) => onConfig(nodeId, next)}
        />
      )}
    </aside>
  );
}
