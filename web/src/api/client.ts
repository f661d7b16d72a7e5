/**
 * The fetch wrapper every request goes through: same origin, the API key from localStorage
 * as `Authorization: Bearer`, a 401 asks the user for the key once and retries, and error
 * answers (`{"error", "detail"}`) become an {@link ApiError}.
 */

/** Where the API key is remembered. */
export const API_KEY_STORAGE = "blockforge.apiKey";

/** A failed request: the server's message, its detail and the HTTP status (0: no answer). */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: Record<string, unknown>;

  constructor(message: string, status: number, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

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

/** One prompt at a time: concurrent 401s share the user's single answer. */
function askForKey(reason: string): Promise<string | null> {
  if (!prompt) return Promise.resolve(null);
  if (!pendingPrompt) {
    pendingPrompt = prompt(reason).finally(() => {
      pendingPrompt = null;
    });
  }
  return pendingPrompt;
}

function withAuth(init: RequestInit): RequestInit {
  const key = storedApiKey();
  if (!key) return init;
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${key}`);
  return { ...init, headers };
}

/** Reads an error answer into an ApiError, whatever its body holds. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => "");
  const fallback = `${response.status} ${response.statusText || "request failed"}`.trim();
  if (!text) return new ApiError(fallback, response.status);
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === "object" && "error" in body) {
      const { error, detail } = body as { error: unknown; detail?: unknown };
      const message = typeof error === "string" && error ? error : fallback;
      const details =
        detail && typeof detail === "object" && !Array.isArray(detail)
          ? (detail as Record<string, unknown>)
          : detail === undefined || detail === null
            ? {}
            : { value: detail };
      return new ApiError(message, response.status, details);
    }
  } catch {
    // Not JSON: keep the text as the detail.
  }
  return new ApiError(fallback, response.status, { message: text.slice(0, 2000) });
}

/**
 * Sends a request; answers the Response when it succeeded (2xx), throws an ApiError
 * otherwise. A 401 asks for the API key once and retries with it.
 */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, withAuth(init));
    if (response.status === 401) {
      const error = await errorFrom(response);
      const key = await askForKey(error.message);
      if (key === null) throw error;
      storeApiKey(key);
      response = await fetch(path, withAuth(init));
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(`cannot reach the server: ${String(e)}`, 0, { path });
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

function jsonInit(method: string, body?: unknown, signal?: AbortSignal): RequestInit {
  const init: RequestInit = { method, signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  return init;
}

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError("the server answered something that is not JSON", response.status, {
      body: text.slice(0, 2000),
    });
  }
}

/** GET a JSON answer. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return json<T>(await apiFetch(path, { signal }));
}

/** A page of a list and the total from `X-Total-Count`. */
export interface Page<T> {
  items: T[];
  total: number;
}

/** GET a JSON list with its `X-Total-Count`. */
export async function getPage<T>(path: string, signal?: AbortSignal): Promise<Page<T>> {
  const response = await apiFetch(path, { signal });
  const items = await json<T[]>(response);
  const header = response.headers.get("X-Total-Count");
  const total = header === null ? items.length : Number(header);
  return { items, total: Number.isFinite(total) ? total : items.length };
}

/** Send a JSON body (POST, PUT, DELETE...) and read the JSON answer. */
export async function sendJson<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  return json<T>(await apiFetch(path, jsonInit(method, body, signal)));
}

/** POST a multipart form and read the JSON answer. */
export async function sendForm<T>(path: string, form: FormData, signal?: AbortSignal): Promise<T> {
  return json<T>(await apiFetch(path, { method: "POST", body: form, signal }));
}

/** A query string from the defined, non-empty values (with the leading `?`, or ""). */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
