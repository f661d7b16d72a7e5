/** One model registry (LLM or embedding): the list with test, default, edit and delete. */
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { modelsQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { ConnectionTest, Model, ModelInput } from "../api/schema";
import { ErrorMessage, QueryState } from "../components/RequestState";
import { createModel, deleteModel, setDefaultModel, testModel, updateModel, type ModelKind } from "./modelCalls";
import { ModelForm } from "./ModelForm";
import { TestResult } from "./TestResult";

/** The section of `kind`. */
export function ModelSection({ kind, title }: { kind: ModelKind; title: string }) {
  const client = useQueryClient();
  const models = useQuery(modelsQuery(kind));
  const reread = () => client.invalidateQueries({ queryKey: queryKeys.models(kind) });
  const [editing, setEditing] = useState<Model | "new" | null>(null);
  const [error, setError] = useState<unknown>(null);
  // A default or a delete: the list is read again once it is done.
  const acting = useMutation({ mutationFn: (work: () => Promise<unknown>) => work(), onSuccess: reread });
  const [tests, setTests] = useState<Record<string, ConnectionTest | "testing">>({});
  const [confirming, setConfirming] = useState<string | null>(null);

  const act = (work: () => Promise<unknown>) => {
    setError(null);
    acting.mutate(work);
  };
  const save = async (input: ModelInput) => {
    if (editing === "new" || editing === null) await createModel(kind, input);
    else await updateModel(kind, editing.name, input);
    setEditing(null);
    await reread();
  };
  const test = (name: string) => {
    setTests((t) => ({ ...t, [name]: "testing" }));
    testModel(kind, { name })
      .then((result) => setTests((t) => ({ ...t, [name]: result })))
      .catch((e: unknown) => {
        setTests((t) => {
          const { [name]: _removed, ...rest } = t;
          return rest;
        });
        setError(e);
      });
  };
  const remove = (name: string) => {
    setConfirming(null);
    act(() => deleteModel(kind, name));
  };

  return (
    <section className="model-section" aria-labelledby={`${kind}-models`}>
      <h2 id={`${kind}-models`}>{title}</h2>
      <QueryState query={models} keepData>
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No models registered.</p>
          ) : (
            <div className="table-wrap">
              <table data-testid={`${kind}-model-list`}>
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Provider</th>
                    <th>Model</th>
                    <th>Endpoint</th>
                    <th>Key</th>
                    {kind === "embedding" && <th>Dimensions</th>}
                    <th>Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((model) => {
                    const result = tests[model.name];
                    return (
                      <tr key={model.name} data-model={model.name}>
                        <td>
                          <b>{model.name}</b> {model.is_default && <span className="badge ok">default</span>}
                        </td>
                        <td>{model.provider}</td>
                        <td>
                          <code>{model.model_name}</code>
                        </td>
                        <td>{model.endpoint || <span className="muted">provider default</span>}</td>
                        <td>
                          <code>{model.api_key_set ? model.api_key : "—"}</code>
                        </td>
                        {kind === "embedding" && <td>{model.dimensions || "—"}</td>}
                        <td>
                          <div className="actions" style={{ marginTop: 0 }}>
                            <button type="button" onClick={() => setEditing(model)}>
                              Edit
                            </button>
                            <button type="button" onClick={() => test(model.name)} disabled={result === "testing"}>
                              {result === "testing" ? "Testing…" : "Test"}
                            </button>
                            {!model.is_default && (
                              <button type="button" onClick={() => act(() => setDefaultModel(kind, model.name))}>
                                Set default
                              </button>
                            )}
                            {confirming === model.name ? (
                              <>
                                <button type="button" className="danger" onClick={() => remove(model.name)}>
                                  Yes, delete {model.name}
                                </button>
                                <button type="button" onClick={() => setConfirming(null)}>
                                  Keep
                                </button>
                              </>
                            ) : (
                              <button type="button" className="danger" onClick={() => setConfirming(model.name)}>
                                Delete
                              </button>
                            )}
                          </div>
                          {result && result !== "testing" && <TestResult result={result} />}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
      <ErrorMessage error={error ?? acting.error ?? (models.data ? models.error : null)} />
      {editing === null ? (
        <div className="actions">
          <button type="button" onClick={() => setEditing("new")}>
            Add {kind === "llm" ? "LLM" : "embedding"} model
          </button>
        </div>
      ) : (
        <ModelForm
          key={editing === "new" ? "new" : editing.name}
          kind={kind}
          model={editing === "new" ? null : editing}
          onSubmit={save}
          onCancel={() => setEditing(null)}
        />
      )}
    </section>
  );
}
