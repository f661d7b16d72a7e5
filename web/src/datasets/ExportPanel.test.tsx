// Export links per format and the dataset card, shown with the metadata typed.
import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { storeApiKey } from "../api/apiKey";
import { datasetVersion, routeFetch } from "../test/datasets";
import { ExportPanel } from "./ExportPanel";

afterEach(() => vi.unstubAllGlobals());

describe("ExportPanel", () => {
  it("links every export format of the version shown", () => {
    render(<ExportPanel version={datasetVersion({ number: 4 })} />);
    for (const [label, format] of [
      ["JSONL", "jsonl"],
      ["JSON", "json"],
      ["CSV", "csv"],
      ["Parquet", "parquet"],
    ]) {
      expect(screen.getByRole("link", { name: label })).toHaveAttribute(
        "href",
        `/api/datasets/chats/export?version=4&format=${format}`,
      );
    }
  });

  it("shows the card with the license, languages and task categories given", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      ["GET /api/datasets/chats/card", () => new Response("---\nlicense: mit\n---\n# chats\n", { headers: { "Content-Type": "text/markdown" } })],
    ]);
    render(<ExportPanel version={datasetVersion({ number: 2 })} />);
    await user.type(screen.getByLabelText("License"), "mit");
    await user.type(screen.getByLabelText("Languages"), "en,de");
    await user.click(screen.getByRole("button", { name: "Show card" }));
    expect(await screen.findByTestId("dataset-card")).toHaveTextContent("license: mit");
    expect(seen[0].url).toBe("/api/datasets/chats/card?version=2&license=mit&language=en%2Cde");
    expect(screen.getByRole("link", { name: "Download card" })).toHaveAttribute("href", seen[0].url);
  });

  it("downloads through the API client when a key is stored", async () => {
    const user = userEvent.setup();
    storeApiKey("k1");
    const seen = routeFetch([
      [
        "GET /api/datasets/chats/export",
        () => new Response("{}\n", { headers: { "Content-Disposition": 'attachment; filename="chats-v1.jsonl"' } }),
      ],
    ]);
    const saved: string[] = [];
    // jsdom has no object URLs; the saved file is what the link's click is given.
    URL.createObjectURL = () => "blob:x";
    URL.revokeObjectURL = () => undefined;
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    render(<ExportPanel version={datasetVersion()} />);
    await user.click(screen.getByRole("link", { name: "JSONL" }));
    await waitFor(() => expect(saved).toEqual(["chats-v1.jsonl"]));
    expect(seen[0].url).toBe("/api/datasets/chats/export?version=1&format=jsonl");
    click.mockRestore();
  });
});
