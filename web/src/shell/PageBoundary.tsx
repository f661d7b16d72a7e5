/** Around the routed page: "Loading the page…" while its code loads (the header stays), and an
 * error box instead of a blank window when its code cannot be loaded (the server went away, or
 * was updated so the old chunk names are gone) or the page throws. */
import { Suspense, type ReactNode } from "react";
import { ErrorBoundary, type FallbackProps } from "react-error-boundary";
import { useLocation } from "react-router-dom";
import { Loading } from "../components/RequestState";

function PageFailed({ error }: FallbackProps) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <p>
        <strong>This page could not be shown:</strong> {message}
      </p>
      <p>If the server was restarted or updated, reloading fetches the current version.</p>
      {/* A page whose code failed to load stays failed until the document reloads. */}
      <button type="button" onClick={() => window.location.reload()}>
        Reload
      </button>
    </div>
  );
}

/** The page boundary; going to another page clears a failure. */
export function PageBoundary({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <ErrorBoundary FallbackComponent={PageFailed} resetKeys={[pathname]}>
      <Suspense fallback={<Loading label="Loading the page…" />}>{children}</Suspense>
    </ErrorBoundary>
  );
}
