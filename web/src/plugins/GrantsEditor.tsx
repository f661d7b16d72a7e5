/**
 * The grant of one plugin, shown and editable: capabilities as checkboxes (those the block
 * does not declare are marked), allowed models, the kv quota and the limits, each with the
 * server's default and maximum. Saving stores it on the server, which uses it from the next
 * job on.
 */
import { useEffect, useState } from "react";
import { getGrants, putGrants } from "../api/endpoints";
import type { PluginGrants } from "../api/types";
import { ErrorMessage, Loading } from "../components/RequestState";
import { CAPABILITIES, type GrantForm, LIMIT_FIELDS, formToGrant, grantToForm, limitHint } from "./grantForm";

/** Which plugin to edit. */
export interface GrantTarget {
  name: string;
  kind: PluginGrants["kind"];
}

function NumberField({ label, hint, value, onChange }: { label: string; hint: string; value: string; onChange: (v: string) => void }) {
  return (
    <label style={{ display: "inline-block", marginRight: "1em" }}>
      {label}{" "}
      <input type="text" inputMode="decimal" placeholder="server default" value={value} onChange={(e) => onChange(e.target.value)} />{" "}
      <span className="muted">({hint})</span>
    </label>
  );
}

/** The editable fields of a grant: capabilities, models, the kv quota and the limits. */
export function GrantFields({ shown, form, onChange }: { shown: PluginGrants; form: GrantForm; onChange: (change: Partial<GrantForm>) => void }) {
  const declared = shown.declared ?? [];
  return (
    <>
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
                  onChange({
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
        <textarea rows={4} value={form.models} onChange={(e) => onChange({ models: e.target.value })} />
      </label>
      <label>
        HTTP hosts (one per line: example.com, host:port, *.example.com, * for any public host, or
        a URL pattern such as https://example.com/docs/**; a private or loopback address only when
        named without a wildcard){" "}
        <textarea rows={3} value={form.httpAllow} onChange={(e) => onChange({ httpAllow: e.target.value })} />
      </label>
      <fieldset>
        <legend>Limits and kv quota (empty: the server's default)</legend>
        {LIMIT_FIELDS.map((field) => (
          <NumberField
            key={field.input}
            label={field.label}
            hint={limitHint(field, shown.server_limits)}
            value={form[field.input]}
            onChange={(value) => onChange({ [field.input]: value })}
          />
        ))}
      </fieldset>
    </>
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
    const grant = formToGrant(form, shown.server_limits.maximum);
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
  return (
    <div className="card" data-testid="grants-editor">
      <h3 style={{ marginTop: 0 }}>
        Grants of {shown.kind} {shown.plugin}{" "}
        <span className="muted">{shown.stored ? "(set by an operator)" : "(the default)"}</span>
      </h3>
      <GrantFields shown={shown} form={form} onChange={set} />
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
