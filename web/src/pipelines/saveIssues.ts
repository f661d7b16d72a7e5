/** The server's validation issues (`detail.issues` of a refused save), attached to the nodes
 * that were at their steps when it was refused (so they follow a node that is moved later). */
import type { ValidationIssue } from "./types";

/** The messages of each node, from the issues and the chain order at the save. */
export function issuesByNode(issues: ValidationIssue[], order: string[]): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  for (const issue of issues) {
    if (issue.step === null || issue.step === undefined) continue;
    const nodeId = order[issue.step];
    if (nodeId === undefined) continue;
    byNode.set(nodeId, [...(byNode.get(nodeId) ?? []), issue.message]);
  }
  return byNode;
}
