/** JSONL / JSON / CSV download links of the filtered records. */
import { api } from "../api/client";
import { recordsExportUrl } from "../api/links";
import type { RecordFilter } from "../api/queryKeys";
import { useApiDownload } from "../components/download";
import { ErrorMessage } from "../components/RequestState";

const FORMATS: { format: "jsonl" | "json" | "csv"; label: string }[] = [
  { format: "jsonl", label: "JSONL" },
  { format: "json", label: "JSON" },
  { format: "csv", label: "CSV" },
];

/**
 * Plain links to /api/export/download; with an API key stored, the click downloads through
 * the API client instead, since a link cannot send the Authorization header.
 */
export function ExportLinks({ filter }: { filter: RecordFilter }) {
  const { error, onClick } = useApiDownload();
  return (
    <div className="export-links">
      <span className="muted">Export{filter.status ? ` (${filter.status})` : ""}:</span>{" "}
      {FORMATS.map(({ format, label }) => (
        <a
          key={format}
          href={recordsExportUrl({ ...filter }, format)}
          download
          onClick={(e) =>
            onClick(e, () => api.GET("/api/export/download", { params: { query: { ...filter, format } }, parseAs: "blob" }), `records.${format}`)
          }
          className="export-link"
        >
          {label}
        </a>
      ))}
      <ErrorMessage error={error} />
    </div>
  );
}
