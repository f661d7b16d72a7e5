/** The row filter's value box read as the server compares it: JSON when it parses, else text. */

/** `3` is the number 3, `true` a boolean, `"3"` the text 3, anything else (`billing`) text. */
export function filterValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

/** The `where` object of a field and its typed value, or undefined without a field. */
export function whereOf(field: string, value: string): Record<string, unknown> | undefined {
  return field ? { [field]: filterValue(value) } : undefined;
}
