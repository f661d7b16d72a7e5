import { act, render, screen, waitFor } from "@testing-library/react";
import { EditorView } from "@uiw/react-codemirror";
import type { PipelineDefinition } from "../api/schema";
import { YamlView } from "./YamlView";

const definition: PipelineDefinition = {
  name: "p",
  blocks: [{ type: "TextGenerator", config: { user_prompt: "{{ topic }}" } }],
  constraints: { max_total_tokens: 10 },
};

function editor(): EditorView {
  const view = EditorView.findFromDOM(screen.getByTestId("yaml-editor").querySelector(".cm-content") as HTMLElement);
  if (!view) throw new Error("no editor");
  return view;
}

function replaceText(text: string) {
  const view = editor();
  act(() => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }));
}

describe("YamlView", () => {
  it("shows the canvas as YAML, applies valid edits and refuses invalid ones with the reason", async () => {
    const applied: PipelineDefinition[] = [];
    const { rerender } = render(<YamlView definition={definition} onApply={(d) => applied.push(d)} />);
    expect(editor().state.doc.toString()).toContain("user_prompt: \"{{ topic }}\"");

    replaceText("name: q\nblocks:\n  - type: FieldMapper\n    config: {mappings: {a: '1'}}\n");
    expect(applied.at(-1)).toEqual({ name: "q", blocks: [{ type: "FieldMapper", config: { mappings: { a: "1" } } }], constraints: {} });

    replaceText("name: q\nblocks: 7\n");
    expect(screen.getByTestId("yaml-error")).toHaveTextContent("Not applied: blocks must be a list");
    expect(applied).toHaveLength(1);

    const next = { ...definition, name: "renamed on the canvas" };
    rerender(<YamlView definition={next} onApply={(d) => applied.push(d)} />);
    // The editor takes outside changes once the user's typing pauses.
    await waitFor(() => expect(editor().state.doc.toString()).toContain("name: renamed on the canvas"));
    expect(screen.queryByTestId("yaml-error")).toBeNull();
  });

  it("switches to JSON and back", () => {
    render(<YamlView definition={definition} onApply={() => {}} />);
    act(() => screen.getByRole("button", { name: "JSON" }).click());
    expect(JSON.parse(editor().state.doc.toString())).toEqual(definition);
    act(() => screen.getByRole("button", { name: "YAML" }).click());
    expect(editor().state.doc.toString()).toMatch(/^name: p\n/);
  });
});
