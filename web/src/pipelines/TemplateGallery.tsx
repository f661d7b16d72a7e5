/** The template gallery: each template with its blocks, "Use template" (saves a pipeline from
 * it and opens the editor) and "Download example seeds". */
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { listTemplates, pipelineFromTemplate } from "../api/endpoints";
import { ErrorMessage, RequestState } from "../components/RequestState";
import { useRequest } from "../components/useRequest";
import { downloadJson } from "./download";

/** The gallery section of the Pipelines page. */
export function TemplateGallery() {
  const templates = useRequest((signal) => listTemplates(signal), []);
  const navigate = useNavigate();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const use = async (id: string) => {
    setBusy(id);
    setError(null);
    try {
      const pipeline = await pipelineFromTemplate(id);
      navigate(`/pipelines/${pipeline.id}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section aria-labelledby="templates-heading">
      <h2 id="templates-heading">Templates</h2>
      <ErrorMessage error={error} />
      <RequestState loading={templates.loading} error={templates.error} data={templates.data} onRetry={templates.reload}>
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No templates.</p>
          ) : (
            <div className="grid">
              {list.map((template) => (
                <article className="card" key={template.id} data-testid={`template-${template.id}`}>
                  <h3>{template.name}</h3>
                  <p className="muted">{template.description}</p>
                  <p className="template-blocks">{template.blocks.map((block) => block.type).join(" → ")}</p>
                  <div className="actions">
                    <button type="button" className="primary" disabled={busy !== null} onClick={() => void use(template.id)}>
                      {busy === template.id ? "Creating…" : "Use template"}
                    </button>
                    <button type="button" onClick={() => downloadJson(`${template.id}_seeds.json`, template.example_seed)}>
                      Download example seeds
                    </button>
                  </div>
                </article>
              ))}
            </div>
          )
        }
      </RequestState>
    </section>
  );
}
