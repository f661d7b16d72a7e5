/** Server-shaped dataset versions and a fetch that answers by route, for the Datasets tests. */
import { vi } from "vitest";
import type { DatasetVersion } from "../api/schema";

/** A ready version of `chats` made by an upload. */
export function datasetVersion(overrides: Partial<DatasetVersion> = {}): DatasetVersion {
  return {
    id: 11,
    dataset: "chats",
    number: 1,
    parent: null,
    lineage: { source: "upload", file_name: "chats.jsonl", format: "jsonl", bytes: 2048 },
    row_count: 3,
    schema: {
      fields: [
        { name: "messages", types: { array: 3 } },
        { name: "topic", types: { string: 3 } },
      ],
    },
    created_at: 1_700_000_000_000,
    ...overrides,
  };
}

/** A JSON answer. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** One request the fake fetch saw. */
export interface SeenRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The body: parsed JSON, else its text (undefined when none). */
  body: unknown;
  /** The request's headers. */
  headers: Headers;
}

/** What the client sent (openapi-fetch sends a Request; a plain `fetch(url, init)` works too). */
export async function seenOf(input: RequestInfo | URL, init?: RequestInit): Promise<SeenRequest> {
  const request = input instanceof Request ? input : new Request(new URL(String(input), location.origin), init);
  const url = new URL(request.url);
  const text = request.body === null ? undefined : await request.text();
  let body: unknown = text;
  if (text !== undefined && (request.headers.get("Content-Type") ?? "").includes("application/json")) body = JSON.parse(text);
  return { method: request.method, url: `${url.pathname}${url.search}`, body, headers: request.headers };
}

/**
 * Stubs `fetch`: each request goes to the route `"METHOD /path"` whose path equals the URL's
 * without its query (`"GET /api/datasets/chats/rows"`); an unrouted request answers 404.
 * Answers the list of requests seen, in order.
 */
export function routeFetch(routes: [string, (request: SeenRequest) => Response | Promise<Response>][]): SeenRequest[] {
  const seen: SeenRequest[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = await seenOf(input, init);
      const { method, url } = request;
      seen.push(request);
      const path = url.split("?")[0];
      const route = routes.find(([key]) => {
        const [m, prefix] = key.split(" ");
        return m === method && path === prefix;
      });
      return route ? route[1](request) : json({ error: `no route for ${method} ${url}`, detail: {} }, 404);
    }),
  );
  return seen;
}
