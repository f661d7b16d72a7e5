/** JSONL / JSON / CSV download links of the filtered records. */
import type { MouseEvent } from "react";
import { useState } from "react";
import { apiFetch, storedApiKey } from "../api/client";
import { exportUrl, type ExportFormat, type RecordFilter } from "../api/endpoints";
import { ErrorMessage } from "../components/RequestState";

const FORMATS: { format: ExportFormat; label: string }[] = [
  { format: "jsonl", label: "JSONL" },
  { format: "json", label: "JSON" },
  { format: "csv", label: "CSV" },
];

/** The file name the server gives (Content-Disposition), else a default. */
function fileName(response: Response, format: ExportFormat): string {
  const header = response.headers.get("Content-Disposition") ?? "";
  const match = /filename="?([^";]+)"?/i.exec(header);
  return match ? match[1] : `records.${format}`;
}

/**
 * Plain links to /api/export/download; with an API key stored, the click downloads through
 * the API client instead, since a link cannot send the Authorization header.
 */
export function ExportLinks({ filter }: { filter: RecordFilter }) {
  const [error, setError] = useState<unknown>(null);
  const download = async (event: MouseEvent<HTMLAnchorElement>, format: ExportFormat) => {
    if (!storedApiKey()) return;
    event.preventDefault();
    try {
      const response = await apiFetch(exportUrl(filter, format));
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = fileName(response, format);
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="export-links">
      <span className="muted">Export{filter.status ? ` (${filter.status})` : ""}:</span>{" "}
      {FORMATS.map(({ format, label }) => (
        <a key={format} href={exportUrl(filter, format)} download onClick={(e) => download(e, format)} className="export-link">
          {label}
        </a>
      ))}
      <ErrorMessage error={error} />
    </div>
  );
}
