/** A request's lifecycle as React state: data, loading, error, reload, optional polling. */
import { useCallback, useEffect, useRef, useState } from "react";

/** What {@link useRequest} gives back. */
export interface RequestResult<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Runs the request again (keeps the old data meanwhile). */
  reload: () => void;
  /** Replaces the data locally (after a write the server answered). */
  setData: (data: T) => void;
}

/**
 * Runs `load` when `deps` change (and every `pollMs` when given); aborts the previous one.
 * A failed poll keeps the last good data and shows the error.
 */
export function useRequest<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
  pollMs?: number,
): RequestResult<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    loadRef
      .current(controller.signal)
      .then((value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(null);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        setError(e);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  useEffect(() => {
    if (!pollMs) return;
    const timer = setInterval(() => setTick((t) => t + 1), pollMs);
    return () => clearInterval(timer);
  }, [pollMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}
