/**
 * The API client: openapi-fetch typed by the `paths` generated from the server's OpenAPI
 * document (`openapi.gen.ts`), with the key and error middleware. Every call answers the
 * documented success body or throws an {@link ApiError}.
 */
import createClient from "openapi-fetch";
import { ApiError } from "./errors";
import { queryString, type QueryValues } from "./links";
import { authMiddleware, errorMiddleware } from "./middleware";
import type { paths } from "./openapi.gen";

/** The same origin the UI was served from (requests need absolute URLs outside a browser). */
const origin = typeof location === "undefined" ? "http://localhost" : location.origin;

/**
 * The typed client (`api.GET("/api/jobs/{id}", {params: {path: {id}}})`). Queries leave out
 * empty values, as the download links do. It reads `globalThis.fetch` at each call, so a test
 * can stub it.
 */
export const api = createClient<paths>({
  baseUrl: origin,
  fetch: (request) => globalThis.fetch(request),
  querySerializer: (values) => queryString(values as QueryValues),
});
// Order matters: onResponse runs last-registered first, so the 401 retry comes before the check.
api.use(errorMiddleware, authMiddleware);

/**
 * The answer of an openapi-fetch call, with a success body that is not JSON (a proxy's HTML
 * page, say) or missing an {@link ApiError} that says so rather than a parser's message or an
 * `undefined` read as the body.
 */
async function answer<T>(call: Promise<{ data?: T; response: Response }>): Promise<{ data: T; response: Response }> {
  let answered: { data?: T; response: Response };
  try {
    answered = await call;
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new ApiError("the server answered something that is not JSON", 0, { reason: error.message });
    }
    throw error;
  }
  const { data, response } = answered;
  if (data === undefined && response.status !== 204) {
    throw new ApiError("the server's answer has no body", response.status);
  }
  return { data: data as T, response };
}

/** The body of an openapi-fetch answer (the middleware has thrown on any error). */
export async function data<T>(call: Promise<{ data?: T; response: Response }>): Promise<T> {
  return (await answer(call)).data;
}

/** A list answer and its `X-Total-Count` header (the total over every page). */
export async function page<T>(call: Promise<{ data?: T[]; response: Response }>): Promise<{ items: T[]; total: number }> {
  const { data, response } = await answer(call);
  const items = data ?? [];
  const header = response.headers.get("X-Total-Count");
  const total = header === null ? items.length : Number(header);
  return { items, total: Number.isFinite(total) ? total : items.length };
}
