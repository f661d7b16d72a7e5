/** The Pipelines page: the saved pipelines (edit, duplicate, delete with a confirmation) and
 * the template gallery. */
import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { pipelinesQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { Pipeline } from "../api/schema";
import { ErrorMessage, QueryState } from "../components/RequestState";
import { createPipeline, deletePipeline } from "./pipelineCalls";
import { TemplateGallery } from "./TemplateGallery";
import "./pipelines.css";

function PipelineRowView({ pipeline }: { pipeline: Pipeline }) {
  const [confirming, setConfirming] = useState(false);
  const client = useQueryClient();
  // A duplicate or a delete: the pipelines are read again (a delete takes jobs and records too).
  const acting = useMutation({
    mutationFn: (action: () => Promise<unknown>) => action(),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.pipelines }),
        client.invalidateQueries({ queryKey: queryKeys.jobs }),
        client.invalidateQueries({ queryKey: queryKeys.records }),
      ]),
    onSettled: () => setConfirming(false),
  });
  const busy = acting.isPending;
  const error = acting.error;
  const act = (action: () => Promise<unknown>) => acting.mutate(action);
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
            <button type="button" className="danger" disabled={busy} onClick={() => act(() => deletePipeline(pipeline.id))}>
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
                act(() =>
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
  const pipelines = useQuery(pipelinesQuery());
  return (
    <section className="pipelines-page">
      <div className="row page-title">
        <h1>Pipelines</h1>
        <Link to="/pipelines/new" className="button-link primary">
          New pipeline
        </Link>
      </div>
      <QueryState query={pipelines}>
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
                    <PipelineRowView key={pipeline.id} pipeline={pipeline} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
      <TemplateGallery />
    </section>
  );
}
