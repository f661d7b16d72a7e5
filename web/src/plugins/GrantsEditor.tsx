/**
 * The grant of one plugin, shown and editable: capabilities as checkboxes (those the block
 * does not declare are marked), allowed models, limits. Saving stores it on the server, which
 * uses it from the next job on.
 */
import { useEffect, useState } from "react";
import { getGrants, putGrants } from "../api/endpoints";
import type { PluginGrants } from "../api/types";
import { ErrorMessage, Loading } from "../components/RequestState";
import { CAPABILITIES, type GrantForm, formToGrant, grantToForm } from "./grantForm";

/** Which plugin to edit. */
export interface GrantTarget {
  name: string;
  kind: PluginGrants["kind"];
}

function NumberField({ label, value, onChange }: { label: string; value: string; onChange: (v: string) => void }) {
  return (
    <label>
      {label}{" "}
      <input type="text" inputMode="decimal" placeholder="server default" value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** The editor of `target`'s grant. */
export function GrantsEditor({ target }: { target: GrantTarget }) {
  const [shown, setShown] = useState<PluginGrants | null>(null);
  const [form, setForm] = useState<GrantForm | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    setShown(null);
    setForm(null);
    setError(null);
    setSaved(false);
    getGrants(target.name, target.kind, controller.signal)
      .then((answer) => {
        setShown(answer);
        setForm(grantToForm(answer.grant));
      })
      .catch((e) => {
        if (!controller.signal.aborted) setError(e);
      });
    return () => controller.abort();
  }, [target.name, target.kind]);

  if (!shown || !form) return error ? <ErrorMessage error={error} /> : <Loading label="Reading the grant…" />;

  const set = (change: Partial<GrantForm>) => {
    setSaved(false);
    setForm({ ...form, ...change });
  };
  const save = () => {
    const grant = formToGrant(form, shown.grant);
    if ("error" in grant) {
      setError(new Error(grant.error));
      return;
    }
    setSaving(true);
    setError(null);
    putGrants(target.name, target.kind, grant)
      .then((answer) => {
        setShown(answer);
        setForm(grantToForm(answer.grant));
        setSaved(true);
      })
      .catch(setError)
      .finally(() => setSaving(false));
  };
  const declared = shown.declared ?? [];
  return (
    <div className="card" data-testid="grants-editor">
      <h3 style={{ marginTop: 0 }}>
        Grants of {shown.kind} {shown.plugin}{" "}
        <span className="muted">{shown.stored ? "(set by an operator)" : "(the default)"}</span>
      </h3>
      <fieldset>
        <legend>Capabilities</legend>
        {CAPABILITIES.map((capability) => {
          const needsDeclaration = capability === "llm" || capability === "embeddings" || capability === "kv";
          const undeclared = needsDeclaration && !declared.includes(capability);
          return (
            <label key={capability} style={{ marginRight: "1em" }}>
              <input
                type="checkbox"
                checked={form.capabilities.includes(capability)}
                onChange={(e) =>
                  set({
                    capabilities: e.target.checked ? [...form.capabilities, capability] : form.capabilities.filter((c) => c !== capability),
                  })
                }
              />{" "}
              {capability}
              {undeclared && <span className="muted"> (not declared)</span>}
            </label>
          );
        })}
      </fieldset>
      <label>
        Models (names or patterns, one per line; * for all; * stays within a /, ** crosses it){" "}
        <textarea rows={4} value={form.models} onChange={(e) => set({ models: e.target.value })} />
      </label>
      <div>
        <NumberField label="Memory (MiB)" value={form.memoryMib} onChange={(memoryMib) => set({ memoryMib })} />{" "}
        <NumberField label="CPU time (s)" value={form.cpuSecs} onChange={(cpuSecs) => set({ cpuSecs })} />{" "}
        <NumberField label="Wall clock (s)" value={form.wallClockSecs} onChange={(wallClockSecs) => set({ wallClockSecs })} />{" "}
        <NumberField label="Output (MiB)" value={form.outputMib} onChange={(outputMib) => set({ outputMib })} />
      </div>
      <button type="button" onClick={save} disabled={saving}>
        Save grants
      </button>
      {saved && (
        <p className="ok" role="status">
          Saved: jobs started from now on use it.
        </p>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}
