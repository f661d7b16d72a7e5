import { lazy, type ComponentType } from "react";
import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { PageBoundary } from "./PageBoundary";

function renderPage(Page: ComponentType) {
  render(
    <MemoryRouter>
      <PageBoundary>
        <Page />
      </PageBoundary>
    </MemoryRouter>,
  );
}

describe("PageBoundary", () => {
  it("shows loading while a page's code loads, then the page", async () => {
    let resolve: (module: { default: () => React.JSX.Element }) => void = () => undefined;
    const Page = lazy(() => new Promise<{ default: () => React.JSX.Element }>((r) => (resolve = r)));
    renderPage(Page);
    expect(await screen.findByText("Loading the page…")).toBeInTheDocument();
    resolve({ default: () => <p>the page</p> });
    expect(await screen.findByText("the page")).toBeInTheDocument();
  });

  it("shows an error with a reload button when a page's code cannot be loaded", async () => {
    // React reports the error it caught on the console.
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const Page = lazy(() => Promise.reject(new TypeError("Failed to fetch dynamically imported module: /assets/Review-1.js")));
    renderPage(Page);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This page could not be shown: Failed to fetch dynamically imported module");
    expect(screen.getByRole("button", { name: "Reload" })).toBeInTheDocument();
    quiet.mockRestore();
  });
});
