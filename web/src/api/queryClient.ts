/** The TanStack Query client the UI shares (and each test makes afresh). */
import { QueryClient } from "@tanstack/react-query";

/**
 * A query client as the UI uses it: a failed request shows its error at once (no retries: the
 * pages offer Retry), and reads happen on mount, on invalidation and where a page polls, not
 * on window focus nor when the connection comes back (the review page would move under the
 * reviewer, an open editor lose its draft). Requests are sent whether or not the browser says it is online
 * (`networkMode: "always"`): offline, a page says it cannot reach the server instead of
 * waiting, paused, for the connection to come back.
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false, networkMode: "always" },
      mutations: { retry: false, networkMode: "always" },
    },
  });
}
