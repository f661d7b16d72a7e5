/** Named API keys (`/api/settings/api-keys`): the list, a form to make one (its key is shown
 * once, right after), and a delete button per key. Once a key exists the server asks every
 * request for one; a read-write key made while this browser keeps none is kept. */
import { useState } from "react";
import { storeApiKey, storedApiKey } from "../api/client";
import { createApiKey, deleteApiKey, listApiKeys, type ApiKeyAccess } from "../api/endpoints";
import { ErrorMessage, RequestState } from "../components/RequestState";
import { useRequest } from "../components/useRequest";

/** The API keys section of the settings page. */
export function ApiKeys() {
  const keys = useRequest((signal) => listApiKeys(signal), []);
  const [name, setName] = useState("");
  const [access, setAccess] = useState<ApiKeyAccess>("read-only");
  const [made, setMade] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      keys.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="api-keys" data-testid="api-keys">
      <h2 id="api-keys">API keys</h2>
      <p>Once a key exists, every request to the API needs one. Read-only keys can only read.</p>
      <RequestState loading={keys.loading} error={keys.error} onRetry={keys.reload} data={keys.data}>
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
                          void act(async () => {
                            await deleteApiKey(key.id);
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
      </RequestState>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const created = await createApiKey(name.trim(), access);
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
      <ErrorMessage error={error} />
    </section>
  );
}
