import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import { renderWithQuery } from "../test/render";
import userEvent from "@testing-library/user-event";
import { storeApiKey, storedApiKey } from "../api/apiKey";
import { seenOf } from "../test/datasets";
import { ApiKeys } from "./ApiKeys";

afterEach(() => {
  vi.unstubAllGlobals();
  storeApiKey(null);
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** The server's key routes over an in-memory list. */
function keyServer() {
  const keys: { id: number; name: string; prefix: string; access: string; created_at: number }[] = [];
  let next = 1;
  return vi.fn(async (input: Request) => {
    const { method, url: path, body: sent } = await seenOf(input);
    if (method === "GET" && path === "/api/settings/api-keys") return json(200, keys);
    if (method === "POST" && path === "/api/settings/api-keys") {
      const body = sent as { name: string; access: string };
      const key = `bf_${String(next).padStart(64, "0")}`;
      const row = { id: next++, name: body.name, prefix: key.slice(0, 11), access: body.access, created_at: 0 };
      keys.push(row);
      return json(201, { ...row, key });
    }
    const deleted = /^\/api\/settings\/api-keys\/(\d+)$/.exec(path);
    if (method === "DELETE" && deleted) {
      keys.splice(
        keys.findIndex((k) => k.id === Number(deleted[1])),
        1,
      );
      return json(200, { message: "API key deleted", id: Number(deleted[1]) });
    }
    return json(404, { error: "not found", detail: {} });
  });
}

describe("ApiKeys", () => {
  it("makes a key, shows it once, lists only its prefix, and deletes it", async () => {
    vi.stubGlobal("fetch", keyServer());
    const user = userEvent.setup();
    renderWithQuery(<ApiKeys />);
    expect(await screen.findByText("No named keys.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Key name"), "ci");
    await user.selectOptions(screen.getByLabelText("Access"), "read-write");
    await user.click(screen.getByRole("button", { name: "Make key" }));
    const shown = await screen.findByTestId("new-api-key");
    expect(shown.textContent).toMatch(/^bf_0{63}1$/);
    // This browser had no key: it keeps the read-write one it made.
    expect(storedApiKey()).toBe(shown.textContent);
    const row = (await screen.findByRole("cell", { name: "ci" })).closest("tr");
    expect(row).not.toBeNull();
    expect(within(row as HTMLElement).getByText("bf_00000000…")).toBeInTheDocument();
    expect(within(row as HTMLElement).queryByText(shown.textContent ?? "")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Delete key ci" }));
    expect(await screen.findByText("No named keys.")).toBeInTheDocument();
  });
});
