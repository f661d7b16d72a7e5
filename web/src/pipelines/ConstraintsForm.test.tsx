// The cost budget (`max_total_cost`, US dollars) is a constraint like the token and time ones.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { ConstraintsForm } from "./ConstraintsForm";
import { normalized, textToDefinition } from "./pipelineText";

describe("the max_total_cost constraint", () => {
  it("has a field in the constraints form that takes dollars with cents", () => {
    const onChange = vi.fn();
    render(<ConstraintsForm value={{ max_total_tokens: 100 }} onChange={onChange} />);
    const cost = screen.getByLabelText("Max cost (USD)");
    expect(cost).toHaveAttribute("step", "any");
    fireEvent.change(cost, { target: { value: "2.5" } });
    expect(onChange).toHaveBeenCalledWith({ max_total_tokens: 100, max_total_cost: 2.5 });
  });

  it("is read from the pipeline's text and kept when the definition is written", () => {
    const read = textToDefinition("name: budget\nblocks: [{type: A}]\nconstraints: {max_total_cost: 0.75}\n");
    expect(read).toEqual({
      definition: { name: "budget", blocks: [{ type: "A", config: {} }], constraints: { max_total_cost: 0.75 } },
    });
    const definition = "definition" in read ? read.definition : null;
    expect(definition && normalized(definition).constraints).toEqual({ max_total_cost: 0.75 });
  });
});
