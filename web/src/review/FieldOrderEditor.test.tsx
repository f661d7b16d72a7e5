// The field layout editor on the review page, saving through `PUT /api/pipelines/{id}/validation_config`.
import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FieldOrderEditor } from "./FieldOrderEditor";

afterEach(() => vi.unstubAllGlobals());

describe("FieldOrderEditor", () => {
  it("keeps seed fields secondary when the pipeline's order is the empty default", async () => {
    const user = userEvent.setup();
    const bodies: unknown[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_path: string, init?: RequestInit) => {
        bodies.push(JSON.parse(String(init?.body)));
        return new Response(JSON.stringify({ success: true }), { status: 200, headers: { "Content-Type": "application/json" } });
      }),
    );
    const onSaved = vi.fn();
    render(
      <FieldOrderEditor
        pipelineId={4}
        fields={["answer", "topic"]}
        seedFields={["topic"]}
        order={{ primary: [], secondary: [], hidden: [] }}
        onSaved={onSaved}
      />,
    );
    expect(screen.getByLabelText("topic")).toHaveValue("secondary");
    expect(screen.getByLabelText("answer")).toHaveValue("primary");

    await user.click(screen.getByRole("button", { name: "Save field layout" }));
    const expected = { primary: ["answer"], secondary: ["topic"], hidden: [] };
    await vi.waitFor(() => expect(onSaved).toHaveBeenCalledWith(expected));
    expect(bodies).toEqual([{ field_order: expected }]);
  });
});
