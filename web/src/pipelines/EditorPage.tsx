/** The visual pipeline editor: palette, canvas, the selected block's config, constraints, the
 * YAML/JSON view, save with the server's validation errors on the nodes, and preview. */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { ReactFlowProvider, applyEdgeChanges, applyNodeChanges, type Connection, type Edge, type EdgeChange, type NodeChange } from "@xyflow/react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/errors";
import { blocksQuery, pipelineQuery, stateSchemaQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { AccumulatedStateSchema, BlockInfo, Constraints, PipelineDefinition } from "../api/schema";
import { ErrorMessage, Loading } from "../components/RequestState";
import type { BlockFlowNode, NodeView } from "./BlockNode";
import { Canvas } from "./Canvas";
import {
  chainOrder,
  connect,
  edgeId,
  fromBlocks,
  linkChain,
  moveInChain,
  newNodeId,
  removeNode,
  toDefinition,
  type CanvasEdge,
  type CanvasNode,
} from "./chain";
import { ConstraintsForm } from "./ConstraintsForm";
import { autoLayout, freeSpot } from "./layout";
import { NodeInspector } from "./NodeInspector";
import { Palette } from "./Palette";
import { normalized } from "./pipelineText";
import { PreviewPanel } from "./PreviewPanel";
import { blockSchema } from "./jsonSchema";
import { createPipeline, updatePipeline } from "./pipelineCalls";
import { configProblems } from "./schemaField";
import { pipelineState } from "./stateFields";
import { withoutDetail } from "./errorDetail";
import { extraMultipliers } from "./multipliers";
import { issuesByNode } from "./saveIssues";
import type { Config, ValidationIssue } from "./types";
import { YamlView } from "./YamlView";
import "./pipelines.css";

/** How often the palette rereads `/api/blocks`, so plugins added to the folder appear. */
const BLOCKS_POLL_MS = 3000;

/** `value`, kept identical while its JSON does not change (a poll that found nothing new
 * re-renders nothing). */
function useStable<T>(value: T): T {
  const kept = useRef<{ json: string; value: T } | null>(null);
  const json = JSON.stringify(value);
  if (kept.current === null || kept.current.json !== json) kept.current = { json, value };
  return kept.current.value;
}

/** What was last saved (or loaded), to tell unsaved changes. */
function snapshotOf(definition: PipelineDefinition): string {
  return JSON.stringify(normalized(definition));
}

/** The server's state fields, kept with the definition they describe. */
interface ServerState {
  snapshot: string;
  schema: AccumulatedStateSchema & { steps: { template_errors?: { field: string; message: string }[] }[] };
}

function Editor({ blocks, pipelineId }: { blocks: BlockInfo[]; pipelineId: number | null }) {
  const navigate = useNavigate();
  const catalog = useMemo(() => new Map(blocks.map((block) => [block.type, block])), [blocks]);
  const [id, setId] = useState<number | null>(pipelineId);
  const [loading, setLoading] = useState(pipelineId !== null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [name, setName] = useState("New pipeline");
  const [description, setDescription] = useState<string | undefined>(undefined);
  const [constraints, setConstraints] = useState<Constraints>({});
  const [nodes, setNodes] = useState<CanvasNode[]>([]);
  const [edges, setEdges] = useState<CanvasEdge[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [issues, setIssues] = useState<ValidationIssue[]>([]);
  const [nodeIssues, setNodeIssues] = useState<Map<string, string[]>>(new Map());
  const [notice, setNotice] = useState<string | null>(null);
  const [serverState, setServerState] = useState<ServerState | null>(null);

  const show = useCallback((definition: PipelineDefinition) => {
    const { nodes: fresh, edges: links } = fromBlocks(definition.blocks);
    setNodes(autoLayout(fresh, links));
    setEdges(links);
    setName(definition.name ?? "");
    setDescription(definition.description ?? undefined);
    setConstraints(definition.constraints ?? {});
  }, []);

  const client = useQueryClient();
  const fetchServerState = useCallback(
    (pipeline: number, snapshot: string) => {
      client
        .fetchQuery(stateSchemaQuery(pipeline))
        .then((schema) => setServerState({ snapshot, schema: schema as ServerState["schema"] }))
        .catch(() => setServerState(null));
    },
    [client],
  );

  useEffect(() => {
    if (pipelineId === null || (pipelineId === id && saved !== null)) return;
    const controller = new AbortController();
    setLoading(true);
    client
      .fetchQuery(pipelineQuery(pipelineId))
      .then((pipeline) => {
        if (controller.signal.aborted) return;
        const definition: PipelineDefinition = {
          ...pipeline.definition,
          name: pipeline.name,
          blocks: pipeline.definition.blocks ?? [],
        };
        show(definition);
        setId(pipeline.id);
        const snapshot = snapshotOf(definition);
        setSaved(snapshot);
        fetchServerState(pipeline.id, snapshot);
        setLoadError(null);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setLoadError(e);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
    // Reload only when the route names another pipeline.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pipelineId]);

  const nodeIds = useMemo(() => nodes.map((node) => node.id), [nodes]);
  const chain = useMemo(() => chainOrder(nodeIds, edges), [nodeIds, edges]);
  const definition = useMemo(
    () => toDefinition({ name, description, constraints }, nodes, edges),
    [name, description, constraints, nodes, edges],
  );
  const snapshot = snapshotOf(definition);
  const dirty = snapshot !== saved;
  const state = useMemo(() => pipelineState(definition.blocks, catalog), [definition.blocks, catalog]);
  const inSync = serverState !== null && serverState.snapshot === snapshot ? serverState.schema : null;

  const views = useMemo(() => {
    const result = new Map<string, NodeView>();
    const byId = new Map(nodes.map((node) => [node.id, node]));
    const order = [...chain.order, ...chain.disconnected];
    const extra = extraMultipliers(
      chain.order.map((nodeId) => byId.get(nodeId)?.data.blockType ?? ""),
      catalog,
    );
    order.forEach((nodeId, index) => {
      const node = byId.get(nodeId);
      if (!node) return;
      const info = catalog.get(node.data.blockType);
      const inChain = index < chain.order.length;
      const step = inChain ? state.steps[index] : undefined;
      const serverStep = inChain ? inSync?.steps[index] : undefined;
      const available = serverStep ? (index === 0 ? inSync?.seed_fields ?? [] : inSync?.steps[index - 1]?.fields ?? []) : step?.available ?? [];
      const problems = info ? configProblems(blockSchema(info), node.data.config).map((p) => `${p.key} ${p.message}`) : [];
      // The server's reading of the templates once it has one for this definition, else ours.
      const templateErrors = serverStep
        ? ((serverStep as ServerState["schema"]["steps"][number]).template_errors ?? [])
        : step?.templateErrors ?? [];
      const misplaced = inChain ? [extra.get(index)].filter((p): p is string => p !== undefined) : [];
      result.set(nodeId, {
        index,
        title: info?.name ?? node.data.blockType,
        known: Boolean(info),
        available,
        outputs: step?.outputs ?? info?.outputs ?? [],
        configProblems: [...problems, ...templateErrors.map((t) => `${t.field}: ${t.message}`), ...misplaced],
        notConnected: !inChain,
        issues: nodeIssues.get(nodeId) ?? [],
      });
    });
    return result;
  }, [nodes, chain, catalog, state, inSync, nodeIssues]);

  const flowNodes: BlockFlowNode[] = nodes.flatMap((node) => {
    const view = views.get(node.id);
    return view ? [{ ...node, type: "block" as const, selected: node.id === selected, data: { ...node.data, view } }] : [];
  });
  const flowEdges: Edge[] = edges.map((edge) => ({ ...edge }));

  const addBlock = useCallback(
    (blockType: string, position?: { x: number; y: number }) => {
      if (!catalog.has(blockType)) {
        setNotice(`unknown block type ${blockType}`);
        return;
      }
      const nodeId = newNodeId();
      const tailId = chain.order.at(-1);
      const tail = nodes.find((n) => n.id === tailId);
      const at = freeSpot(position ?? (tail ? { x: tail.position.x, y: tail.position.y + 170 } : { x: 0, y: 0 }), nodes);
      setNodes([...nodes, { id: nodeId, type: "block", position: at, data: { blockType, config: {} } }]);
      if (tailId) setEdges([...edges, { id: edgeId(tailId, nodeId), source: tailId, target: nodeId }]);
      setSelected(nodeId);
      setNotice(null);
    },
    [catalog, chain, nodes, edges],
  );

  const deleteNode = useCallback(
    (nodeId: string) => {
      setEdges((links) => removeNode(nodeIds, links, nodeId));
      setNodes((current) => current.filter((node) => node.id !== nodeId));
      setSelected((current) => (current === nodeId ? null : current));
    },
    [nodeIds],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<BlockFlowNode>[]) => {
      for (const change of changes) {
        if (change.type === "remove") deleteNode(change.id);
        // Follow the canvas's selection (clicks, keyboard, selecting an edge instead), so the
        // Delete key removes only what the canvas shows selected.
        if (change.type === "select") {
          const { id: changed, selected: isSelected } = change;
          setSelected((current) => (isSelected ? changed : current === changed ? null : current));
        }
      }
      const kept = changes.filter((change) => change.type === "position" || change.type === "dimensions");
      if (kept.length > 0) setNodes((current) => applyNodeChanges(kept, current as unknown as BlockFlowNode[]) as unknown as CanvasNode[]);
    },
    [deleteNode],
  );
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const kept = changes.filter((change) => change.type === "remove" || change.type === "select");
    if (kept.length > 0) setEdges((current) => applyEdgeChanges(kept, current as Edge[]) as CanvasEdge[]);
  }, []);
  const onConnect = useCallback(
    (connection: Connection) => {
      const next = connect(edges, connection.source, connection.target);
      if (typeof next === "string") setNotice(next);
      else {
        setEdges(next);
        setNotice(null);
      }
    },
    [edges],
  );

  const applyText = useCallback(
    (next: PipelineDefinition) => {
      setName(next.name ?? "");
      setDescription(next.description ?? undefined);
      setConstraints(next.constraints ?? {});
      const byId = new Map(nodes.map((node) => [node.id, node]));
      const kept = chain.order.map((nodeId) => byId.get(nodeId)).filter((node): node is CanvasNode => Boolean(node));
      const fresh = fromBlocks(next.blocks).nodes;
      const chainNodes = next.blocks.map((block, index) => {
        const old = kept[index];
        return old ? { ...old, data: { blockType: block.type, config: block.config ?? {} } } : fresh[index];
      });
      const outside = chain.disconnected.map((nodeId) => byId.get(nodeId)).filter((node): node is CanvasNode => Boolean(node));
      const ids = chainNodes.map((node) => node.id);
      const links = [...edges.filter((e) => chain.disconnected.includes(e.source) && chain.disconnected.includes(e.target)), ...linkChain(ids)];
      const all = [...chainNodes, ...outside];
      setNodes(chainNodes.length > kept.length ? autoLayout(all, links) : all);
      setEdges(links);
    },
    [nodes, edges, chain],
  );

  const save = useCallback(async (): Promise<number | null> => {
    setSaveError(null);
    if (chain.disconnected.length > 0) {
      setSaveError(
        new Error(
          `${chain.disconnected.length} block(s) are not connected to the chain: connect them after the last block or delete them before saving`,
        ),
      );
      return null;
    }
    setSaving(true);
    try {
      const input = { name: definition.name ?? "", definition };
      const row = id === null ? await createPipeline(input) : await updatePipeline(id, input);
      setIssues([]);
      setNodeIssues(new Map());
      setSaved(snapshot);
      setId(row.id);
      void client.invalidateQueries({ queryKey: queryKeys.pipelines });
      fetchServerState(row.id, snapshot);
      if (id === null) navigate(`/pipelines/${row.id}`, { replace: true });
      return row.id;
    } catch (e) {
      const refused = e instanceof ApiError && Array.isArray(e.detail.issues) ? (e.detail.issues as ValidationIssue[]) : [];
      setIssues(refused);
      setNodeIssues(issuesByNode(refused, chain.order));
      setSaveError(e);
      return null;
    } finally {
      setSaving(false);
    }
  }, [chain, definition, id, snapshot, fetchServerState, navigate, client]);

  useEffect(() => {
    if (!dirty || nodes.length === 0) return;
    // Leaving with unsaved changes asks first.
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty, nodes.length]);

  const ensureSaved = useCallback(async () => (dirty || id === null ? save() : id), [dirty, id, save]);

  if (loading) return <Loading label="Loading the pipeline…" />;
  if (loadError) return <ErrorMessage error={loadError} />;

  const selectedNode = nodes.find((node) => node.id === selected);
  const selectedView = selected ? views.get(selected) : undefined;

  return (
    <div className="editor">
      <div className="editor-toolbar row">
        <label className="grow">
          Pipeline name
          <input data-testid="pipeline-name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="button" onClick={() => setNodes((current) => autoLayout(current, edges))}>
          Auto-layout
        </button>
        <button type="button" className="primary" data-testid="save-pipeline" disabled={saving} onClick={() => void save()}>
          {saving ? "Saving…" : id === null ? "Save pipeline" : "Save changes"}
        </button>
        <span className={dirty ? "warn" : "ok"} role="status">
          {dirty ? "Unsaved changes" : "Saved"}
        </span>
      </div>
      {notice && (
        <p className="warn" role="status">
          {notice}
        </p>
      )}
      <ErrorMessage error={withoutDetail(saveError, ["issues"])} />
      {issues.length > 0 && (
        <ul className="save-issues" aria-label="Validation errors">
          {issues.map((issue, index) => (
            <li className="bad" key={index}>
              {issue.step === null ? issue.message : `Step ${issue.step + 1} (${issue.block_type}): ${issue.message}`}
            </li>
          ))}
        </ul>
      )}
      <div className="editor-main">
        <Palette blocks={blocks} onAdd={(blockType) => addBlock(blockType)} />
        <Canvas
          nodes={flowNodes}
          edges={flowEdges}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onConnect={onConnect}
          onDropBlock={addBlock}
          onSelect={setSelected}
        />
        {selectedNode && selectedView ? (
          <NodeInspector
            nodeId={selectedNode.id}
            blockType={selectedNode.data.blockType}
            config={selectedNode.data.config}
            info={catalog.get(selectedNode.data.blockType)}
            view={selectedView}
            chainLength={chain.order.length}
            onConfig={(nodeId, config: Config) =>
              setNodes((current) => current.map((node) => (node.id === nodeId ? { ...node, data: { ...node.data, config } } : node)))
            }
            onMove={(nodeId, delta) => setEdges((links) => moveInChain(nodeIds, links, nodeId, delta))}
            onDelete={deleteNode}
          />
        ) : (
          <aside className="inspector muted">Select a block to configure it.</aside>
        )}
      </div>
      <p className="muted">
        Seed fields this pipeline needs: {(inSync?.seed_fields ?? state.seedFields).join(", ") || "none known"}
      </p>
      <ConstraintsForm value={constraints} onChange={setConstraints} />
      <div className="editor-bottom">
        <YamlView definition={definition} onApply={applyText} />
        <PreviewPanel ensureSaved={ensureSaved} seedFields={inSync?.seed_fields ?? state.seedFields} />
      </div>
    </div>
  );
}

/** The editor route: `/pipelines/new` or `/pipelines/:id`. */
export function EditorPage() {
  const params = useParams();
  const pipelineId = params.id !== undefined && /^\d+$/.test(params.id) ? Number(params.id) : null;
  const blocks = useQuery({ ...blocksQuery(), refetchInterval: BLOCKS_POLL_MS });
  const catalog = useStable(blocks.data);
  // Saving a new pipeline moves /pipelines/new to /pipelines/{id} with the same editor; going
  // from a pipeline to /pipelines/new starts a fresh one.
  const previous = useRef(pipelineId);
  const session = useRef(0);
  if (previous.current !== null && pipelineId === null) session.current += 1;
  previous.current = pipelineId;
  return (
    <section className="editor-page">
      <h1>{pipelineId === null ? "New pipeline" : "Edit pipeline"}</h1>
      {catalog === undefined ? (
        blocks.error ? <ErrorMessage error={blocks.error} onRetry={() => void blocks.refetch()} /> : <Loading label="Loading the blocks…" />
      ) : (
        <>
          {blocks.error !== null && <ErrorMessage error={blocks.error} onRetry={() => void blocks.refetch()} />}
          <ReactFlowProvider>
            <Editor key={session.current} blocks={catalog} pipelineId={pipelineId} />
          </ReactFlowProvider>
        </>
      )}
    </section>
  );
}
