/** The preview's seed: the initial state typed as JSON or read from a seed file. */

/** The state to run on, or why the text gives none. A seed file's list gives its first seed; a
 * `{repetitions, metadata}` seed gives its metadata; any other object is the state itself. A
 * `.jsonl` text gives its first line. */
export function seedState(text: string): { state: Record<string, unknown> } | { error: string } {
  const trimmed = text.trim();
  if (!trimmed) return { error: "type a seed: a JSON object, e.g. {\"topic\": \"rivers\"}" };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (e) {
    const firstLine = trimmed.split("\n")[0];
    try {
      value = JSON.parse(firstLine);
    } catch {
      return { error: `the seed is not JSON: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return { error: "the seed list is empty" };
    value = value[0];
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return { error: "the seed must be a JSON object" };
  const object = value as Record<string, unknown>;
  const metadata = object.metadata;
  if (metadata && typeof metadata === "object" && !Array.isArray(metadata)) return { state: metadata as Record<string, unknown> };
  return { state: object };
}

/** A seed to start from: every field the pipeline needs from the seed, empty. */
export function seedTemplate(seedFields: string[]): string {
  return JSON.stringify(Object.fromEntries(seedFields.map((field) => [field, ""])), null, 2);
}
