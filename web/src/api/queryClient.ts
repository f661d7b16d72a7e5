/** The TanStack Query client the UI shares (and each test makes afresh). */
import { QueryClient } from "@tanstack/react-query";

/**
 * A query client as the UI uses it: a failed request shows its error at once (no retries: the
 * pages offer Retry), and reads happen on mount, on invalidation and where a page polls, not
 * on window focus.
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}
