import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import type { Pipeline } from "../api/schema";
import { PipelineSelect } from "./PipelineSelect";

const pipelines = [{ id: 1, name: "first" }, { id: 2, name: "second" }] as Pipeline[];

describe("PipelineSelect", () => {
  it("keeps a pipeline id that is not in the list selected, marked not found", () => {
    render(<PipelineSelect pipelines={pipelines} value={99} onChange={() => undefined} allLabel="All pipelines" />);
    const select = screen.getByLabelText("Pipeline") as HTMLSelectElement;
    expect(select.value).toBe("99");
    expect(select.selectedOptions[0]).toHaveTextContent("#99 (not found)");
  });
  it("lists only the pipelines when the value is one of them", () => {
    render(<PipelineSelect pipelines={pipelines} value={2} onChange={() => undefined} />);
    const select = screen.getByLabelText("Pipeline") as HTMLSelectElement;
    expect(select.value).toBe("2");
    expect([...select.options].map((o) => o.textContent)).toEqual(["first (#1)", "second (#2)"]);
  });
});
