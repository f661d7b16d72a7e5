/** Merge: the chosen datasets' rows, in order, as a new version of a named dataset. */
import { useState } from "react";
import type { DatasetSummary, DatasetVersion, VersionRef } from "../api/schema";
import { mergeDatasets } from "./calls";
import { nameProblem } from "./naming";
import { OperationCard } from "./OperationCard";
import { useOperation } from "./useOperation";

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
  const [dedup, setDedup] = useState<"none" | "exact">("exact");
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
      disabled={inputs.length < 2 || problem !== null}
      onSubmit={() => state.run(() => mergeDatasets(inputs, into, dedup))}
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
        <select value={dedup} onChange={(e) => setDedup(e.target.value as "none" | "exact")}>
          <option value="exact">drop exact duplicates</option>
          <option value="none">keep every row</option>
        </select>
      </label>
      {problem && <p className="bad">{problem}</p>}
    </OperationCard>
  );
}
