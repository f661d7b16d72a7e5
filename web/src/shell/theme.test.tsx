import { afterEach, describe, expect, it, vi } from "vitest";
import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { initialTheme, THEME_STORAGE, useTheme } from "./theme";

type Listener = (event: MediaQueryListEvent) => void;

/** A system preference that can change, as matchMedia reports it. */
function systemPrefers(dark: boolean) {
  const listeners: Listener[] = [];
  const query = {
    matches: dark,
    addEventListener: (_: string, listener: Listener) => listeners.push(listener),
    removeEventListener: () => undefined,
  };
  vi.stubGlobal("matchMedia", () => query);
  return (nowDark: boolean) => {
    query.matches = nowDark;
    listeners.forEach((listener) => listener({ matches: nowDark } as MediaQueryListEvent));
  };
}

function Toggle() {
  const [theme, toggle] = useTheme();
  return (
    <button type="button" onClick={toggle}>
      {theme}
    </button>
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("theme", () => {
  it("follows the system until the user picks, then remembers the pick", async () => {
    const change = systemPrefers(true);
    expect(initialTheme()).toBe("dark");
    render(<Toggle />);
    expect(document.documentElement.dataset.theme).toBe("dark");
    act(() => change(false));
    expect(screen.getByRole("button")).toHaveTextContent("light");
    await userEvent.setup().click(screen.getByRole("button"));
    expect(screen.getByRole("button")).toHaveTextContent("dark");
    expect(localStorage.getItem(THEME_STORAGE)).toBe("dark");
    act(() => change(false));
    expect(screen.getByRole("button")).toHaveTextContent("dark");
  });

  it("starts from the remembered theme", () => {
    systemPrefers(true);
    localStorage.setItem(THEME_STORAGE, "light");
    expect(initialTheme()).toBe("light");
  });
});
