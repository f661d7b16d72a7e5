/**
 * Follows `GET /api/jobs/{id}/stream`. Uses fetch (not EventSource) so the API key goes in
 * the Authorization header; eventsource-parser reads the event stream.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { api } from "./client";
import type { Job } from "./schema";

/** The SSE `record` event: a run finished and its record is stored. */
export interface RecordEvent {
  record_id: number;
  run_status: string;
}

/** What the stream reports. */
export interface JobStreamHandlers {
  /** The job changed: counts, tokens, current block. */
  onProgress?: (job: Job) => void;
  /** A run finished and its record is stored. */
  onRecord?: (record: RecordEvent) => void;
  /** The job ended; the stream closes after it. */
  onDone?: (job: Job) => void;
  /** The stream failed (the request, the connection or an `error` event). */
  onError?: (error: Error) => void;
}

/** Dispatches one parsed event; answers whether it was the last (`done` or `error`). */
export function dispatchJobEvent(message: EventSourceMessage, handlers: JobStreamHandlers): boolean {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    handlers.onError?.(new Error(`unreadable ${message.event ?? "message"} event: ${message.data}`));
    return false;
  }
  switch (message.event) {
    case "progress":
      handlers.onProgress?.(data as Job);
      return false;
    case "record":
      handlers.onRecord?.(data as RecordEvent);
      return false;
    case "done":
      handlers.onDone?.(data as Job);
      return true;
    case "error": {
      const error = (data as { error?: unknown }).error;
      handlers.onError?.(new Error(typeof error === "string" ? error : "the job stream failed"));
      return true;
    }
    default:
      return false;
  }
}

/**
 * Streams job `id` until `done`, an error, or `signal` aborts. Resolves when the stream ends.
 */
export async function followJob(id: number, handlers: JobStreamHandlers, signal?: AbortSignal): Promise<void> {
  let finished = false;
  try {
    const { data: body } = await api.GET("/api/jobs/{id}/stream", {
      params: { path: { id } },
      headers: { Accept: "text/event-stream" },
      parseAs: "stream",
      signal,
    });
    if (!body) throw new Error("the job stream has no body");
    const parser = createParser({
      onEvent: (message) => {
        if (dispatchJobEvent(message, handlers)) finished = true;
      },
    });
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    while (!finished) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    if (!finished) reader.cancel().catch(() => undefined);
    else await reader.cancel().catch(() => undefined);
  } catch (e) {
    if (signal?.aborted) return;
    handlers.onError?.(e instanceof Error ? e : new Error(String(e)));
  }
}
