// The Datasets page: the list, a dataset's versions with lineage, and an operation's new
// version shown in place.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within, waitFor } from "@testing-library/react";
import { renderWithQuery } from "../test/render";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import type { DatasetVersion } from "../api/schema";
import { datasetVersion, json, routeFetch } from "../test/datasets";
import { DatasetsPage } from "./DatasetsPage";

afterEach(() => vi.unstubAllGlobals());

function page(url: string) {
  return renderWithQuery(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/datasets" element={<DatasetsPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

const rows = (version: number) => json({ dataset: "chats", version, row_count: 3, rows: [], next_after: null });

describe("DatasetsPage", () => {
  it("lists datasets, shows a dataset's versions with lineage, and shows the version a conversion made", async () => {
    const user = userEvent.setup();
    const versions: DatasetVersion[] = [datasetVersion()];
    const converted = datasetVersion({
      id: 12,
      number: 2,
      parent: 1,
      lineage: { source: "operation", operation: "convert", inputs: [{ dataset: "chats", version: 1 }], params: { to: "sharegpt" } },
    });
    routeFetch([
      [
        "GET /api/datasets",
        () =>
          json([{ id: 1, name: "chats", latest_version: versions.length, row_count: 3, created_at: 0, updated_at: 0 }]),
      ],
      ["GET /api/datasets/chats", () => json({ name: "chats", versions })],
      ["GET /api/datasets/chats/rows", ({ url }) => rows(Number(new URL(url, "http://x").searchParams.get("version")))],
      [
        "POST /api/datasets/chats/convert",
        () => {
          versions.push(converted);
          return json(converted, 201);
        },
      ],
    ]);
    page("/datasets");
    const list = await screen.findByTestId("dataset-list");
    await user.click(within(list).getByRole("link", { name: "chats" }));
    const versionList = await screen.findByTestId("version-list");
    expect(within(versionList).getByText("upload of chats.jsonl (jsonl, 2.0 KB)")).toBeInTheDocument();
    expect(screen.getByTestId("selected-version")).toHaveAttribute("data-version", "1");

    await user.click(screen.getByRole("button", { name: "Convert" }));
    await waitFor(() => expect(screen.getByTestId("selected-version")).toHaveAttribute("data-version", "2"));
    expect(await within(screen.getByTestId("version-list")).findByText("convert of chats v1 (to sharegpt)")).toBeInTheDocument();
    // The older version can be chosen again.
    await user.click(within(screen.getByTestId("version-list")).getByRole("button", { name: "v1" }));
    await waitFor(() => expect(screen.getByTestId("selected-version")).toHaveAttribute("data-version", "1"));
  });

  it("says so when the dataset named does not exist", async () => {
    routeFetch([
      ["GET /api/datasets", () => json([])],
      ["GET /api/datasets/nope", () => json({ error: "dataset nope not found", detail: { name: "nope" } }, 404)],
    ]);
    page("/datasets?name=nope");
    expect(await screen.findByRole("alert")).toHaveTextContent("dataset nope not found");
    expect(screen.getByText(/No datasets yet/)).toBeInTheDocument();
  });
});
