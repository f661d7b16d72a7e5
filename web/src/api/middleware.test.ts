import { afterEach, describe, expect, it, vi } from "vitest";
import { setApiKeyPrompt, storedApiKey, storeApiKey } from "./apiKey";
import { api, data, page } from "./client";
import { ApiError, errorFrom } from "./errors";

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** Stubs fetch with `answer`; the mock records the Requests openapi-fetch sends. */
function stubFetch(answer: (request: Request) => Response | Promise<Response>) {
  const fetchMock = vi.fn(async (request: Request) => answer(request));
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
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

describe("the client's middleware", () => {
  it("throws an ApiError with the server's error and detail on an error answer", async () => {
    stubFetch(() => jsonResponse(404, { error: "pipeline 9 not found", detail: { pipeline: 9 } }));
    await expect(data(api.GET("/api/pipelines/{id}", { params: { path: { id: 9 } } }))).rejects.toMatchObject({
      message: "pipeline 9 not found",
      status: 404,
      detail: { pipeline: 9 },
    });
  });

  it("turns a network failure into an ApiError with status 0", async () => {
    stubFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    await expect(data(api.GET("/api/blocks"))).rejects.toMatchObject({ status: 0 });
  });

  it("sends no Authorization header without a stored key", async () => {
    const fetchMock = stubFetch(() => jsonResponse(200, []));
    await data(api.GET("/api/blocks"));
    expect(fetchMock.mock.calls[0][0].headers.get("Authorization")).toBeNull();
  });

  it("adds the stored key as a bearer token", async () => {
    storeApiKey("k1");
    const fetchMock = stubFetch(() => jsonResponse(200, []));
    await data(api.GET("/api/blocks"));
    expect(fetchMock.mock.calls[0][0].headers.get("Authorization")).toBe("Bearer k1");
  });

  it("asks for the key once on concurrent 401s, stores it and sends each request again with it", async () => {
    const fetchMock = stubFetch((request) =>
      request.headers.get("Authorization") === "Bearer secret"
        ? jsonResponse(200, [])
        : jsonResponse(401, { error: "missing or wrong API key", detail: {} }),
    );
    const prompt = vi.fn(async () => "secret");
    setApiKeyPrompt(prompt);
    const [blocks, jobs] = await Promise.all([data(api.GET("/api/blocks")), data(api.GET("/api/jobs"))]);
    expect(blocks).toEqual([]);
    expect(jobs).toEqual([]);
    expect(prompt).toHaveBeenCalledTimes(1);
    expect(prompt).toHaveBeenCalledWith("missing or wrong API key");
    expect(storedApiKey()).toBe("secret");
    expect(fetchMock).toHaveBeenCalledTimes(4);
  });

  it("sends a request's JSON body again after the 401", async () => {
    const bodies: string[] = [];
    stubFetch(async (request) => {
      bodies.push(await request.text());
      return request.headers.get("Authorization") === "Bearer secret"
        ? jsonResponse(200, { default_concurrency: 4 })
        : jsonResponse(401, { error: "missing or wrong API key", detail: {} });
    });
    setApiKeyPrompt(async () => "secret");
    await data(api.PUT("/api/settings", { body: { default_concurrency: 4 } }));
    expect(bodies).toEqual(['{"default_concurrency":4}', '{"default_concurrency":4}']);
  });

  it("asks again on a 401 once a stored key stops working", async () => {
    storeApiKey("old");
    const fetchMock = stubFetch((request) =>
      request.headers.get("Authorization") === "Bearer new"
        ? jsonResponse(200, [])
        : jsonResponse(401, { error: "wrong API key", detail: {} }),
    );
    const prompt = vi.fn(async () => "new");
    setApiKeyPrompt(prompt);
    await data(api.GET("/api/blocks"));
    expect(prompt).toHaveBeenCalledTimes(1);
    expect(storedApiKey()).toBe("new");
    expect(fetchMock.mock.calls.map(([request]) => request.headers.get("Authorization"))).toEqual(["Bearer old", "Bearer new"]);
  });

  it("gives up with the 401 when the user declines", async () => {
    stubFetch(() => jsonResponse(401, { error: "missing or wrong API key", detail: {} }));
    setApiKeyPrompt(async () => null);
    await expect(data(api.GET("/api/blocks"))).rejects.toMatchObject({ status: 401, message: "missing or wrong API key" });
    expect(storedApiKey()).toBeNull();
  });

  it("fails with the second 401 when the given key is wrong too", async () => {
    const fetchMock = stubFetch(() => jsonResponse(401, { error: "wrong key", detail: {} }));
    setApiKeyPrompt(async () => "nope");
    await expect(data(api.GET("/api/blocks"))).rejects.toMatchObject({ status: 401 });
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });
});

describe("page", () => {
  it("reads the total from X-Total-Count", async () => {
    stubFetch(() => jsonResponse(200, [{ id: 1 }], { "X-Total-Count": "250" }));
    const records = await page(api.GET("/api/records", { params: { query: { limit: 1 } } }));
    expect(records.total).toBe(250);
    expect(records.items).toEqual([{ id: 1 }]);
  });
});

describe("success answers the client cannot read", () => {
  it("an HTML page where JSON was expected is an ApiError that says so", async () => {
    stubFetch(() => new Response("<html>proxy login</html>", { status: 200, headers: { "Content-Type": "application/json" } }));
    const failure = await data(api.GET("/api/blocks")).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).message).toBe("the server answered something that is not JSON");
  });

  it("an empty success answer is an ApiError, not undefined read as the body", async () => {
    stubFetch(() => new Response(null, { status: 200, headers: { "Content-Length": "0" } }));
    const failure = await page(api.GET("/api/pipelines")).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(200);
  });
});
