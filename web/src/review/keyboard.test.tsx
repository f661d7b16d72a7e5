import { useState } from "react";
import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { commandForKey, moveTo, step, withTotal, type ReviewCommand, type ReviewCursor } from "./keyboard";
import { KeyHelp } from "./KeyHelp";
import { useReviewKeyboard } from "./useReviewKeyboard";

describe("commandForKey", () => {
  it("maps every review key, in either case", () => {
    expect(commandForKey({ key: "a" })).toEqual({ type: "status", status: "accepted" });
    expect(commandForKey({ key: "A" })).toEqual({ type: "status", status: "accepted" });
    expect(commandForKey({ key: "r" })).toEqual({ type: "status", status: "rejected" });
    expect(commandForKey({ key: "u" })).toEqual({ type: "status", status: "pending" });
    expect(commandForKey({ key: "e" })).toEqual({ type: "edit" });
    expect(commandForKey({ key: "n" })).toEqual({ type: "next" });
    expect(commandForKey({ key: "p" })).toEqual({ type: "previous" });
    expect(commandForKey({ key: "?" })).toEqual({ type: "help" });
    expect(commandForKey({ key: "Escape" })).toEqual({ type: "close" });
  });

  it("ignores other keys and modified keys", () => {
    expect(commandForKey({ key: "x" })).toBeNull();
    expect(commandForKey({ key: "ArrowDown" })).toBeNull();
    expect(commandForKey({ key: "a", ctrlKey: true })).toBeNull();
    expect(commandForKey({ key: "r", metaKey: true })).toBeNull();
    expect(commandForKey({ key: "n", altKey: true })).toBeNull();
  });

  it("leaves typing alone but still closes on Escape", () => {
    const input = document.createElement("textarea");
    expect(commandForKey({ key: "a", target: input })).toBeNull();
    expect(commandForKey({ key: "?", target: input })).toBeNull();
    expect(commandForKey({ key: "Escape", target: input })).toEqual({ type: "close" });
  });
});

describe("the review cursor", () => {
  const cursor: ReviewCursor = { offset: 0, pageSize: 2, total: 5, index: 0 };

  it("steps within a page and turns pages at the edges", () => {
    const second = step(cursor, "next");
    expect(second).toMatchObject({ offset: 0, index: 1 });
    const third = step(second, "next");
    expect(third).toMatchObject({ offset: 2, index: 0 });
    expect(step(third, "previous")).toMatchObject({ offset: 0, index: 1 });
  });

  it("stays at the first and the last record", () => {
    expect(step(cursor, "previous")).toMatchObject({ offset: 0, index: 0 });
    const last = moveTo(cursor, 4);
    expect(last).toMatchObject({ offset: 4, index: 0 });
    expect(step(last, "next")).toMatchObject({ offset: 4, index: 0 });
  });

  it("keeps the position in range when the total shrinks", () => {
    expect(withTotal(moveTo(cursor, 4), 3)).toMatchObject({ offset: 2, index: 0, total: 3 });
    expect(withTotal(cursor, 0)).toMatchObject({ offset: 0, index: 0, total: 0 });
  });
});

function Harness() {
  const [log, setLog] = useState<string[]>([]);
  const [help, setHelp] = useState(false);
  useReviewKeyboard((command: ReviewCommand) => {
    if (command.type === "help") setHelp((open) => !open);
    else if (command.type === "close") setHelp(false);
    setLog((entries) => [...entries, command.type === "status" ? `status:${command.status}` : command.type]);
  });
  return (
    <div>
      <input aria-label="notes" />
      <ol aria-label="log">
        {log.map((entry, i) => (
          <li key={i}>{entry}</li>
        ))}
      </ol>
      {help && <KeyHelp onClose={() => setHelp(false)} />}
    </div>
  );
}

describe("useReviewKeyboard with the help", () => {
  it("runs each key's command and ? shows the keys", async () => {
    const user = userEvent.setup();
    render(<Harness />);
    await user.keyboard("arupne");
    const entries = () => screen.getByRole("list", { name: "log" }).textContent;
    expect(screen.getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "status:accepted",
      "status:rejected",
      "status:pending",
      "previous",
      "next",
      "edit",
    ]);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    await user.keyboard("?");
    const dialog = screen.getByRole("dialog", { name: "Review keys" });
    for (const key of ["A", "R", "U", "E", "N", "P", "?"]) {
      expect(dialog).toHaveTextContent(key);
    }
    expect(dialog).toHaveTextContent("accept");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    await user.click(screen.getByRole("textbox", { name: "notes" }));
    await user.keyboard("a");
    expect(entries()).not.toMatch(/status:accepted.*status:accepted/);
  });
});
