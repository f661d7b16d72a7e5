/** Server-shaped dataset versions and a fetch that answers by route, for the Datasets tests. */
import { vi } from "vitest";
import type { DatasetVersion } from "../api/datasets";

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
  /** The body: parsed JSON, or the Blob/File as sent. */
  body: unknown;
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
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? "GET";
      const raw = init?.body;
      const body = typeof raw === "string" ? JSON.parse(raw) : raw;
      const request = { method, url, body };
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
