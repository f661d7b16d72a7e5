import { describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { recordRow } from "../test/records";
import { RecordEditor } from "./RecordEditor";

function renderEditor() {
  const onSave = vi.fn(() => Promise.resolve());
  render(<RecordEditor record={recordRow()} onSave={onSave} onCancel={() => undefined} />);
  const form = screen.getByRole("form", { name: "Edit record" });
  return { onSave, form };
}

describe("RecordEditor", () => {
  it("edits output and metadata fields and adds one to each", async () => {
    const user = userEvent.setup();
    const { onSave, form } = renderEditor();
    const outputs = within(screen.getByRole("group", { name: "Fields (final state)" }));
    const metadata = within(screen.getByRole("group", { name: "Seed metadata" }));

    await user.clear(form.querySelector("textarea[name=assistant]")!);
    await user.type(form.querySelector("textarea[name=assistant]")!, "Better");
    await user.clear(form.querySelector("textarea[name='metadata.topic']")!);
    await user.type(form.querySelector("textarea[name='metadata.topic']")!, "rust");

    await user.type(outputs.getByLabelText("New field"), "note");
    await user.click(outputs.getByRole("button", { name: "Add field" }));
    await user.type(form.querySelector("textarea[name=note]")!, "checked by hand");

    await user.type(metadata.getByLabelText("New field"), "weight{Enter}");
    // A new text field starts empty, a new JSON one as null.
    expect(form.querySelector("textarea[name='metadata.weight']")).toHaveValue("");
    await user.click(metadata.getByLabelText("JSON value"));
    await user.type(metadata.getByLabelText("New field"), "tags{Enter}");
    expect(form.querySelector("textarea[name='metadata.tags']")).toHaveValue("null");
    await user.clear(form.querySelector("textarea[name='metadata.tags']")!);
    await user.type(form.querySelector("textarea[name='metadata.tags']")!, '[["a"]');

    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(onSave).toHaveBeenCalledWith({
      output: { topic: "wasm", assistant: "Better", score: 3, note: "checked by hand" },
      metadata: { topic: "rust", weight: "", tags: ["a"] },
    });
  });

  it("removes a field and refuses a duplicate or empty name", async () => {
    const user = userEvent.setup();
    const { onSave, form } = renderEditor();
    const outputs = within(screen.getByRole("group", { name: "Fields (final state)" }));
    await user.type(outputs.getByLabelText("New field"), "score{Enter}");
    expect(outputs.getByText("there is already a field score")).toBeInTheDocument();
    await user.clear(outputs.getByLabelText("New field"));
    await user.click(outputs.getByRole("button", { name: "Add field" }));
    expect(outputs.getByText("give the new field a name")).toBeInTheDocument();
    await user.click(outputs.getByRole("button", { name: "Remove score" }));
    expect(form.querySelector("textarea[name=score]")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(onSave).toHaveBeenCalledWith({ output: { topic: "wasm", assistant: "Echo" }, metadata: { topic: "wasm" } });
  });

  it("names a metadata field whose JSON does not parse and does not save", async () => {
    const user = userEvent.setup();
    const onSave = vi.fn(() => Promise.resolve());
    render(<RecordEditor record={recordRow({ metadata: { n: 1 } })} onSave={onSave} onCancel={() => undefined} />);
    const field = document.querySelector("textarea[name='metadata.n']")!;
    await user.clear(field);
    await user.type(field, "{{oops");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText(/Not valid JSON/)).toBeInTheDocument();
    expect(onSave).not.toHaveBeenCalled();
  });
});
