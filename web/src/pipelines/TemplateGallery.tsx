/** The template gallery: each template with its blocks, "Use template" (saves a pipeline from
 * it and opens the editor) and "Download example seeds". */
import { useNavigate } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { templatesQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { Template } from "../api/schema";
import { ErrorMessage, QueryState } from "../components/RequestState";
import { downloadJson } from "./download";
import { pipelineFromTemplate } from "./pipelineCalls";

/** A template with its id (the server sends one for each; the schema leaves it optional). */
type NamedTemplate = Template & { id: string };

/** The gallery section of the Pipelines page. */
export function TemplateGallery() {
  const templates = useQuery(templatesQuery());
  const navigate = useNavigate();
  const client = useQueryClient();
  const using = useMutation({
    mutationFn: (id: string) => pipelineFromTemplate(id),
    onSuccess: (pipeline) => {
      void client.invalidateQueries({ queryKey: queryKeys.pipelines });
      navigate(`/pipelines/${pipeline.id}`);
    },
  });
  const busy = using.isPending ? using.variables : null;
  const error = using.error;
  const use = (id: string) => using.mutate(id);
  return (
    <section aria-labelledby="templates-heading">
      <h2 id="templates-heading">Templates</h2>
      <ErrorMessage error={error} />
      <QueryState query={templates}>
        {(all) => {
          const list = all.filter((t): t is NamedTemplate => typeof t.id === "string");
          return list.length === 0 ? (
            <p className="muted">No templates.</p>
          ) : (
            <div className="grid">
              {list.map((template) => (
                <article className="card" key={template.id} data-testid={`template-${template.id}`}>
                  <h3>{template.name}</h3>
                  <p className="muted">{template.description}</p>
                  <p className="template-blocks">{template.blocks.map((block) => block.type).join(" → ")}</p>
                  <div className="actions">
                    <button type="button" className="primary" disabled={busy !== null} onClick={() => use(template.id)}>
                      {busy === template.id ? "Creating…" : "Use template"}
                    </button>
                    <button type="button" onClick={() => downloadJson(`${template.id}_seeds.json`, template.example_seed)}>
                      Download example seeds
                    </button>
                  </div>
                </article>
              ))}
            </div>
          );
        }}
      </QueryState>
    </section>
  );
}
