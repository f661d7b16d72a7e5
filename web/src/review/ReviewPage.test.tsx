// A review through the page: the record stays shown with its new status, and what the review
// changes is read again (the counts by status, the jobs), through TanStack Query invalidation.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { queryKeys } from "../api/queryKeys";
import { json, routeFetch } from "../test/datasets";
import { finishedJob, recordRow } from "../test/records";
import { renderWithQuery } from "../test/render";
import { ReviewPage } from "./ReviewPage";

afterEach(() => vi.unstubAllGlobals());

/** A server with one record whose status the PUT changes. */
function reviewServer() {
  let record = recordRow({ id: 7, status: "pending" });
  const seen = routeFetch([
    ["GET /api/pipelines", () => json([])],
    ["GET /api/jobs", () => json([finishedJob()])],
    [
      "GET /api/records",
      ({ url }) => {
        const query = new URL(url, "http://x").searchParams;
        const status = query.get("status");
        const matches = status === null || status === record.status ? [record] : [];
        const items = query.get("limit") === "0" ? [] : matches;
        return new Response(JSON.stringify(items), {
          headers: { "Content-Type": "application/json", "X-Total-Count": String(matches.length) },
        });
      },
    ],
    [
      "PUT /api/records/7",
      ({ body }) => {
        record = { ...record, ...(body as object) };
        return json({ ...record, success: true });
      },
    ],
  ]);
  return seen;
}

const countOf = (status: string) => screen.getByTestId("status-filter").querySelector(`[data-status=${status}]`)?.textContent;

describe("ReviewPage", () => {
  it("keeps the reviewed record shown and reads the counts and the jobs again", async () => {
    const user = userEvent.setup();
    const seen = reviewServer();
    const { client } = renderWithQuery(<ReviewPage />, {
      wrapper: ({ children }) => <MemoryRouter initialEntries={["/review?status=pending"]}>{children}</MemoryRouter>,
    });
    expect(await screen.findByTestId("record-view")).toHaveAttribute("data-record-id", "7");
    await waitFor(() => expect(countOf("pending")).toBe("pending (1)"));
    const jobReads = seen.filter((r) => r.url.startsWith("/api/jobs")).length;
    const countReads = seen.filter((r) => r.url.includes("limit=0")).length;

    await user.click(screen.getByRole("button", { name: "Accept (A)" }));

    // The record stays on the page with its new status, though it left the pending filter.
    await waitFor(() => expect(within(screen.getByTestId("record-view")).getByTestId("record-status")).toHaveTextContent("accepted"));
    expect(seen.find((r) => r.method === "PUT")?.body).toEqual({ status: "accepted" });
    // The counts and the jobs are read again.
    await waitFor(() => expect(countOf("accepted")).toBe("accepted (1)"));
    expect(countOf("pending")).toBe("pending (0)");
    expect(seen.filter((r) => r.url.includes("limit=0")).length).toBeGreaterThan(countReads);
    await waitFor(() => expect(seen.filter((r) => r.url.startsWith("/api/jobs")).length).toBeGreaterThan(jobReads));
    // Every records query is stale: another page or filter reads afresh.
    const pages = client.getQueryCache().findAll({ queryKey: queryKeys.records });
    expect(pages.filter((q) => q.queryKey[1] === "page").every((q) => q.state.isInvalidated)).toBe(true);
  });

  it("pages on while the next page loads, from the last total read", async () => {
    const user = userEvent.setup();
    const records = Array.from({ length: 75 }, (_, i) => recordRow({ id: i + 1 }));
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    routeFetch([
      ["GET /api/pipelines", () => json([])],
      ["GET /api/jobs", () => json([finishedJob()])],
      [
        "GET /api/records",
        async ({ url }) => {
          const query = new URL(url, "http://x").searchParams;
          const limit = Number(query.get("limit") ?? 25);
          const offset = Number(query.get("offset") ?? 0);
          // The second page answers only when the test says so.
          if (offset === 25) await held;
          return new Response(JSON.stringify(records.slice(offset, offset + limit)), {
            headers: { "Content-Type": "application/json", "X-Total-Count": String(records.length) },
          });
        },
      ],
    ]);
    renderWithQuery(<ReviewPage />, {
      wrapper: ({ children }) => <MemoryRouter initialEntries={["/review"]}>{children}</MemoryRouter>,
    });
    await waitFor(() => expect(screen.getByTestId("review-page-info")).toHaveTextContent("1–25 of 75"), { timeout: 30_000 });
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await waitFor(() => expect(screen.getByTestId("review-page-info")).toHaveTextContent("Loading"), { timeout: 30_000 });
    // Page 2 is still loading: Next page goes on to page 3.
    await user.click(screen.getByRole("button", { name: "Next page" }));
    release();
    await waitFor(() => expect(screen.getByTestId("review-page-info")).toHaveTextContent("51–75 of 75"), { timeout: 30_000 });
  }, 60_000);
});
