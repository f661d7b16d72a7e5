import { createEvent, fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { DragEvent as ReactDragEvent } from "react";
import { BLOCK_DRAG_TYPE, Palette, droppedBlockType, endBlockDrag } from "./Palette";
import { fieldMapper, jsonValidator, kitchenSink, textGenerator } from "./testBlocks";

const blocks = [textGenerator, fieldMapper, jsonValidator, kitchenSink];

/** A DataTransfer-like store (jsdom has none). */
function dataTransfer() {
  const data = new Map<string, string>();
  return {
    data,
    setData: (type: string, value: string) => data.set(type, value),
    getData: (type: string) => data.get(type) ?? "",
    get types() {
      return [...data.keys()];
    },
    effectAllowed: "none",
    dropEffect: "none",
  };
}

describe("Palette", () => {
  afterEach(() => endBlockDrag());

  it("groups blocks by category and filters them by the search", async () => {
    const user = userEvent.setup();
    render(<Palette blocks={blocks} onAdd={() => {}} />);
    const palette = screen.getByTestId("palette");
    expect(within(palette).getAllByRole("heading").map((h) => h.textContent)).toEqual(["generators", "utilities", "validators"]);
    await user.type(screen.getByLabelText("Search blocks"), "valid");
    expect(screen.queryByTestId("palette-item-TextGenerator")).toBeNull();
    expect(screen.getByTestId("palette-item-JSONValidatorBlock")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Search blocks"));
    await user.type(screen.getByLabelText("Search blocks"), "nothing like this");
    expect(screen.getByText(/No block matches/)).toBeInTheDocument();
  });

  it("adds a block with its button", async () => {
    const user = userEvent.setup();
    const added: string[] = [];
    render(<Palette blocks={blocks} onAdd={(type) => added.push(type)} />);
    await user.click(screen.getByRole("button", { name: "Add FieldMapper" }));
    expect(added).toEqual(["FieldMapper"]);
  });

  it("puts the block type in the drag data, and a drop without data still finds it", () => {
    render(<Palette blocks={blocks} onAdd={() => {}} />);
    const item = screen.getByTestId("palette-item-TextGenerator");
    expect(item).toHaveAttribute("draggable", "true");
    const transfer = dataTransfer();
    fireEvent.dragStart(item, { dataTransfer: transfer });
    expect(transfer.data.get(BLOCK_DRAG_TYPE)).toBe("TextGenerator");
    expect(transfer.data.get("text/plain")).toBe("TextGenerator");
    const withData = { dataTransfer: transfer } as unknown as ReactDragEvent;
    expect(droppedBlockType(withData)).toBe("TextGenerator");
    const withoutData = { dataTransfer: dataTransfer() } as unknown as ReactDragEvent;
    expect(droppedBlockType(withoutData)).toBe("TextGenerator");
    fireEvent(item, createEvent.dragEnd(item));
    expect(droppedBlockType(withoutData)).toBeNull();
  });
});
