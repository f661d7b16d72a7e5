/**
 * The grant of one plugin, shown and editable: capabilities as checkboxes (those the block
 * does not declare are marked), allowed models, the kv quota and the limits, each with the
 * server's default and maximum. Saving stores it on the server, which uses it from the next
 * job on.
 */
import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { grantsQuery } from "../api/queries";
import type { Grant, PluginGrants } from "../api/schema";
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

/** The editor of `target`'s grant (the editor is keyed by target: a new one reads afresh). */
export function GrantsEditor({ target }: { target: GrantTarget }) {
  const client = useQueryClient();
  const grantsKey = grantsQuery(target.name, target.kind).queryKey;
  const read = useQuery(grantsQuery(target.name, target.kind));
  const [form, setForm] = useState<GrantForm | null>(null);
  const [formError, setFormError] = useState<Error | null>(null);
  const saving = useMutation({
    mutationFn: (grant: Grant) =>
      data(api.PUT("/api/plugins/{name}/grants", { params: { path: { name: target.name }, query: { kind: target.kind } }, body: grant })),
    onSuccess: (answer) => {
      client.setQueryData(grantsKey, answer);
      setForm(grantToForm(answer.grant));
    },
  });
  const shown = read.data;
  // The form starts from the grant as read.
  useEffect(() => {
    if (shown) setForm((current) => current ?? grantToForm(shown.grant));
  }, [shown]);
  const error = formError ?? saving.error ?? read.error;

  if (!shown || !form) return error ? <ErrorMessage error={error} /> : <Loading label="Reading the grant…" />;

  const saved = saving.isSuccess;
  const set = (change: Partial<GrantForm>) => {
    saving.reset();
    setForm({ ...form, ...change });
  };
  const save = () => {
    const grant = formToGrant(form, shown.server_limits.maximum);
    if ("error" in grant) {
      setFormError(new Error(grant.error));
      return;
    }
    setFormError(null);
    saving.mutate(grant);
  };
  return (
    <div className="card" data-testid="grants-editor">
      <h3 style={{ marginTop: 0 }}>
        Grants of {shown.kind} {shown.plugin}{" "}
        <span className="muted">{shown.stored ? "(set by an operator)" : "(the default)"}</span>
      </h3>
      <GrantFields shown={shown} form={form} onChange={set} />
      <button type="button" onClick={save} disabled={saving.isPending}>
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
