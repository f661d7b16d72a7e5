/** Number boxes are kept as the text typed (an empty box is not 0) and read when sent. */

/** The text as a whole number of at least 0, or null. */
export function wholeNumber(text: string): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** The text as a finite number of at least 0, or null. */
export function fraction(text: string): number | null {
  if (text.trim() === "") return null;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : null;
}
