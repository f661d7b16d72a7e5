/** Renders with a fresh TanStack Query client, as the UI's root does. */
import type { ComponentType, ReactElement, ReactNode } from "react";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import { makeQueryClient } from "../api/queryClient";

/** Options of {@link renderWithQuery}. */
export interface QueryRenderOptions {
  /** The client (a fresh one by default). */
  client?: QueryClient;
  /** A wrapper inside the provider (a router). */
  wrapper?: ComponentType<{ children: ReactNode }>;
}

/** `render(ui)` inside a QueryClientProvider; answers the client too (to watch its cache). */
export function renderWithQuery(ui: ReactElement, { client = makeQueryClient(), wrapper: Inner }: QueryRenderOptions = {}) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{Inner ? <Inner>{children}</Inner> : children}</QueryClientProvider>
  );
  return Object.assign(render(ui, { wrapper }), { client });
}
