/** Listens for the review keys on the window while `enabled`. */
import { useEffect, useRef } from "react";
import { commandForKey, type ReviewCommand } from "./keyboard";

/** Calls `onCommand` for each review key pressed (see {@link commandForKey}). */
export function useReviewKeyboard(onCommand: (command: ReviewCommand) => void, enabled = true): void {
  const handler = useRef(onCommand);
  handler.current = onCommand;
  useEffect(() => {
    if (!enabled) return;
    const listener = (event: KeyboardEvent) => {
      const command = commandForKey(event);
      if (!command) return;
      event.preventDefault();
      handler.current(command);
    };
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, [enabled]);
}
