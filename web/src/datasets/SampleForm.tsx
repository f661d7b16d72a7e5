/** Sample: n rows drawn with a seed, at random or stratified by a field, as a new version. */
import { useState } from "react";
import type { DatasetVersion } from "../api/schema";
import { sampleDataset } from "./calls";
import { Options, SeedInput } from "./fields";
import { nameProblem } from "./naming";
import { wholeNumber } from "./numbers";
import { OperationCard } from "./OperationCard";
import { useOperation } from "./useOperation";

/** The sample form of `version`. */
export function SampleForm({ version, onMade }: { version: DatasetVersion; onMade: (made: DatasetVersion[]) => void }) {
  const state = useOperation(onMade);
  const [n, setN] = useState(String(Math.min(100, version.row_count)));
  const [seed, setSeed] = useState("0");
  const [stratifyBy, setStratifyBy] = useState("");
  const [into, setInto] = useState(`${version.dataset}.sample`);
  const problem = nameProblem(into);
  const rows = wholeNumber(n);
  const seedNumber = wholeNumber(seed);
  return (
    <OperationCard
      title="Sample"
      operation="sample"
      state={state}
      action="Sample"
      disabled={problem !== null || rows === null || seedNumber === null}
      onSubmit={() =>
        rows !== null &&
        seedNumber !== null &&
        state.run(() =>
          sampleDataset(version.dataset, { version: version.number, n: rows, seed: seedNumber, stratify_by: stratifyBy || null, into }),
        )
      }
    >
      <label>
        Rows
        <input type="number" min={0} value={n} onChange={(e) => setN(e.target.value)} aria-invalid={rows === null} />
      </label>
      <SeedInput value={seed} invalid={seedNumber === null} onChange={setSeed} />
      <label>
        Stratify by
        <select value={stratifyBy} onChange={(e) => setStratifyBy(e.target.value)}>
          <option value="">nothing (random)</option>
          <Options values={version.schema.fields.map((f) => f.name)} />
        </select>
      </label>
      <label>
        Into
        <input value={into} onChange={(e) => setInto(e.target.value)} aria-invalid={problem !== null} />
      </label>
      {problem && <p className="bad">{problem}</p>}
    </OperationCard>
  );
}
