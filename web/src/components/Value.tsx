/** A state value for reading: strings as text, everything else as indented JSON. */

/** Shows `value` in a <pre>. */
export function Value({ value }: { value: unknown }) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return <pre>{text === undefined ? "—" : text}</pre>;
}
