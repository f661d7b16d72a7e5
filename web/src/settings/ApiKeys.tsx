/** Named API keys (`/api/settings/api-keys`): the list, a form to make one (its key is shown
 * once, right after), and a delete button per key. Once a key exists the server asks every
 * request for one; a read-write key made while this browser keeps none is kept. */
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { storeApiKey, storedApiKey } from "../api/apiKey";
import { api, data } from "../api/client";
import { apiKeysQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import { ErrorMessage, QueryState } from "../components/RequestState";

/** What a named key may do: `read-only` keys may only `GET`. */
type ApiKeyAccess = "read-only" | "read-write";

/** The API keys section of the settings page. */
export function ApiKeys() {
  const client = useQueryClient();
  const keys = useQuery(apiKeysQuery());
  const [name, setName] = useState("");
  const [access, setAccess] = useState<ApiKeyAccess>("read-only");
  const [made, setMade] = useState<{ name: string; key: string } | null>(null);
  // A make or a delete; either rereads the list.
  const acting = useMutation({
    mutationFn: (action: () => Promise<void>) => action(),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.apiKeys }),
  });
  const busy = acting.isPending;
  const act = (action: () => Promise<void>) => acting.mutate(action);

  return (
    <section aria-labelledby="api-keys" data-testid="api-keys">
      <h2 id="api-keys">API keys</h2>
      <p>Once a key exists, every request to the API needs one. Read-only keys can only read.</p>
      <QueryState query={keys}>
        {(list) =>
          list.length === 0 ? (
            <p>No named keys.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Key</th>
                  <th>Access</th>
                  <th>Made</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>{key.access}</td>
                    <td>{new Date(key.created_at).toLocaleString()}</td>
                    <td>
                      <button
                        type="button"
                        disabled={busy}
                        aria-label={`Delete key ${key.name}`}
                        onClick={() =>
                          act(async () => {
                            await data(api.DELETE("/api/settings/api-keys/{id}", { params: { path: { id: key.id } } }));
                          })
                        }
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryState>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          act(async () => {
            const created = await data(api.POST("/api/settings/api-keys", { body: { name: name.trim(), access } }));
            // The first key closes an open server: this browser keeps a read-write one.
            if (storedApiKey() === null && created.access === "read-write") storeApiKey(created.key);
            setMade({ name: created.name, key: created.key });
            setName("");
          });
        }}
      >
        <label>
          Key name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <label>
          Access
          <select value={access} onChange={(e) => setAccess(e.target.value as ApiKeyAccess)}>
            <option value="read-only">read-only</option>
            <option value="read-write">read-write</option>
          </select>
        </label>
        <button type="submit" disabled={busy || name.trim() === ""}>
          Make key
        </button>
      </form>
      {made && (
        <p role="status">
          Key <strong>{made.name}</strong>: <code data-testid="new-api-key">{made.key}</code> — copy it now, it is not
          shown again.
        </p>
      )}
      <ErrorMessage error={acting.error} />
    </section>
  );
}
