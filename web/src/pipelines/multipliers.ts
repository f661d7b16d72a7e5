/** A pipeline may have one multiplier block, at any step (a run that reaches it goes on as its
 * children); the server refuses a second one, and the editor says so on the block first. */
import type { BlockInfo } from "../api/schema";

/** The problem of each multiplier after the first, by its index in `blockTypes`. */
export function extraMultipliers(blockTypes: string[], catalog: Map<string, BlockInfo>): Map<number, string> {
  const problems = new Map<number, string>();
  let first: { index: number; type: string } | undefined;
  blockTypes.forEach((type, index) => {
    if (catalog.get(type)?.kind !== "multiplier") return;
    if (first === undefined) {
      first = { index, type };
      return;
    }
    problems.set(index, `a pipeline may have one multiplier block, and step ${first.index} (${first.type}) is one already`);
  });
  return problems;
}
