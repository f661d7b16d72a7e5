/** Loading and error states shared by every page. */
import type { ReactNode } from "react";
import type { UseQueryResult } from "@tanstack/react-query";
import { ApiError } from "../api/errors";

/** A small "Loading…" line announced to screen readers. */
export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

/** Lists an ApiError's detail as `key: value` lines. */
function DetailList({ detail }: { detail: Record<string, unknown> }) {
  const entries = Object.entries(detail);
  if (entries.length === 0) return null;
  return (
    <dl className="error-detail">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** An error box: the message, the server's detail, and an optional retry button. */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (error === null || error === undefined) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <p>
        <strong>Error:</strong> {message}
      </p>
      {error instanceof ApiError && <DetailList detail={error.detail} />}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Shows loading, then the error, then `children` once data is there. */
export function RequestState<T>({
  loading,
  error,
  data,
  onRetry,
  children,
}: {
  loading: boolean;
  error: unknown;
  data: T | undefined;
  onRetry?: () => void;
  children: (data: T) => ReactNode;
}) {
  if (error) return <ErrorMessage error={error} onRetry={onRetry} />;
  if (data === undefined) return loading ? <Loading /> : null;
  return <>{children(data)}</>;
}

/**
 * {@link RequestState} for a TanStack query: its error (with Retry), loading, then `children`.
 * With `keepData`, a failed reread (a poll) keeps showing the data it had instead of the error.
 */
export function QueryState<T>({
  query,
  keepData = false,
  children,
}: {
  query: UseQueryResult<T>;
  keepData?: boolean;
  children: (data: T) => ReactNode;
}) {
  const error = keepData && query.data !== undefined ? null : query.error;
  return (
    <RequestState loading={query.isPending} error={error} data={query.data} onRetry={() => void query.refetch()}>
      {children}
    </RequestState>
  );
}
