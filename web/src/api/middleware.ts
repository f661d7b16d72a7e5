/**
 * The openapi-fetch middleware every request goes through: the stored API key as
 * `Authorization: Bearer`, a 401 that asks for the key once and sends the request again with
 * it, and failures turned into an {@link ApiError} (error answers and no answer alike).
 */
import type { Middleware } from "openapi-fetch";
import { askForKey, storedApiKey, storeApiKey } from "./apiKey";
import { ApiError, errorFrom, isAbort } from "./errors";

/** A copy of each request in flight, kept to send again after a 401 (its body is read once). */
const inFlight = new Map<string, Request>();

function authorize(request: Request, key: string | null): Request {
  if (key) request.headers.set("Authorization", `Bearer ${key}`);
  return request;
}

/**
 * Adds the stored key; on a 401 asks for a key (concurrent 401s share one prompt), stores it
 * and sends the request again. A declined prompt leaves the 401 as the answer.
 */
export const authMiddleware: Middleware = {
  onRequest({ request, id }) {
    const sent = authorize(request, storedApiKey());
    inFlight.set(id, sent.clone());
    return sent;
  },
  async onResponse({ response, id, options }) {
    const copy = inFlight.get(id);
    inFlight.delete(id);
    if (response.status !== 401 || !copy) return response;
    const reason = await errorFrom(response.clone());
    const key = await askForKey(reason.message);
    if (key === null) return response;
    storeApiKey(key);
    return options.fetch(authorize(copy, key));
  },
  onError({ id }) {
    inFlight.delete(id);
  },
};

/** Throws an ApiError for an error answer, and for a request that got no answer (status 0). */
export const errorMiddleware: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await errorFrom(response);
    return response;
  },
  onError({ error, request }) {
    if (error instanceof ApiError || isAbort(error)) return undefined;
    return new ApiError(`cannot reach the server: ${String(error)}`, 0, { path: new URL(request.url).pathname });
  },
};
