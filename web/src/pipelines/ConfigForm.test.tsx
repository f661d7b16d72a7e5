import { act, fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { EditorView } from "@uiw/react-codemirror";
import { useState } from "react";
import type { JsonSchema } from "./jsonSchema";
import { ConfigForm } from "./ConfigForm";
import type { Config } from "./types";
import { jsonValidator, kitchenSink, textGenerator, fieldMapper } from "./testBlocks";

/** The form with its config kept in state, as the editor does; every emitted config is recorded. */
function Harness({ schema, initial, fields, seen }: { schema: JsonSchema; initial: Config; fields: string[]; seen: Config[] }) {
  const [config, setConfig] = useState(initial);
  return (
    <ConfigForm
      schema={schema}
      config={config}
      availableFields={fields}
      onChange={(next) => {
        seen.push(next);
        setConfig(next);
      }}
    />
  );
}

function setup(schema: JsonSchema, initial: Config = {}, fields: string[] = []) {
  const seen: Config[] = [];
  render(<Harness schema={schema} initial={initial} fields={fields} seen={seen} />);
  return { seen, last: () => seen[seen.length - 1] };
}

/** Replaces the text of the CodeMirror editor inside `container`, as typing would. */
function typeInCode(container: HTMLElement, text: string) {
  const content = container.querySelector(".cm-content") as HTMLElement;
  const view = EditorView.findFromDOM(content);
  if (!view) throw new Error("no CodeMirror editor");
  act(() => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }));
}

describe("ConfigForm", () => {
  it("renders each kind of field: numbers, enums as selects (models), Jinja in the code editor", async () => {
    const user = userEvent.setup();
    const { last } = setup(textGenerator.config_schema);
    const model = screen.getByLabelText("Model") as HTMLSelectElement;
    expect(model.tagName).toBe("SELECT");
    // The server offers null (the default model) among the names; the unset choice already
    // means that, so it is not listed twice.
    expect([...model.options].map((o) => o.textContent)).toEqual(["(default model)", "fast", "smart"]);
    await user.selectOptions(model, "smart");
    expect(last()).toEqual({ model: "smart" });
    await user.selectOptions(model, "(default model)");
    expect(last()).toEqual({});

    const temperature = screen.getByLabelText("Temperature");
    expect(temperature).toHaveAttribute("type", "number");
    expect(temperature).toHaveAttribute("placeholder", "0.7");
    await user.type(temperature, "1.5");
    expect(last()).toEqual({ temperature: 1.5 });
    await user.clear(temperature);
    expect(last()).toEqual({});
    await user.type(screen.getByLabelText("Max tokens"), "2.5");
    expect(screen.getByRole("alert")).toHaveTextContent("Max tokens must be integer, not number");

    const prompt = document.querySelector('[data-field="user_prompt"]') as HTMLElement;
    expect(within(prompt).getByText("User prompt")).toBeInTheDocument();
    typeInCode(prompt, "About {{ topic }}");
    expect(last()).toMatchObject({ user_prompt: "About {{ topic }}" });
    typeInCode(prompt, "About {{ topic ");
    expect(within(prompt).getByRole("alert")).toHaveTextContent("never closed with '}}'");
  });

  it("offers the state fields at the node for a field reference, and emits booleans", async () => {
    const user = userEvent.setup();
    const { last } = setup(jsonValidator.config_schema, { field_name: "old" }, ["assistant", "topic"]);
    const field = screen.getByLabelText("Field name") as HTMLSelectElement;
    expect([...field.options].map((o) => o.value)).toEqual(["", "assistant", "topic", "old"]);
    expect(field.value).toBe("old");
    expect(screen.getByRole("option", { name: "old (not in the state here)" })).toBeInTheDocument();
    await user.selectOptions(field, "topic");
    expect(last()).toEqual({ field_name: "topic" });
    await user.click(screen.getByLabelText("Strict"));
    expect(last()).toEqual({ field_name: "topic", strict: true });
  });

  it("reads JSON-or-template as JSON when it parses and as a template otherwise, showing errors", () => {
    const { last, seen } = setup(fieldMapper.config_schema);
    const mappings = document.querySelector('[data-field="mappings"]') as HTMLElement;
    typeInCode(mappings, '{"q": "{{ generated.q }}"}');
    expect(last()).toEqual({ mappings: { q: "{{ generated.q }}" } });
    typeInCode(mappings, "{{ pairs | tojson }}");
    expect(last()).toEqual({ mappings: "{{ pairs | tojson }}" });
    const count = seen.length;
    typeInCode(mappings, '{"q": 1,}');
    expect(within(mappings).getByRole("alert")).toHaveTextContent("not valid JSON");
    expect(seen.length).toBe(count + 1);
  });

  it("shows required settings missing, edits string lists, objects as JSON and plain enums", async () => {
    const user = userEvent.setup();
    const { last, seen } = setup(kitchenSink.config_schema);
    const alerts = screen.getAllByRole("alert").map((a) => a.textContent);
    expect(alerts).toEqual(["Title is required", "Tags is required"]);

    await user.type(screen.getByLabelText("Title *"), "Hi");
    expect(last()).toEqual({ title: "Hi" });
    await user.click(screen.getByRole("button", { name: "Add tags item" }));
    await user.type(screen.getByLabelText("Tags item 1"), "a");
    await user.click(screen.getByRole("button", { name: "Add tags item" }));
    await user.type(screen.getByLabelText("Tags item 2"), "b");
    expect(last()).toEqual({ title: "Hi", tags: ["a", "b"] });
    await user.click(screen.getByRole("button", { name: "Remove Tags item 1" }));
    expect(last()).toEqual({ title: "Hi", tags: ["b"] });
    expect(screen.queryByRole("alert")).toBeNull();

    await user.selectOptions(screen.getByLabelText("Mode"), "slow");
    expect(last()).toEqual({ title: "Hi", tags: ["b"], mode: "slow" });

    const options = document.querySelector('[data-field="options"]') as HTMLElement;
    typeInCode(options, '{"depth": 2}');
    expect(last()).toMatchObject({ options: { depth: 2 } });
    const count = seen.length;
    typeInCode(options, '{"depth": ');
    expect(seen.length).toBe(count);
    expect(within(options).getByRole("alert")).toHaveTextContent("not valid JSON");

    fireEvent.change(screen.getByLabelText("Title *"), { target: { value: "" } });
    expect(screen.getByText("Title is required")).toBeInTheDocument();
    expect(last()).not.toHaveProperty("title");
  });

  it("hides secrets (format password or writeOnly) in password inputs and keeps plain strings visible", async () => {
    const user = userEvent.setup();
    const schema: JsonSchema = {
      type: "object",
      properties: {
        host: { type: "string" },
        secret_key: { type: "string", format: "password" },
        token: { type: "string", writeOnly: true },
      },
    };
    const { last } = setup(schema, { secret_key: "sk-1" });
    expect(screen.getByLabelText("Host")).toHaveAttribute("type", "text");
    expect(screen.getByLabelText("Secret key")).toHaveAttribute("type", "password");
    expect(screen.getByLabelText("Token")).toHaveAttribute("type", "password");
    await user.type(screen.getByLabelText("Token"), "t");
    expect(last()).toEqual({ secret_key: "sk-1", token: "t" });
  });
});
