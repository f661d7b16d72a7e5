// The header's running-jobs indicator polls `GET /api/jobs?status=running` (a TanStack query
// with an interval): a job started elsewhere shows up without any action on the page.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { json, routeFetch } from "../test/datasets";
import { finishedJob } from "../test/records";
import { renderWithQuery } from "../test/render";
import { JobsIndicator } from "./JobsIndicator";

afterEach(() => vi.unstubAllGlobals());

describe("JobsIndicator", () => {
  it("reads the running jobs again on its own and shows a job that started meanwhile", async () => {
    let running = [] as ReturnType<typeof finishedJob>[];
    const seen = routeFetch([["GET /api/jobs", () => json(running)]]);
    renderWithQuery(<JobsIndicator />, { wrapper: MemoryRouter });
    await waitFor(() => expect(screen.getByTestId("jobs-indicator")).toHaveTextContent("no jobs running"));
    expect(seen[0].url).toBe("/api/jobs?status=running");

    running = [finishedJob({ id: 9, status: "running", total_seeds: 4, current_seed: 1 })];
    // The next poll (every 2 s) brings it; waitFor allows far longer on a loaded machine.
    await waitFor(() => expect(screen.getByTestId("jobs-indicator")).toHaveAttribute("data-count", "1"));
    expect(screen.getByTestId("jobs-indicator")).toHaveTextContent("1 job running · 1/4");
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });
});
