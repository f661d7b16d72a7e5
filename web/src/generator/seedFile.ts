/**
 * Reads a seed file in the browser the way the server reads it (host/src/engine/seeds.rs):
 * `.json` (a list of `{repetitions, metadata}` or one such object), `.jsonl` (one per line),
 * `.csv` (a header row; each row's columns are the metadata, a `repetitions` column sets the
 * repetitions), `.md`/`.markdown` (one seed whose `file_content` is the text), `.txt` (one
 * URL per line, blank lines and `#` comments skipped: one seed `{url}` each). The seeds are
 * then checked by `POST /api/seeds/validate`, which reports each seed's problems.
 */
import Papa from "papaparse";

/** A seed file that cannot be read, with where (line, row) when known. */
export class SeedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SeedFileError";
  }
}

/** The seed file types, as an `accept` attribute. */
export const SEED_FILE_ACCEPT = ".json,.jsonl,.csv,.md,.markdown,.txt";

/** Which reader a file name selects, or null for an unsupported type. */
export function seedFormat(fileName: string): "json" | "jsonl" | "csv" | "md" | "txt" | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".jsonl")) return "jsonl";
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".md") || lower.endsWith(".markdown")) return "md";
  if (lower.endsWith(".txt")) return "txt";
  return null;
}

function nonEmpty(items: unknown[]): unknown[] {
  if (items.length === 0) throw new SeedFileError("the file holds no seeds");
  return items;
}

function parseJson(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SeedFileError(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (Array.isArray(value)) return nonEmpty(value);
  if (value !== null && typeof value === "object") return [value];
  throw new SeedFileError(`expected a list of seeds or one seed object, found ${value === null ? "null" : typeof value}`);
}

function parseJsonl(text: string): unknown[] {
  const items: unknown[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      items.push(JSON.parse(line));
    } catch (e) {
      throw new SeedFileError(`line ${index + 1}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return nonEmpty(items);
}

function parseCsv(text: string): unknown[] {
  const parsed = Papa.parse<string[]>(text, { delimiter: ",", skipEmptyLines: true });
  const [firstError] = parsed.errors;
  if (firstError) {
    const where = firstError.row === undefined ? "" : `row ${firstError.row + 1}: `;
    throw new SeedFileError(`${where}${firstError.message}`);
  }
  const [headers, ...rows] = parsed.data;
  if (!headers || headers.every((h) => h.trim() === "")) throw new SeedFileError("the CSV has no header row");
  const seeds = rows.map((row, index) => {
    if (row.length !== headers.length) {
      throw new SeedFileError(`row ${index + 2}: ${row.length} fields, the header has ${headers.length}`);
    }
    const metadata: Record<string, string> = {};
    let repetitions: number | undefined;
    headers.forEach((header, column) => {
      const value = row[column];
      if (header === "repetitions") {
        const trimmed = value.trim();
        if (!/^\d+$/.test(trimmed)) {
          throw new SeedFileError(`row ${index + 2}: \`repetitions\` must be a whole number, got "${value}"`);
        }
        repetitions = Number(trimmed);
      } else {
        metadata[header] = value;
      }
    });
    return repetitions === undefined ? { metadata } : { repetitions, metadata };
  });
  return nonEmpty(seeds);
}

function parseMarkdown(text: string): unknown[] {
  if (text.trim() === "") throw new SeedFileError("the document is empty");
  return [{ repetitions: 1, metadata: { file_content: text } }];
}

/** Why `text` is no absolute http(s) URL with a host, or null. */
function urlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `"${text}" is not an http or https URL`;
  }
  return url.hostname === "" ? `"${text}" has no host` : null;
}

function parseUrlList(text: string): unknown[] {
  const seeds: unknown[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const problem = urlProblem(line);
    if (problem) throw new SeedFileError(`line ${index + 1}: ${problem}`);
    seeds.push({ repetitions: 1, metadata: { url: line } });
  });
  if (seeds.length === 0) throw new SeedFileError("the file holds no URLs");
  return seeds;
}

/**
 * The seeds of a file, as JSON values for `POST /api/seeds/validate` (which checks each
 * one's `repetitions` and `metadata`). Throws a SeedFileError when the file cannot be read.
 */
export function parseSeedFile(fileName: string, text: string): unknown[] {
  switch (seedFormat(fileName)) {
    case "json":
      return parseJson(text);
    case "jsonl":
      return parseJsonl(text);
    case "csv":
      return parseCsv(text);
    case "md":
      return parseMarkdown(text);
    case "txt":
      return parseUrlList(text);
    default:
      throw new SeedFileError("unsupported seed file type: use .json, .jsonl, .csv, .md or .txt (URLs)");
  }
}
