import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, apiFetch, errorFrom, getPage, setApiKeyPrompt, storedApiKey, storeApiKey } from "./client";

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  setApiKeyPrompt(null);
});

describe("errorFrom", () => {
  it("reads the server's error and detail", async () => {
    const error = await errorFrom(jsonResponse(422, { error: "unknown provider", detail: { field: "provider" } }));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe("unknown provider");
    expect(error.status).toBe(422);
    expect(error.detail).toEqual({ field: "provider" });
  });

  it("keeps a non-JSON body as the detail", async () => {
    const error = await errorFrom(new Response("upstream down", { status: 502, statusText: "Bad Gateway" }));
    expect(error.message).toBe("502 Bad Gateway");
    expect(error.detail).toEqual({ message: "upstream down" });
  });

  it("wraps a non-object detail", async () => {
    const error = await errorFrom(jsonResponse(400, { error: "bad", detail: ["a", "b"] }));
    expect(error.detail).toEqual({ value: ["a", "b"] });
  });
});

describe("apiFetch", () => {
  it("throws an ApiError on an error answer", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => jsonResponse(404, { error: "pipeline 9 not found", detail: { pipeline: 9 } })));
    await expect(apiFetch("/api/pipelines/9")).rejects.toMatchObject({
      message: "pipeline 9 not found",
      status: 404,
      detail: { pipeline: 9 },
    });
  });

  it("turns a network failure into an ApiError with status 0", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(apiFetch("/api/blocks")).rejects.toMatchObject({ status: 0 });
  });

  it("sends the stored key as a bearer token", async () => {
    storeApiKey("k1");
    const fetchMock = vi.fn(async (_path: string, _init?: RequestInit) => jsonResponse(200, []));
    vi.stubGlobal("fetch", fetchMock);
    await apiFetch("/api/blocks");
    const headers = new Headers(fetchMock.mock.calls[0][1]?.headers);
    expect(headers.get("Authorization")).toBe("Bearer k1");
  });

  it("asks for the key once on 401, stores it and retries", async () => {
    const fetchMock = vi.fn(async (_path: string, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get("Authorization");
      return auth === "Bearer secret"
        ? jsonResponse(200, { ok: true })
        : jsonResponse(401, { error: "missing or wrong API key", detail: {} });
    });
    vi.stubGlobal("fetch", fetchMock);
    const prompt = vi.fn(async () => "secret");
    setApiKeyPrompt(prompt);
    const [a, b] = await Promise.all([apiFetch("/api/blocks"), apiFetch("/api/jobs")]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(prompt).toHaveBeenCalledTimes(1);
    expect(storedApiKey()).toBe("secret");
  });

  it("gives up with the 401 when the user declines", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => jsonResponse(401, { error: "missing or wrong API key", detail: {} })));
    setApiKeyPrompt(async () => null);
    await expect(apiFetch("/api/blocks")).rejects.toMatchObject({ status: 401, message: "missing or wrong API key" });
    expect(storedApiKey()).toBeNull();
  });

  it("fails with the second 401 when the given key is wrong too", async () => {
    const fetchMock = vi.fn(async () => jsonResponse(401, { error: "wrong key", detail: {} }));
    vi.stubGlobal("fetch", fetchMock);
    setApiKeyPrompt(async () => "nope");
    await expect(apiFetch("/api/blocks")).rejects.toMatchObject({ status: 401 });
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });
});

describe("getPage", () => {
  it("reads the total from X-Total-Count", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => jsonResponse(200, [{ id: 1 }], { "X-Total-Count": "250" })));
    const page = await getPage<{ id: number }>("/api/records?limit=1");
    expect(page).toEqual({ items: [{ id: 1 }], total: 250 });
  });
});
