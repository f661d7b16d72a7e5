/** Split: the rows shuffled with a seed and cut into `<name>.train`, `.validation`, `.test`. */
import { useState } from "react";
import type { DatasetVersion } from "../api/schema";
import { splitDataset } from "./calls";
import { SeedInput } from "./fields";
import { fraction, wholeNumber } from "./numbers";
import { OperationCard } from "./OperationCard";
import { useOperation } from "./useOperation";

/** The splits offered, with their default fractions. */
const SPLITS = [
  ["train", "0.8"],
  ["validation", "0.1"],
  ["test", "0.1"],
] as const;

/**
 * The fractions to send from the boxes' texts: splits given 0 are left out; null when a box
 * holds no number of at least 0 or no split is given more than 0.
 */
export function splitFractions(values: Record<string, string>): Record<string, number> | null {
  const kept: Record<string, number> = {};
  for (const [split, text] of Object.entries(values)) {
    const f = fraction(text);
    if (f === null) return null;
    if (f > 0) kept[split] = f;
  }
  return Object.keys(kept).length === 0 ? null : kept;
}

/** The split form of `version`. */
export function SplitForm({ version, onMade }: { version: DatasetVersion; onMade: (made: DatasetVersion[]) => void }) {
  const state = useOperation(onMade);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(SPLITS));
  const [seed, setSeed] = useState("0");
  const fractions = splitFractions(values);
  const seedNumber = wholeNumber(seed);
  return (
    <OperationCard
      title="Split"
      operation="split"
      state={state}
      action="Split"
      disabled={fractions === null || seedNumber === null}
      onSubmit={() =>
        fractions !== null && seedNumber !== null && state.run(() => splitDataset(version.dataset, version.number, fractions, seedNumber))
      }
    >
      {SPLITS.map(([split]) => (
        <label key={split}>
          {split}
          <input
            type="number"
            min={0}
            step={0.05}
            value={values[split]}
            onChange={(e) => setValues((current) => ({ ...current, [split]: e.target.value }))}
          />
        </label>
      ))}
      <SeedInput value={seed} invalid={seedNumber === null} onChange={setSeed} />
      {/* The server cuts by each fraction's share of their sum. */}
      {fractions === null && <p className="bad">Give each split a fraction of at least 0, and one more than 0.</p>}
    </OperationCard>
  );
}
