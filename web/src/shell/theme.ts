/** Light and dark themes: the user's choice is remembered; without one, the system's. */
import { useCallback, useEffect, useState } from "react";

/** A theme. */
export type Theme = "light" | "dark";

/** Where the choice is remembered. */
export const THEME_STORAGE = "blockforge.theme";

/** The remembered theme, else the system's preference. */
export function initialTheme(): Theme {
  const stored = localStorage.getItem(THEME_STORAGE);
  if (stored === "light" || stored === "dark") return stored;
  const dark = typeof window.matchMedia === "function" && window.matchMedia("(prefers-color-scheme: dark)").matches;
  return dark ? "dark" : "light";
}

/** The current theme (applied as `data-theme` on <html>) and a toggle that remembers it. */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  // Until the user picks one, follow the system's theme as it changes.
  useEffect(() => {
    if (typeof window.matchMedia !== "function") return;
    const query = window.matchMedia("(prefers-color-scheme: dark)");
    const follow = (event: MediaQueryListEvent) => {
      if (localStorage.getItem(THEME_STORAGE) === null) setTheme(event.matches ? "dark" : "light");
    };
    query.addEventListener("change", follow);
    return () => query.removeEventListener("change", follow);
  }, []);
  const toggle = useCallback(() => {
    setTheme((current) => {
      const next = current === "dark" ? "light" : "dark";
      localStorage.setItem(THEME_STORAGE, next);
      return next;
    });
  }, []);
  return [theme, toggle];
}
