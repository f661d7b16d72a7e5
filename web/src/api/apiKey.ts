/**
 * The API key the UI sends: remembered in localStorage, asked for through the shell's dialog
 * (one prompt at a time: concurrent 401s share the user's single answer).
 */

/** Where the API key is remembered. */
export const API_KEY_STORAGE = "blockforge.apiKey";

/** Asks the user for the API key; resolves to null when they decline. */
export type ApiKeyPrompt = (reason: string) => Promise<string | null>;

let prompt: ApiKeyPrompt | null = null;
let pendingPrompt: Promise<string | null> | null = null;

/** Registers the dialog that asks for the API key (the shell's ApiKeyDialog does). */
export function setApiKeyPrompt(next: ApiKeyPrompt | null): void {
  prompt = next;
}

/** The remembered API key, if any. */
export function storedApiKey(): string | null {
  return localStorage.getItem(API_KEY_STORAGE);
}

/** Remembers (or, with null, forgets) the API key. */
export function storeApiKey(key: string | null): void {
  if (key === null || key === "") localStorage.removeItem(API_KEY_STORAGE);
  else localStorage.setItem(API_KEY_STORAGE, key);
}

/** Asks for the key (null: declined, or no dialog registered). */
export function askForKey(reason: string): Promise<string | null> {
  if (!prompt) return Promise.resolve(null);
  if (!pendingPrompt) {
    pendingPrompt = prompt(reason).finally(() => {
      pendingPrompt = null;
    });
  }
  return pendingPrompt;
}
