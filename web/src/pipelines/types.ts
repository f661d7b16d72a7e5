/** The editor's own shapes, on top of the server types of `src/api/schema.ts`. */
import type { Constraints } from "../api/schema";

/** A block's config: the object a step carries. */
export type Config = Record<string, unknown>;

/** The keys of the pipeline constraints, in the order the editor shows them. */
export const CONSTRAINT_KEYS = [
  "max_total_tokens",
  "max_total_input_tokens",
  "max_total_output_tokens",
  "max_total_cached_tokens",
  "max_total_cost",
  "max_total_execution_time",
] as const satisfies readonly (keyof Constraints)[];

/** Every constraint the server's schema knows is listed above (the build fails otherwise). */
type UnlistedConstraint = Exclude<keyof Constraints, (typeof CONSTRAINT_KEYS)[number]>;
export const EVERY_CONSTRAINT_LISTED: [UnlistedConstraint] extends [never] ? true : UnlistedConstraint = true;

/** One problem the server found in a pipeline (`detail.issues` of a 400 on save; see
 * host/src/engine/validate.rs). */
export interface ValidationIssue {
  step: number | null;
  block_type: string | null;
  message: string;
}
