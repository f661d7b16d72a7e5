/** The server-wide defaults (`/api/settings`): today the concurrency of new jobs. */
import { useEffect, useState } from "react";
import { getSettings, putSettings } from "../api/endpoints";
import { ErrorMessage, RequestState } from "../components/RequestState";
import { useRequest } from "../components/useRequest";

/** The settings section: shows the stored defaults and saves a change. */
export function ServerDefaults() {
  const settings = useRequest((signal) => getSettings(signal), []);
  const [concurrency, setConcurrency] = useState("");
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (settings.data) setConcurrency(String(settings.data.default_concurrency));
  }, [settings.data]);

  const save = async () => {
    setSaving(true);
    setError(null);
    setSaved(false);
    try {
      settings.setData(await putSettings({ default_concurrency: Number(concurrency) }));
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section aria-labelledby="server-defaults" data-testid="server-defaults">
      <h2 id="server-defaults">Defaults</h2>
      <RequestState loading={settings.loading} error={settings.error} onRetry={settings.reload} data={settings.data}>
        {() => (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <label>
              Job concurrency (runs at once when a job names none)
              <input
                type="number"
                min={1}
                max={1024}
                value={concurrency}
                onChange={(e) => {
                  setSaved(false);
                  setConcurrency(e.target.value);
                }}
              />
            </label>
            <button type="submit" disabled={saving}>
              {saving ? "Saving…" : "Save defaults"}
            </button>
            {saved && <span role="status">Saved</span>}
          </form>
        )}
      </RequestState>
      <ErrorMessage error={error} />
    </section>
  );
}
