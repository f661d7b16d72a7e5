/** JSONL / JSON / CSV download links of the filtered records. */
import { exportUrl, type ExportFormat, type RecordFilter } from "../api/endpoints";
import { useApiDownload } from "../components/download";
import { ErrorMessage } from "../components/RequestState";

const FORMATS: { format: ExportFormat; label: string }[] = [
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
        <a key={format} href={exportUrl(filter, format)} download onClick={(e) => onClick(e, exportUrl(filter, format), `records.${format}`)} className="export-link">
          {label}
        </a>
      ))}
      <ErrorMessage error={error} />
    </div>
  );
}
