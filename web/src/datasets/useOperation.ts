/**
 * One dataset operation as a TanStack mutation: busy, error, and the versions it made. A
 * success invalidates every datasets query (the list, the versions, the rows).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { queryKeys } from "../api/queryKeys";
import type { DatasetVersion } from "../api/schema";

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
  const client = useQueryClient();
  const mutation = useMutation({
    mutationFn: async (request: () => Promise<DatasetVersion | DatasetVersion[]>) => {
      const answer = await request();
      return Array.isArray(answer) ? answer : [answer];
    },
    onSuccess: (versions) => {
      void client.invalidateQueries({ queryKey: queryKeys.datasets });
      onMade(versions);
    },
  });
  return { busy: mutation.isPending, error: mutation.error, made: mutation.data ?? [], run: mutation.mutate };
}
