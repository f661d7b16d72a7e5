// Offline, a read fails with "cannot reach the server" (TanStack Query would otherwise pause it
// until the browser is online again, and the page would wait without a word).
import { afterEach, describe, expect, it, vi } from "vitest";
import { onlineManager, useQuery } from "@tanstack/react-query";
import { screen } from "@testing-library/react";
import { ErrorMessage } from "../components/RequestState";
import { renderWithQuery } from "../test/render";
import { blocksQuery } from "./queries";

afterEach(() => {
  vi.unstubAllGlobals();
  onlineManager.setOnline(true);
});

function Blocks() {
  const blocks = useQuery(blocksQuery());
  return blocks.error ? <ErrorMessage error={blocks.error} /> : <p>{blocks.isPending ? "waiting" : "read"}</p>;
}

describe("the query client", () => {
  it("shows that the server cannot be reached while the browser is offline", async () => {
    onlineManager.setOnline(false);
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    renderWithQuery(<Blocks />);
    expect(await screen.findByRole("alert")).toHaveTextContent("cannot reach the server");
  });
});
