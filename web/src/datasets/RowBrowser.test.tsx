// Browsing a version's rows: pages by `next_after`, a field filter sent as `where`, and an edit
// that makes a new version.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within, waitFor } from "@testing-library/react";
import { renderWithQuery } from "../test/render";
import userEvent from "@testing-library/user-event";
import { datasetVersion, json, routeFetch } from "../test/datasets";
import { RowBrowser, ROWS_PER_PAGE } from "./RowBrowser";

afterEach(() => vi.unstubAllGlobals());

const row = (position: number, topic: string) => ({ position, row: { messages: [], topic } });

describe("RowBrowser", () => {
  it("pages forward and back by the server's next_after", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      [
        "GET /api/datasets/chats/rows",
        ({ url }) => {
          const after = new URL(url, "http://x").searchParams.get("after");
          return after === "24"
            ? json({ dataset: "chats", version: 1, row_count: 26, rows: [row(25, "last")], next_after: null })
            : json({
                dataset: "chats",
                version: 1,
                row_count: 26,
                rows: Array.from({ length: ROWS_PER_PAGE }, (_, i) => row(i, `t${i}`)),
                next_after: 24,
              });
        },
      ],
    ]);
    renderWithQuery(<RowBrowser version={datasetVersion({ row_count: 26 })} onEdited={vi.fn()} />);
    await waitFor(() => expect(screen.getByTestId("row-page-info")).toHaveTextContent("page 1 · 25 rows of 26"));
    await user.click(screen.getByRole("button", { name: "Next rows" }));
    await waitFor(() => expect(screen.getByTestId("row-page-info")).toHaveTextContent("page 2 · 1 row of 26"));
    expect(within(screen.getByTestId("dataset-rows")).getByText("last")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next rows" })).toBeDisabled();
    expect(seen[1].url).toBe("/api/datasets/chats/rows?version=1&after=24&limit=25");
    await user.click(screen.getByRole("button", { name: "Previous rows" }));
    await waitFor(() => expect(screen.getByTestId("row-page-info")).toHaveTextContent("page 1"));
  });

  it("filters by a field's value, typed as JSON when it parses", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      ["GET /api/datasets/chats/rows", () => json({ dataset: "chats", version: 1, row_count: 3, rows: [row(2, "3")], next_after: null })],
    ]);
    renderWithQuery(<RowBrowser version={datasetVersion()} onEdited={vi.fn()} />);
    await screen.findByTestId("dataset-rows");
    await user.selectOptions(screen.getByLabelText("Field"), "topic");
    await user.type(screen.getByLabelText("Equals"), '"3"');
    await user.click(screen.getByRole("button", { name: "Filter" }));
    await waitFor(() => expect(seen).toHaveLength(2));
    const where = new URL(seen[1].url, "http://x").searchParams.get("where");
    expect(JSON.parse(where ?? "null")).toEqual({ topic: "3" });
    expect(await screen.findByText(/1 row matching of 3/)).toBeInTheDocument();
  });

  it("edits a row of the version shown and hands on the version the edit made", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      ["GET /api/datasets/chats/rows", () => json({ dataset: "chats", version: 2, row_count: 1, rows: [row(0, "old")], next_after: null })],
      ["PUT /api/datasets/chats/rows/0", () => json(datasetVersion({ number: 3, parent: 2 }), 201)],
    ]);
    const onEdited = vi.fn();
    renderWithQuery(<RowBrowser version={datasetVersion({ number: 2, row_count: 1 })} onEdited={onEdited} />);
    await user.click(await screen.findByRole("button", { name: "Edit row 0" }));
    const editor = screen.getByRole("form", { name: "Edit row" });
    const text = within(editor).getByRole("textbox");
    await user.clear(text);
    await user.type(text, "[[1]");
    expect(within(editor).getByText("a row is a JSON object")).toBeInTheDocument();
    await user.clear(text);
    // userEvent reads { and [ as key descriptors: doubled, they type themselves.
    await user.type(text, '{{"topic": "new"}');
    await user.click(within(editor).getByRole("button", { name: "Save as a new version" }));
    await waitFor(() => expect(onEdited).toHaveBeenCalledWith(expect.objectContaining({ number: 3 })));
    const put = seen.find((r) => r.method === "PUT");
    expect(put?.url).toBe("/api/datasets/chats/rows/0?version=2");
    expect(put?.body).toEqual({ topic: "new" });
  });
});
