// The dashboard rereads the jobs and the record counts on its own (TanStack queries with an
// interval): records reviewed elsewhere change the counts shown.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { json, routeFetch } from "../test/datasets";
import { renderWithQuery } from "../test/render";
import { DashboardPage } from "./DashboardPage";

afterEach(() => vi.unstubAllGlobals());

describe("DashboardPage", () => {
  it("reads the records by status again on its own", async () => {
    let accepted = 1;
    const seen = routeFetch([
      ["GET /api/pipelines", () => json([])],
      ["GET /api/jobs", () => json([])],
      [
        "GET /api/records",
        ({ url }) => {
          const status = new URL(url, "http://x").searchParams.get("status");
          const total = status === "accepted" ? accepted : status === null ? accepted + 2 : 0;
          return new Response("[]", { headers: { "Content-Type": "application/json", "X-Total-Count": String(total) } });
        },
      ],
    ]);
    renderWithQuery(<DashboardPage />, { wrapper: MemoryRouter });
    const counts = await screen.findByTestId("status-counts");
    expect(within(counts).getByText("accepted").closest("li")).toHaveTextContent("accepted: 1");
    const jobReads = seen.filter((r) => r.url.startsWith("/api/jobs")).length;

    accepted = 5;
    // The next poll (every 3 s) brings it; waitFor allows far longer on a loaded machine.
    await waitFor(() => expect(within(screen.getByTestId("status-counts")).getByText("accepted").closest("li")).toHaveTextContent("accepted: 5"));
    expect(within(screen.getByTestId("status-counts")).getByText("all").closest("li")).toHaveTextContent("all: 7");
    await waitFor(() => expect(seen.filter((r) => r.url.startsWith("/api/jobs")).length).toBeGreaterThan(jobReads));
  });
});
