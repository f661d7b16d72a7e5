/**
 * Upload: pick a CSV, JSON, JSONL or Parquet file, see its first rows and detected format
 * (the server's preview, nothing saved), name it, save it as a new dataset version.
 */
import { useRef, useState } from "react";
import type { DatasetVersion, FileFormat, Preview } from "../api/schema";
import { importFile, previewFile } from "./calls";
import { FILE_FORMATS } from "./formats";
import { DropZone } from "../components/DropZone";
import { ErrorMessage, Loading } from "../components/RequestState";
import { Options } from "./fields";
import { versionLabel } from "./lineage";
import { formatFromFileName, nameFromFileName, nameProblem } from "./naming";
import { RowsTable } from "./RowsTable";

/** The file input's `accept`. */
const ACCEPT = ".csv,.json,.jsonl,.ndjson,.parquet";

/** What detection found, in words. */
function DetectedFormat({ preview }: { preview: Preview }) {
  const { family, format, field } = preview.detected;
  return (
    <p data-testid="detected-format" data-family={family} data-format={format ?? ""}>
      Detected: <span className="badge">{family}</span>
      {format && (
        <>
          {" "}
          format <b>{format}</b>
          {field && ` in field ${field}`}
        </>
      )}
    </p>
  );
}

/** The upload card; `onSaved` gets the version the import made. */
export function UploadPanel({ onSaved }: { onSaved: (version: DatasetVersion) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<FileFormat | "">("");
  const [name, setName] = useState("");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [previewing, setPreviewing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saved, setSaved] = useState<DatasetVersion | null>(null);
  // The newest preview request: an older answer arriving late is dropped.
  const latest = useRef(0);

  const runPreview = (picked: File, chosen: FileFormat | "") => {
    const request = ++latest.current;
    setPreview(null);
    setPreviewError(null);
    setPreviewing(true);
    previewFile(picked, chosen || null)
      .then((answer) => request === latest.current && setPreview(answer))
      .catch((e: unknown) => request === latest.current && setPreviewError(e))
      .finally(() => request === latest.current && setPreviewing(false));
  };

  const onFile = (picked: File) => {
    setFile(picked);
    setSaved(null);
    setSaveError(null);
    setName(nameFromFileName(picked.name));
    const detected = formatFromFileName(picked.name) ?? "";
    setFormat(detected);
    runPreview(picked, detected);
  };

  const problem = nameProblem(name);
  const save = () => {
    if (!file || problem) return;
    setSaving(true);
    setSaveError(null);
    importFile(name, file, format || null)
      .then((version) => {
        setSaved(version);
        onSaved(version);
      })
      .catch(setSaveError)
      .finally(() => setSaving(false));
  };

  const fields = preview?.fields.fields.map((f) => f.name) ?? [];
  return (
    <div className="card" data-testid="dataset-upload">
      <h2 style={{ marginTop: 0 }}>Upload a file</h2>
      <DropZone label="Dataset file" accept={ACCEPT} inputTestId="dataset-file-input" onFile={onFile}>
        {file && <p className="muted">{file.name}</p>}
      </DropZone>
      {file && (
        <div className="row" style={{ marginTop: "0.6rem" }}>
          <label>
            Format
            <select
              value={format}
              onChange={(event) => {
                const chosen = event.target.value as FileFormat | "";
                setFormat(chosen);
                runPreview(file, chosen);
              }}
            >
              <option value="">from the file name</option>
              <Options values={FILE_FORMATS} />
            </select>
          </label>
          <label>
            Dataset name
            <input value={name} onChange={(event) => setName(event.target.value)} aria-invalid={problem !== null} />
          </label>
          <button type="button" className="primary" onClick={save} disabled={saving || problem !== null || !preview}>
            {saving ? "Saving…" : "Save dataset"}
          </button>
        </div>
      )}
      {file && problem && <p className="bad">{problem}</p>}
      {previewing && <Loading label="Reading the first rows…" />}
      <ErrorMessage error={previewError} />
      {preview && (
        <section data-testid="dataset-preview" aria-label="Preview">
          <DetectedFormat preview={preview} />
          <p className="muted">
            First {preview.rows.length} {preview.rows.length === 1 ? "row" : "rows"} ({preview.format})
          </p>
          <RowsTable rows={preview.rows.map((row, position) => ({ position, row }))} fields={fields} testId="preview-rows" />
        </section>
      )}
      <ErrorMessage error={saveError} />
      {saved && (
        <p className="ok" role="status" data-testid="upload-result">
          Saved {versionLabel(saved)}
        </p>
      )}
    </div>
  );
}
