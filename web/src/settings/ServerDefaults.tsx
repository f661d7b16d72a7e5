/** The server-wide defaults (`/api/settings`): today the concurrency of new jobs. */
import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { settingsQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import { ErrorMessage, QueryState } from "../components/RequestState";

/** The settings section: shows the stored defaults and saves a change. */
export function ServerDefaults() {
  const client = useQueryClient();
  const settings = useQuery(settingsQuery());
  const [concurrency, setConcurrency] = useState("");
  const saving = useMutation({
    mutationFn: (defaultConcurrency: number) => data(api.PUT("/api/settings", { body: { default_concurrency: defaultConcurrency } })),
    onSuccess: (answer) => client.setQueryData(queryKeys.settings, answer),
  });
  const saved = saving.isSuccess;
  useEffect(() => {
    if (settings.data) setConcurrency(String(settings.data.default_concurrency));
  }, [settings.data]);

  const save = () => saving.mutate(Number(concurrency));

  return (
    <section aria-labelledby="server-defaults" data-testid="server-defaults">
      <h2 id="server-defaults">Defaults</h2>
      <QueryState query={settings}>
        {() => (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              save();
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
                  saving.reset();
                  setConcurrency(e.target.value);
                }}
              />
            </label>
            <button type="submit" disabled={saving.isPending}>
              {saving.isPending ? "Saving…" : "Save defaults"}
            </button>
            {saved && <span role="status">Saved</span>}
          </form>
        )}
      </QueryState>
      <ErrorMessage error={saving.error} />
    </section>
  );
}
