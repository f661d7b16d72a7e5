// Upload: the server's preview (detected format, first rows) before saving, then the import.
import { File as NodeFile } from "node:buffer";
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within, waitFor } from "@testing-library/react";
import { renderWithQuery } from "../test/render";
import userEvent from "@testing-library/user-event";
import { datasetVersion, json, routeFetch } from "../test/datasets";
import { UploadPanel } from "./UploadPanel";

afterEach(() => vi.unstubAllGlobals());

const preview = {
  format: "jsonl",
  rows: [
    { messages: [{ role: "user", content: "hi" }], topic: "greeting" },
    { messages: [{ role: "user", content: "bye" }], topic: "farewell" },
  ],
  fields: { fields: [{ name: "messages", types: { array: 2 } }, { name: "topic", types: { string: 2 } }] },
  detected: { family: "chat", format: "openai", field: "messages" },
};

const CHATS = '{"messages": []}\n';
// Node's File, which fetch's Request reads as a body (jsdom's File has no stream()).
const chats = () => new NodeFile([CHATS], "My chats.jsonl", { type: "application/x-ndjson" }) as unknown as File;

describe("UploadPanel", () => {
  it("previews the file with its detected format, then saves it under the chosen name", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      ["POST /api/datasets/preview", () => json(preview)],
      ["POST /api/datasets/support/import", () => json(datasetVersion({ dataset: "support", row_count: 2 }), 201)],
    ]);
    const onSaved = vi.fn();
    renderWithQuery(<UploadPanel onSaved={onSaved} />);
    await user.upload(screen.getByTestId("dataset-file-input"), chats());

    const detected = await screen.findByTestId("detected-format");
    expect(detected).toHaveAttribute("data-family", "chat");
    expect(detected).toHaveAttribute("data-format", "openai");
    expect(detected).toHaveTextContent("in field messages");
    const rows = within(screen.getByTestId("preview-rows")).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(rows[2]).toHaveTextContent("farewell");
    expect(seen[0].url).toBe("/api/datasets/preview?format=jsonl&file_name=My+chats.jsonl");
    // The file's bytes are the body, as they are.
    expect(seen[0].body).toBe(CHATS);
    expect(seen[0].headers.get("Content-Type")).toBe("application/octet-stream");

    const name = screen.getByLabelText("Dataset name");
    expect(name).toHaveValue("My_chats");
    await user.clear(name);
    await user.type(name, "support");
    await user.click(screen.getByRole("button", { name: "Save dataset" }));
    expect(await screen.findByTestId("upload-result")).toHaveTextContent("Saved support v1 · 2 rows");
    expect(seen[1].url).toBe("/api/datasets/support/import?format=jsonl&file_name=My+chats.jsonl");
    expect(onSaved).toHaveBeenCalledWith(expect.objectContaining({ dataset: "support" }));
  });

  it("shows the server's parse error with the line it names, and saves nothing", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      [
        "POST /api/datasets/preview",
        () =>
          json(
            { error: "jsonl line 2: not valid JSON: expected value", detail: { format: "jsonl", line: 2, message: "expected value" } },
            400,
          ),
      ],
    ]);
    renderWithQuery(<UploadPanel onSaved={vi.fn()} />);
    await user.upload(screen.getByTestId("dataset-file-input"), chats());
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("jsonl line 2: not valid JSON");
    expect(within(alert).getByText("line").nextSibling).toHaveTextContent("2");
    expect(screen.getByRole("button", { name: "Save dataset" })).toBeDisabled();
    expect(seen.map((r) => r.url.split("?")[0])).toEqual(["/api/datasets/preview"]);
  });

  it("reads the file again in the format chosen, and refuses a name the server would not take", async () => {
    // A file whose extension the input does not list can still be dropped on the zone.
    const user = userEvent.setup({ applyAccept: false });
    const seen = routeFetch([["POST /api/datasets/preview", () => json({ ...preview, format: "json" })]]);
    renderWithQuery(<UploadPanel onSaved={vi.fn()} />);
    await user.upload(screen.getByTestId("dataset-file-input"), new File(["[]"], "rows.txt"));
    await screen.findByTestId("dataset-preview");
    expect(seen[0].url).toBe("/api/datasets/preview?file_name=rows.txt");
    await user.selectOptions(screen.getByLabelText("Format"), "json");
    await waitFor(() => expect(seen).toHaveLength(2));
    expect(seen[1].url).toBe("/api/datasets/preview?format=json&file_name=rows.txt");
    await screen.findByTestId("dataset-preview");
    await user.clear(screen.getByLabelText("Dataset name"));
    await user.type(screen.getByLabelText("Dataset name"), "two words");
    expect(screen.getByText(/only ASCII letters/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save dataset" })).toBeDisabled();
  });
});
