import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { storedApiKey } from "../api/apiKey";
import { api, data } from "../api/client";
import { ApiKeyDialog } from "./ApiKeyDialog";

afterEach(() => vi.unstubAllGlobals());

function server(key: string) {
  return vi.fn(async (request: Request) =>
    request.headers.get("Authorization") === `Bearer ${key}`
      ? new Response("[]", { status: 200, headers: { "Content-Type": "application/json" } })
      : new Response(JSON.stringify({ error: "missing or wrong API key", detail: {} }), {
          status: 401,
          headers: { "Content-Type": "application/json" },
        }),
  );
}

describe("ApiKeyDialog", () => {
  it("asks for the key on a 401, and the request is retried with it", async () => {
    vi.stubGlobal("fetch", server("s3cret"));
    const user = userEvent.setup();
    render(<ApiKeyDialog />);
    const request = data(api.GET("/api/blocks"));
    const dialog = await screen.findByRole("dialog", { name: "API key required" });
    expect(dialog).toHaveTextContent("missing or wrong API key");
    await user.type(screen.getByLabelText("API key"), "s3cret");
    await user.click(screen.getByRole("button", { name: "Use key" }));
    expect(await request).toEqual([]);
    expect(storedApiKey()).toBe("s3cret");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("cancelling fails the request with the 401", async () => {
    vi.stubGlobal("fetch", server("s3cret"));
    const user = userEvent.setup();
    render(<ApiKeyDialog />);
    // Settled into a value at once, so the rejection is handled when it happens.
    const outcome = data(api.GET("/api/blocks")).then(
      () => null,
      (error: unknown) => error,
    );
    await screen.findByRole("dialog");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(await outcome).toMatchObject({ status: 401 });
    expect(storedApiKey()).toBeNull();
  });
});
