/**
 * A job's live state: its event stream while it runs, falling back to polling (a TanStack
 * query with an interval) when the stream fails or when too many streams are open (browsers
 * allow about six connections per origin). The job's end invalidates the jobs and records
 * queries, so every list, count and report reads it.
 */
import { useEffect, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { jobQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { Job } from "../api/schema";
import { followJob } from "../api/sse";

/** Streams open at once; further jobs are polled. */
export const MAX_STREAMS = 3;
/** How often a job is polled when not streamed. */
export const JOB_POLL_MS = 1000;

let openStreams = 0;

/** The job as it changes, and the last error of following it. */
export function useJobProgress(initial: Job): { job: Job; error: Error | null } {
  const client = useQueryClient();
  const [streamed, setStreamed] = useState(initial);
  const [streamError, setStreamError] = useState<Error | null>(null);
  const [polling, setPolling] = useState(false);
  const id = initial.id;
  const running = initial.status === "running";

  const polled = useQuery({
    ...jobQuery(id),
    enabled: running && polling,
    refetchInterval: (query) => (query.state.data?.status === "running" || !query.state.data ? JOB_POLL_MS : false),
  });

  useEffect(() => {
    if (!running) return;
    if (openStreams >= MAX_STREAMS) {
      setPolling(true);
      return;
    }
    const controller = new AbortController();
    let finished = false;
    openStreams += 1;
    followJob(
      id,
      {
        onProgress: (next) => setStreamed(next),
        onDone: (next) => {
          finished = true;
          setStreamed(next);
        },
        onError: (e) => setStreamError(e),
      },
      controller.signal,
    ).finally(() => {
      openStreams -= 1;
      if (!finished && !controller.signal.aborted) setPolling(true);
    });
    return () => controller.abort();
  }, [id, running, client]);

  const job = polling && polled.data ? polled.data : streamed;
  const error = polling ? (polled.error ?? (polled.data ? null : streamError)) : streamError;

  // The job's end (streamed or polled) changes the jobs (its card's report, the lists) and the
  // records (the counts): every query of them reads again.
  const ended = running && job.status !== "running";
  useEffect(() => {
    if (!ended) return;
    void client.invalidateQueries({ queryKey: queryKeys.jobs });
    void client.invalidateQueries({ queryKey: queryKeys.records });
  }, [ended, client]);
  return { job, error };
}

/** The current time, refreshed every `ms` while `active`. */
export function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
  return now;
}
