/**
 * A job's live state: its event stream while it runs, falling back to polling when the stream
 * fails or when too many streams are open (browsers allow about six connections per origin).
 */
import { useEffect, useState } from "react";
import { getJob } from "../api/endpoints";
import { followJob } from "../api/sse";
import type { Job } from "../api/types";

/** Streams open at once; further jobs are polled. */
export const MAX_STREAMS = 3;
/** How often a job is polled when not streamed. */
const POLL_MS = 1000;

let openStreams = 0;

/** The job as it changes, and the last error of following it. */
export function useJobProgress(initial: Job): { job: Job; error: Error | null } {
  const [job, setJob] = useState(initial);
  const [error, setError] = useState<Error | null>(null);
  const id = initial.id;
  const running = initial.status === "running";

  useEffect(() => {
    if (!running) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;

    const poll = () => {
      getJob(id, controller.signal)
        .then((next) => {
          setJob(next);
          setError(null);
          finished = next.status !== "running";
        })
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
        })
        .finally(() => {
          if (!finished && !controller.signal.aborted) timer = setTimeout(poll, POLL_MS);
        });
    };

    if (openStreams < MAX_STREAMS) {
      openStreams += 1;
      followJob(
        id,
        {
          onProgress: (next) => setJob(next),
          onDone: (next) => {
            finished = true;
            setJob(next);
          },
          onError: (e) => setError(e),
        },
        controller.signal,
      ).finally(() => {
        openStreams -= 1;
        if (!finished && !controller.signal.aborted) poll();
      });
    } else {
      poll();
    }
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [id, running]);

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
