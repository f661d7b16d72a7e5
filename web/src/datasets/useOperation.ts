/** One dataset operation's request as React state: busy, error, and the versions it made. */
import { useCallback, useState } from "react";
import type { DatasetVersion } from "../api/datasets";

/** What {@link useOperation} gives back. */
export interface Operation {
  busy: boolean;
  error: unknown;
  /** The versions the last run made (empty before one succeeded). */
  made: DatasetVersion[];
  /** Runs the request; the versions it answers go to `made` and to the page's `onMade`. */
  run: (request: () => Promise<DatasetVersion | DatasetVersion[]>) => void;
}

/** The state of one operation form; `onMade` hears of every new version. */
export function useOperation(onMade: (versions: DatasetVersion[]) => void): Operation {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [made, setMade] = useState<DatasetVersion[]>([]);
  const run = useCallback(
    (request: () => Promise<DatasetVersion | DatasetVersion[]>) => {
      setBusy(true);
      setError(null);
      request()
        .then((answer) => {
          const versions = Array.isArray(answer) ? answer : [answer];
          setMade(versions);
          onMade(versions);
        })
        .catch((e: unknown) => {
          setMade([]);
          setError(e);
        })
        .finally(() => setBusy(false));
    },
    [onMade],
  );
  return { busy, error, made, run };
}
