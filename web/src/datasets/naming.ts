/** Dataset names and file formats as the server reads them, checked before a request. */
import type { FileFormat } from "../api/schema";
import { FILE_FORMATS } from "./formats";

/** The longest name the server takes. */
export const MAX_NAME_LENGTH = 100;

/** Why `name` is not a dataset name (1–100 ASCII letters, digits, `-`, `_`, `.`), or null. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return "a dataset needs a name";
  if (name.length > MAX_NAME_LENGTH) return `a name has at most ${MAX_NAME_LENGTH} characters`;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return "a name holds only ASCII letters, digits, -, _ and .";
  return null;
}

/** The format a file name's extension says (`.ndjson` is JSON Lines), or null. */
export function formatFromFileName(fileName: string): FileFormat | null {
  const dot = fileName.lastIndexOf(".");
  if (dot < 0) return null;
  const extension = fileName.slice(dot + 1).toLowerCase();
  if (extension === "ndjson") return "jsonl";
  return (FILE_FORMATS as readonly string[]).includes(extension) ? (extension as FileFormat) : null;
}

/** A dataset name made from a file name: its stem with other characters as `_`. */
export function nameFromFileName(fileName: string): string {
  const dot = fileName.lastIndexOf(".");
  const stem = dot > 0 ? fileName.slice(0, dot) : fileName;
  return stem.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, MAX_NAME_LENGTH) || "dataset";
}
