/** Settings: the LLM and embedding model registries, the server-wide defaults, the named API
 * keys, and the API key kept in this browser. */
import { useState } from "react";
import { storedApiKey, storeApiKey } from "../api/apiKey";
import { ApiKeys } from "./ApiKeys";
import { ModelSection } from "./ModelSection";
import { ServerDefaults } from "./ServerDefaults";

function ApiKeyStatus() {
  const [stored, setStored] = useState(() => storedApiKey() !== null);
  return (
    <section aria-labelledby="browser-key">
      <h2 id="browser-key">API key</h2>
      <p>
        {stored ? "An API key is kept in this browser." : "No API key is kept in this browser (the server asks for one when it needs it)."}{" "}
        {stored && (
          <button
            type="button"
            onClick={() => {
              storeApiKey(null);
              setStored(false);
            }}
          >
            Forget the API key
          </button>
        )}
      </p>
    </section>
  );
}

/** The settings page. */
export function SettingsPage() {
  return (
    <section>
      <h1>Settings</h1>
      <ModelSection kind="llm" title="LLM models" />
      <ModelSection kind="embedding" title="Embedding models" />
      <ServerDefaults />
      <ApiKeys />
      <ApiKeyStatus />
    </section>
  );
}
