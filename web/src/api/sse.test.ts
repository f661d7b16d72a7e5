import { afterEach, describe, expect, it, vi } from "vitest";
import { followJob } from "./sse";
import type { Job } from "./schema";
import type { RecordEvent } from "./sse";

afterEach(() => vi.unstubAllGlobals());

/** An event-stream answer that arrives in the given chunks (split mid-event on purpose). */
function streamOf(chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      chunks.forEach((chunk) => controller.enqueue(encoder.encode(chunk)));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
}

describe("followJob", () => {
  it("reads progress, record and done events across chunk boundaries", async () => {
    const progress = { id: 7, status: "running", progress: 0.5 };
    const done = { id: 7, status: "completed", progress: 1 };
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        streamOf([
          `event: progress\ndata: ${JSON.stringify(progress)}\n\n:keep-alive\n\nevent: rec`,
          `ord\ndata: {"record_id": 3, "run_status": "completed"}\n\n`,
          `event: done\ndata: ${JSON.stringify(done)}\n\n`,
        ]),
      ),
    );
    const seen: string[] = [];
    const records: RecordEvent[] = [];
    let last: Job | null = null;
    await followJob(7, {
      onProgress: (job) => seen.push(`progress ${job.progress}`),
      onRecord: (record) => records.push(record),
      onDone: (job) => {
        last = job;
      },
      onError: (e) => seen.push(`error ${e.message}`),
    });
    expect(seen).toEqual(["progress 0.5"]);
    expect(records).toEqual([{ record_id: 3, run_status: "completed" }]);
    expect(last).toMatchObject({ status: "completed" });
  });

  it("reports the server's error event and a failed request", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => streamOf(['event: error\ndata: {"error": "job 9 not found"}\n\n'])));
    const errors: string[] = [];
    await followJob(9, { onError: (e) => errors.push(e.message) });
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ error: "job 10 not found", detail: { job: 10 } }), { status: 404 })),
    );
    await followJob(10, { onError: (e) => errors.push(e.message) });
    expect(errors).toEqual(["job 9 not found", "job 10 not found"]);
  });
});
