// A job card follows its job's event stream; the job's end invalidates the jobs and records
// queries, so the lists, the counts and the card's report read again.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { makeQueryClient } from "../api/queryClient";
import { queryKeys } from "../api/queryKeys";
import { finishedJob } from "../test/records";
import { renderWithQuery } from "../test/render";
import { JobCard } from "./JobCard";

afterEach(() => vi.unstubAllGlobals());

function eventStream(text: string): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
  return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
}

describe("a job's progress", () => {
  it("follows the stream to the end, then the jobs and records queries read again", async () => {
    const running = finishedJob({ id: 3, status: "running", progress: 0, current_seed: 0, completed_at: null });
    const done = finishedJob({ id: 3 });
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        const path = new URL(request.url).pathname;
        if (path === "/api/jobs/3/stream") return eventStream(`event: done\ndata: ${JSON.stringify(done)}\n\n`);
        return new Response(JSON.stringify(path === "/api/jobs/3" ? done : []), { headers: { "Content-Type": "application/json" } });
      }),
    );
    // What other views of the page hold: a jobs list and the record counts.
    const client = makeQueryClient();
    client.setQueryData(queryKeys.jobList(), []);
    client.setQueryData(queryKeys.statusCounts({}), { all: 0, pending: 0, accepted: 0, rejected: 0, edited: 0 });
    renderWithQuery(<JobCard initial={running} />, { client, wrapper: MemoryRouter });

    await waitFor(() => expect(screen.getByTestId("job-status")).toHaveTextContent("completed"));
    await waitFor(() => expect(client.getQueryState(queryKeys.jobList())?.isInvalidated).toBe(true));
    expect(client.getQueryState(queryKeys.statusCounts({}))?.isInvalidated).toBe(true);
  });
});
