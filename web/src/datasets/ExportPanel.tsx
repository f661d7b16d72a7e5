/** Export: the version as JSONL, JSON, CSV or Parquet, and its dataset card (shown or downloaded). */
import { useState } from "react";
import { api } from "../api/client";
import { datasetCardUrl, datasetExportUrl } from "../api/links";
import type { DatasetVersion, FileFormat } from "../api/schema";
import { useApiDownload } from "../components/download";
import { getCard } from "./calls";
import { ErrorMessage, Loading } from "../components/RequestState";

/** What the card says beside what the server knows (comma-separated lists). */
type CardMeta = Record<"license" | "language" | "task_categories", string>;

const FORMATS: { format: FileFormat; label: string }[] = [
  { format: "jsonl", label: "JSONL" },
  { format: "json", label: "JSON" },
  { format: "csv", label: "CSV" },
  { format: "parquet", label: "Parquet" },
];

/** The export card of `version`. */
export function ExportPanel({ version }: { version: DatasetVersion }) {
  const download = useApiDownload();
  const [meta, setMeta] = useState<CardMeta>({ license: "", language: "", task_categories: "" });
  const [card, setCard] = useState<string | null>(null);
  const [cardError, setCardError] = useState<unknown>(null);
  const [loadingCard, setLoadingCard] = useState(false);
  const { dataset, number } = version;
  const cardUrl = datasetCardUrl(dataset, number, meta);
  const showCard = () => {
    setLoadingCard(true);
    setCardError(null);
    getCard(dataset, number, { ...meta })
      .then(setCard)
      .catch((e: unknown) => {
        setCard(null);
        setCardError(e);
      })
      .finally(() => setLoadingCard(false));
  };
  const set = (key: keyof CardMeta) => (value: string) => setMeta((current) => ({ ...current, [key]: value }));
  return (
    <div className="card" data-testid="dataset-export">
      <h3 style={{ marginTop: 0 }}>Export</h3>
      <div className="export-links">
        <span className="muted">
          {dataset} v{number}:
        </span>{" "}
        {FORMATS.map(({ format, label }) => {
          const url = datasetExportUrl(dataset, number, format);
          return (
            <a
              key={format}
              href={url}
              download
              className="export-link"
              onClick={(e) =>
                download.onClick(
                  e,
                  () =>
                    api.GET("/api/datasets/{name}/export", {
                      params: { path: { name: dataset }, query: { version: number, format } },
                      parseAs: "blob",
                    }),
                  `${dataset}-v${number}.${format}`,
                )
              }
            >
              {label}
            </a>
          );
        })}
      </div>
      <ErrorMessage error={download.error} />
      <h4>Dataset card</h4>
      <div className="row">
        <label>
          License
          <input value={meta.license} onChange={(e) => set("license")(e.target.value)} placeholder="other" />
        </label>
        <label>
          Languages
          <input value={meta.language} onChange={(e) => set("language")(e.target.value)} placeholder="en, de" />
        </label>
        <label>
          Task categories
          <input value={meta.task_categories} onChange={(e) => set("task_categories")(e.target.value)} placeholder="text-generation" />
        </label>
        <button type="button" onClick={showCard} disabled={loadingCard}>
          Show card
        </button>
        <a href={cardUrl} download="README.md" className="export-link" onClick={(e) =>
            download.onClick(
              e,
              () => api.GET("/api/datasets/{name}/card", { params: { path: { name: dataset }, query: { version: number, ...meta } }, parseAs: "blob" }),
              "README.md",
            )
          }>
          Download card
        </a>
      </div>
      {loadingCard && <Loading label="Writing the card…" />}
      <ErrorMessage error={cardError} />
      {card !== null && <pre data-testid="dataset-card">{card}</pre>}
    </div>
  );
}
