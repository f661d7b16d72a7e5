/** Merge: the chosen datasets' rows, in order, as a new version of a named dataset. */
import { useState } from "react";
import type { DatasetSummary, DatasetVersion, VersionRef } from "../api/schema";
import { mergeDatasets } from "./calls";
import { Options } from "./fields";
import { nameProblem } from "./naming";
import { OperationCard } from "./OperationCard";
import { useOperation } from "./useOperation";

/** Which duplicates a merge leaves out. */
type Dedup = "none" | "exact" | "near";

/**
 * The merge form: `version` is always the first input; other datasets are added at their
 * newest version.
 */
export function MergeForm({
  version,
  datasets,
  onMade,
}: {
  version: DatasetVersion;
  datasets: DatasetSummary[];
  onMade: (made: DatasetVersion[]) => void;
}) {
  const state = useOperation(onMade);
  const [others, setOthers] = useState<string[]>([]);
  const [into, setInto] = useState(`${version.dataset}.merged`);
  const [dedup, setDedup] = useState<Dedup>("exact");
  const [threshold, setThreshold] = useState("0.8");
  const [field, setField] = useState("");
  const thresholdNumber = Number(threshold);
  const badThreshold = dedup === "near" && (threshold.trim() === "" || !(thresholdNumber > 0 && thresholdNumber <= 1));
  const candidates = datasets.filter((d) => d.name !== version.dataset);
  const inputs: VersionRef[] = [
    { dataset: version.dataset, version: version.number },
    ...candidates.filter((d) => others.includes(d.name)).map((d) => ({ dataset: d.name, version: d.latest_version })),
  ];
  const problem = nameProblem(into);
  const toggle = (name: string, on: boolean) =>
    setOthers((current) => (on ? [...current, name] : current.filter((n) => n !== name)));
  return (
    <OperationCard
      title="Merge"
      operation="merge"
      state={state}
      action="Merge"
      disabled={inputs.length < 2 || problem !== null || badThreshold}
      onSubmit={() =>
        state.run(() =>
          mergeDatasets(
            inputs,
            into,
            dedup,
            dedup === "near" ? { threshold: thresholdNumber, ...(field ? { fields: [field] } : {}) } : undefined,
          ),
        )
      }
    >
      <fieldset>
        <legend>
          With {version.dataset} v{version.number}
        </legend>
        {candidates.length === 0 && <p className="muted">No other dataset yet.</p>}
        {candidates.map((d) => (
          <label key={d.name} className="inline">
            <input type="checkbox" checked={others.includes(d.name)} onChange={(e) => toggle(d.name, e.target.checked)} />
            {d.name} v{d.latest_version}
          </label>
        ))}
      </fieldset>
      <label>
        Into
        <input value={into} onChange={(e) => setInto(e.target.value)} aria-invalid={problem !== null} />
      </label>
      <label>
        Duplicates
        <select value={dedup} onChange={(e) => setDedup(e.target.value as Dedup)}>
          <option value="exact">drop exact duplicates</option>
          <option value="near">drop exact and near-duplicates</option>
          <option value="none">keep every row</option>
        </select>
      </label>
      {dedup === "near" && (
        <>
          <label>
            Similarity threshold
            <input
              type="number"
              min={0.05}
              max={1}
              step={0.05}
              value={threshold}
              onChange={(e) => setThreshold(e.target.value)}
              aria-invalid={badThreshold}
            />
          </label>
          <label>
            Compare
            <select value={field} onChange={(e) => setField(e.target.value)}>
              <option value="">every text field</option>
              <Options values={version.schema.fields.map((f) => f.name)} />
            </select>
          </label>
          <p className="muted">
            A row whose words overlap a row already taken at least this much (Jaccard similarity of 3-word shingles) is left
            out; the first one in merge order is kept.
          </p>
          {badThreshold && <p className="bad">The threshold is a number above 0 and at most 1.</p>}
        </>
      )}
      {problem && <p className="bad">{problem}</p>}
    </OperationCard>
  );
}
