// The field layout editor on the review page, saving through `PUT /api/pipelines/{id}/validation_config`.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { queryKeys } from "../api/queryKeys";
import { renderWithQuery } from "../test/render";
import { FieldOrderEditor } from "./FieldOrderEditor";

afterEach(() => vi.unstubAllGlobals());

describe("FieldOrderEditor", () => {
  it("keeps seed fields secondary when the pipeline's order is the empty default, and rereads the pipelines once saved", async () => {
    const user = userEvent.setup();
    const bodies: unknown[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        bodies.push(await request.json());
        return new Response(JSON.stringify({ success: true }), { status: 200, headers: { "Content-Type": "application/json" } });
      }),
    );
    const { client } = renderWithQuery(
      <FieldOrderEditor
        pipelineId={4}
        fields={["answer", "topic"]}
        seedFields={["topic"]}
        order={{ primary: [], secondary: [], hidden: [] }}
      />,
    );
    // The review page reads the layout from the pipelines: they go stale once it is saved.
    client.setQueryData(queryKeys.pipelines, []);
    expect(screen.getByLabelText("topic")).toHaveValue("secondary");
    expect(screen.getByLabelText("answer")).toHaveValue("primary");

    await user.click(screen.getByRole("button", { name: "Save field layout" }));
    const expected = { primary: ["answer"], secondary: ["topic"], hidden: [] };
    expect(await screen.findByText("Saved")).toBeInTheDocument();
    expect(bodies).toEqual([{ field_order: expected }]);
    expect(client.getQueryState(queryKeys.pipelines)?.isInvalidated).toBe(true);
  });
});
