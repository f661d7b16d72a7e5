/** Editing a record's fields as text: strings as they are, other values as JSON. */

/** One field being edited. */
export interface FieldDraft {
  name: string;
  /** Whether the text is JSON (the value was not a string). */
  json: boolean;
  text: string;
}

/** The drafts of an object's fields. */
export function draftsOf(values: Record<string, unknown>): FieldDraft[] {
  return Object.entries(values).map(([name, value]) =>
    typeof value === "string" ? { name, json: false, text: value } : { name, json: true, text: JSON.stringify(value, null, 2) },
  );
}

/** The object back from the drafts, or the first field whose JSON does not parse. */
export function valuesOf(drafts: FieldDraft[]): { values: Record<string, unknown> } | { field: string; error: string } {
  const values: Record<string, unknown> = {};
  for (const draft of drafts) {
    if (!draft.json) {
      values[draft.name] = draft.text;
      continue;
    }
    try {
      values[draft.name] = JSON.parse(draft.text);
    } catch (e) {
      return { field: draft.name, error: e instanceof Error ? e.message : String(e) };
    }
  }
  return { values };
}

/** The drafts with a new, empty field `name` at the end, or why it cannot be added. */
export function withNewField(drafts: FieldDraft[], name: string, json: boolean): FieldDraft[] | { error: string } {
  const trimmed = name.trim();
  if (!trimmed) return { error: "give the new field a name" };
  if (drafts.some((draft) => draft.name === trimmed)) return { error: `there is already a field ${trimmed}` };
  return [...drafts, { name: trimmed, json, text: json ? "null" : "" }];
}
