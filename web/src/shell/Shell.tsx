/** The app shell: header with navigation, the job indicator, the theme toggle. */
import { useState } from "react";
import { NavLink, Outlet } from "react-router-dom";
import { ApiKeyDialog } from "./ApiKeyDialog";
import { JobsIndicator } from "./JobsIndicator";
import { PageBoundary } from "./PageBoundary";
import { useTheme } from "./theme";

const NAV = [
  { to: "/", label: "Dashboard", end: true },
  { to: "/pipelines", label: "Pipelines", end: false },
  { to: "/generator", label: "Generator", end: false },
  { to: "/review", label: "Review", end: false },
  { to: "/datasets", label: "Datasets", end: false },
  { to: "/plugins", label: "Plugins", end: false },
  { to: "/settings", label: "Settings", end: false },
];

/** Header, navigation and the routed page. */
export function Shell() {
  const [theme, toggleTheme] = useTheme();
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <div className="app">
      {/* First, so it is registered before any request of the header or the page is answered. */}
      <ApiKeyDialog />
      <header className="app-header">
        <a className="brand" href="/">
          blockforge
        </a>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" className={menuOpen ? "open" : undefined}>
          {NAV.map((item) => (
            <NavLink key={item.to} to={item.to} end={item.end} onClick={() => setMenuOpen(false)}>
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="header-tools">
          <JobsIndicator />
          <button type="button" onClick={toggleTheme} aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}>
            {theme === "dark" ? "Light theme" : "Dark theme"}
          </button>
        </div>
      </header>
      <main className="app-main">
        <PageBoundary>
          <Outlet />
        </PageBoundary>
      </main>
    </div>
  );
}
