/** A labelled select of saved pipelines, optionally with an "all" choice. */
import type { Pipeline } from "../api/types";

/** `value` null selects the "all" choice (given `allLabel`) or nothing. */
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
        {pipelines.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} (#{p.id})
          </option>
        ))}
      </select>
    </label>
  );
}
