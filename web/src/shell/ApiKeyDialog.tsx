/** Asks for the API key when the server answers 401; registered with the API client. */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { setApiKeyPrompt } from "../api/apiKey";

interface Pending {
  reason: string;
  resolve: (key: string | null) => void;
}

/** The dialog; mounted once by the shell. */
export function ApiKeyDialog() {
  const [pending, setPending] = useState<Pending | null>(null);
  const [key, setKey] = useState("");
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setApiKeyPrompt((reason) => new Promise((resolve) => setPending({ reason, resolve })));
    return () => setApiKeyPrompt(null);
  }, []);

  useEffect(() => {
    if (pending) input.current?.focus();
  }, [pending]);

  if (!pending) return null;
  const close = (answer: string | null) => {
    pending.resolve(answer);
    setPending(null);
    setKey("");
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    close(key.trim() || null);
  };
  return (
    <div className="modal-backdrop">
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="api-key-title" onSubmit={submit}>
        <h2 id="api-key-title">API key required</h2>
        <p>The server asks for an API key ({pending.reason}). It is kept in this browser.</p>
        <label>
          API key
          <input
            ref={input}
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
          />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Use key
          </button>
          <button type="button" onClick={() => close(null)}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
