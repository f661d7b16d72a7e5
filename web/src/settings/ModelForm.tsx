/** Adds or edits a model: name, provider, endpoint, key (masked), model name, dimensions. */
import { useState, type FormEvent } from "react";
import type { ConnectionTest, Model, ModelInput } from "../api/schema";
import { PROVIDERS, testModel, type ModelKind, type Provider } from "./modelCalls";
import { ErrorMessage } from "../components/RequestState";
import { TestResult } from "./TestResult";

/** The form's fields as text. */
interface Draft {
  name: string;
  provider: Provider;
  endpoint: string;
  api_key: string;
  model_name: string;
  dimensions: string;
  is_default: boolean;
}

function draftOf(model: Model | null): Draft {
  return {
    name: model?.name ?? "",
    provider: PROVIDERS.find((p) => p === model?.provider) ?? "openai",
    endpoint: model?.endpoint ?? "",
    api_key: "",
    model_name: model?.model_name ?? "",
    dimensions: model?.dimensions ? String(model.dimensions) : "",
    is_default: model?.is_default ?? false,
  };
}

/**
 * The body to send. An empty key field keeps the stored key on update (the key is omitted);
 * on create it means no key.
 */
export function inputOf(kind: ModelKind, draft: Draft, editing: boolean): ModelInput {
  const input: ModelInput = {
    name: draft.name.trim(),
    provider: draft.provider,
    endpoint: draft.endpoint.trim(),
    model_name: draft.model_name.trim(),
  };
  // Only ever sets the default: another model becomes the default with its own "Set default".
  if (draft.is_default) input.is_default = true;
  if (draft.api_key !== "" || !editing) input.api_key = draft.api_key;
  if (kind === "embedding") input.dimensions = draft.dimensions.trim() === "" ? 0 : Number(draft.dimensions);
  return input;
}

/** The form; `model` null adds a new one. */
export function ModelForm({
  kind,
  model,
  onSubmit,
  onCancel,
}: {
  kind: ModelKind;
  model: Model | null;
  onSubmit: (input: ModelInput) => Promise<void>;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(model));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<ConnectionTest | null>(null);
  const [testError, setTestError] = useState<unknown>(null);
  const editing = model !== null;
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    onSubmit(inputOf(kind, draft, editing))
      .catch(setError)
      .finally(() => setSaving(false));
  };

  const runTest = () => {
    setTesting(true);
    setTest(null);
    setTestError(null);
    // The saved name lets the server use the stored key when the key field is left empty.
    const input = inputOf(kind, draft, editing);
    if (editing) input.name = model.name;
    testModel(kind, input)
      .then(setTest)
      .catch(setTestError)
      .finally(() => setTesting(false));
  };

  const title = editing ? `Edit ${model.name}` : `Add ${kind === "llm" ? "an LLM" : "an embedding"} model`;
  return (
    <form className="card model-form" aria-label={title} onSubmit={submit}>
      <h3 style={{ marginTop: 0 }}>{title}</h3>
      <div className="row">
        <label>
          Name
          <input required value={draft.name} onChange={(e) => set("name", e.target.value)} />
        </label>
        <label>
          Provider
          <select value={draft.provider} onChange={(e) => set("provider", e.target.value as Provider)}>
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Model name
          <input required value={draft.model_name} onChange={(e) => set("model_name", e.target.value)} placeholder="gpt-4o-mini" />
        </label>
        <label>
          Endpoint
          <input value={draft.endpoint} onChange={(e) => set("endpoint", e.target.value)} placeholder="the provider's usual URL" />
        </label>
        <label>
          API key
          <input
            type="password"
            autoComplete="off"
            value={draft.api_key}
            onChange={(e) => set("api_key", e.target.value)}
            placeholder={editing && model.api_key_set ? `${model.api_key} (kept when empty)` : "none"}
          />
        </label>
        {kind === "embedding" && (
          <label>
            Dimensions
            <input type="number" min={0} value={draft.dimensions} onChange={(e) => set("dimensions", e.target.value)} placeholder="0 = unknown" />
          </label>
        )}
        <label className="inline">
          <input type="checkbox" checked={draft.is_default} onChange={(e) => set("is_default", e.target.checked)} />
          Default
        </label>
      </div>
      <ErrorMessage error={error} />
      <ErrorMessage error={testError} />
      {test && <TestResult result={test} />}
      <div className="actions">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={runTest} disabled={testing}>
          {testing ? "Testing…" : "Test connection"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
