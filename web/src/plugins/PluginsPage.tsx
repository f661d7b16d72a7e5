/**
 * Plugins: every block (builtin or from the plugins folder) with version hash, category,
 * inputs/outputs and capabilities; the plugin files that failed with their error; upload a
 * `.wasm` by drag and drop (an upload whose block type another plugin file provides offers to
 * replace that file). Both lists refresh every 2 s, so a file dropped into the folder
 * shows up without reloading. Each block's plugin has its grant shown and editable.
 */
import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/errors";
import { blocksQuery, pluginsQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { BlockInfo, PluginFile } from "../api/schema";
import { DropZone } from "../components/DropZone";
import { ErrorMessage, Loading, QueryState } from "../components/RequestState";
import { type GrantTarget, GrantsEditor } from "./GrantsEditor";
import { grantTarget } from "./grantForm";
import { uploadPlugin } from "./uploadPlugin";

/** How often the lists are reread. */
const POLL_MS = 2000;

/** The crate a builtin was built from, or the plugin's file. */
function sourceDetail(block: BlockInfo): string {
  return block.source.kind === "builtin" ? block.source.crate_name : block.source.path;
}

function Names({ names }: { names: string[] }) {
  return names.length === 0 ? <span className="muted">—</span> : <code>{names.join(", ")}</code>;
}

function BlockTable({ blocks, onGrants }: { blocks: BlockInfo[]; onGrants: (target: GrantTarget) => void }) {
  const sorted = [...blocks].sort((a, b) => a.category.localeCompare(b.category) || a.type.localeCompare(b.type));
  return (
    <div className="table-wrap">
      <table data-testid="plugin-list">
        <thead>
          <tr>
            <th>Block</th>
            <th>Category</th>
            <th>Source</th>
            <th>Version (hash)</th>
            <th>Inputs</th>
            <th>Outputs</th>
            <th>Capabilities</th>
            <th>Grants</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((block) => (
            <tr key={block.type} data-block-type={block.type}>
              <td>
                <b>{block.type}</b>
                {block.name !== block.type && <div>{block.name}</div>}
                <div className="muted">{block.description}</div>
                {block.is_multiplier && <span className="badge">multiplier</span>}
              </td>
              <td>{block.category}</td>
              <td>
                <span className={`badge${block.source.kind === "plugin" ? " ok" : ""}`}>{block.source.kind}</span>
                <div className="muted" style={{ wordBreak: "break-all" }}>
                  {sourceDetail(block)}
                </div>
              </td>
              <td>
                <code title={block.content_hash}>{block.content_hash.slice(0, 12)}</code>
              </td>
              <td>
                <Names names={block.inputs} />
              </td>
              <td>
                <Names names={block.outputs} />
              </td>
              <td>
                <Names names={block.capabilities} />
              </td>
              <td>
                <button type="button" data-testid="grants-open" onClick={() => onGrants(grantTarget(block))}>
                  Grants
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FailedPlugins({ files }: { files: PluginFile[] }) {
  const failed = files.filter((f) => f.status === "failed");
  const loading = files.filter((f) => f.status === "loading");
  return (
    <>
      {loading.length > 0 && (
        <p className="muted" data-testid="plugins-loading">
          Still loading: {loading.map((f) => f.file).join(", ")}
        </p>
      )}
      {failed.length === 0 ? (
        loading.length === 0 && <p className="muted">Every plugin file loaded.</p>
      ) : (
        <ul data-testid="plugin-failures">
          {failed.map((f) => (
            <li key={f.path}>
              <b>{f.file}</b> <span className="bad">{f.error}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** The plugin file an upload was refused for (409), when replacing it is the user's choice. */
function replaceable(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null;
  const providedBy = error.detail.provided_by;
  return typeof providedBy === "string" ? providedBy : null;
}

/** The plugins page. */
export function PluginsPage() {
  const client = useQueryClient();
  const blocks = useQuery({ ...blocksQuery(), refetchInterval: POLL_MS });
  const plugins = useQuery({ ...pluginsQuery(), refetchInterval: POLL_MS });
  const [uploading, setUploading] = useState<string | null>(null);
  const [uploadError, setUploadError] = useState<unknown>(null);
  const [uploaded, setUploaded] = useState<string | null>(null);
  const [lastFile, setLastFile] = useState<File | null>(null);
  const [grants, setGrants] = useState<GrantTarget | null>(null);

  const upload = (file: File, replace = false) => {
    setUploading(file.name);
    setUploadError(null);
    setUploaded(null);
    setLastFile(file);
    uploadPlugin(file, replace)
      .then(({ block }) => {
        // Null only when a rescan from elsewhere removed the file meanwhile.
        setUploaded(block ? `${file.name} loaded: block ${block.type}` : `${file.name} written`);
        void client.invalidateQueries({ queryKey: queryKeys.blocks });
        void client.invalidateQueries({ queryKey: queryKeys.plugins });
      })
      .catch(setUploadError)
      .finally(() => setUploading(null));
  };

  return (
    <section>
      <h1>Plugins</h1>
      <div className="card">
        <h2 style={{ marginTop: 0 }}>Upload a block</h2>
        <DropZone label="Plugin (.wasm component)" accept=".wasm" inputTestId="plugin-file-input" onFile={upload} disabled={uploading !== null}>
          {uploading && <Loading label={`Uploading ${uploading}…`} />}
        </DropZone>
        <ErrorMessage error={uploadError} />
        {lastFile && replaceable(uploadError) && (
          <button type="button" data-testid="plugin-replace" onClick={() => upload(lastFile, true)} disabled={uploading !== null}>
            Replace {replaceable(uploadError)} with {lastFile.name}
          </button>
        )}
        {uploaded && (
          <p className="ok" role="status">
            {uploaded}
          </p>
        )}
      </div>
      <h2>Blocks</h2>
      <QueryState query={blocks} keepData>
        {(list) => <BlockTable blocks={list} onGrants={setGrants} />}
      </QueryState>
      {grants && <GrantsEditor key={`${grants.kind}:${grants.name}`} target={grants} />}
      {blocks.data && blocks.error ? <ErrorMessage error={blocks.error} /> : null}
      <h2>Plugin files that failed to load</h2>
      <QueryState query={plugins}>
        {(files) => <FailedPlugins files={files} />}
      </QueryState>
    </section>
  );
}
