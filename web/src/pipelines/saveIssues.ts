/** The server's validation issues (`detail.issues` of a refused save), by step, for the nodes. */
import type { ValidationIssue } from "./types";

/** The messages of each step (issues without a step are left to the page's list). */
export function issuesByStep(issues: ValidationIssue[]): Map<number, string[]> {
  const byStep = new Map<number, string[]>();
  for (const issue of issues) {
    if (issue.step === null || issue.step === undefined) continue;
    byStep.set(issue.step, [...(byStep.get(issue.step) ?? []), issue.message]);
  }
  return byStep;
}

/** The messages of one step. */
export function issuesOf(byStep: Map<number, string[]>, step: number): string[] {
  return byStep.get(step) ?? [];
}
