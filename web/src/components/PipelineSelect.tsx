/** A labelled select of saved pipelines, optionally with an "all" choice. */
import type { Pipeline } from "../api/schema";

/** `value` null selects the "all" choice (given `allLabel`) or nothing; a value that names no
 * pipeline in the list stays selected as "#id (not found)" instead of showing another one. */
export function PipelineSelect({
  pipelines,
  value,
  onChange,
  allLabel,
}: {
  pipelines: Pipeline[];
  value: number | null | undefined;
  onChange: (id: number | undefined) => void;
  allLabel?: string;
}) {
  return (
    <label>
      Pipeline
      <select value={value ?? ""} onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}>
        {allLabel !== undefined && <option value="">{allLabel}</option>}
        {value !== null && value !== undefined && !pipelines.some((p) => p.id === value) && (
          <option value={value}>#{value} (not found)</option>
        )}
        {pipelines.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} (#{p.id})
          </option>
        ))}
      </select>
    </label>
  );
}
