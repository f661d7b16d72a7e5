import { Link, useLocation } from "react-router-dom";

/** An unknown path inside the UI. */
export function NotFoundPage() {
  const location = useLocation();
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing at <code>{location.pathname}</code>. <Link to="/">Back to the dashboard</Link>
      </p>
    </section>
  );
}
