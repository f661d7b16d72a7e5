/** The Pipelines page: the saved pipelines (edit, duplicate, delete with a confirmation) and
 * the template gallery. */
import { useState } from "react";
import { Link } from "react-router-dom";
import { createPipeline, deletePipeline, listPipelines } from "../api/endpoints";
import type { Pipeline } from "../api/types";
import { ErrorMessage, RequestState } from "../components/RequestState";
import { useRequest } from "../components/useRequest";
import { TemplateGallery } from "./TemplateGallery";
import "./pipelines.css";

function PipelineRowView({ pipeline, onChanged }: { pipeline: Pipeline; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  const blocks = pipeline.definition.blocks ?? [];
  return (
    <tr data-testid={`pipeline-row-${pipeline.id}`}>
      <td>
        <Link to={`/pipelines/${pipeline.id}`}>{pipeline.name}</Link>
        <ErrorMessage error={error} />
      </td>
      <td>{blocks.map((block) => block.type).join(" → ")}</td>
      <td>{new Date(pipeline.updated_at).toLocaleString()}</td>
      <td>
        {confirming ? (
          <span className="row" role="group" aria-label={`Confirm deleting ${pipeline.name}`}>
            <span>Delete “{pipeline.name}” with its jobs and records?</span>
            <button type="button" className="danger" disabled={busy} onClick={() => void act(() => deletePipeline(pipeline.id))}>
              Confirm delete
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <span className="row">
            <Link to={`/pipelines/${pipeline.id}`} className="button-link">
              Edit
            </Link>
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                void act(() =>
                  createPipeline({ name: `${pipeline.name} (copy)`, definition: { ...pipeline.definition, name: `${pipeline.name} (copy)`, blocks } }),
                )
              }
            >
              Duplicate
            </button>
            <button type="button" className="danger" onClick={() => setConfirming(true)}>
              Delete
            </button>
          </span>
        )}
      </td>
    </tr>
  );
}

/** The list of pipelines and the templates. */
export function PipelinesPage() {
  const pipelines = useRequest((signal) => listPipelines(signal), []);
  return (
    <section className="pipelines-page">
      <div className="row page-title">
        <h1>Pipelines</h1>
        <Link to="/pipelines/new" className="button-link primary">
          New pipeline
        </Link>
      </div>
      <RequestState loading={pipelines.loading} error={pipelines.error} data={pipelines.data} onRetry={pipelines.reload}>
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No pipelines yet: start from a template or a new pipeline.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Blocks</th>
                    <th>Updated</th>
                    <th>Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((pipeline) => (
                    <PipelineRowView key={pipeline.id} pipeline={pipeline} onChanged={pipelines.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </RequestState>
      <TemplateGallery />
    </section>
  );
}
