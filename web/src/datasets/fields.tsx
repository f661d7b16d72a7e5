/** Small form parts the dataset forms share. */

/** One `<option>` per value, its text the value. */
export function Options({ values }: { values: readonly string[] }) {
  return (
    <>
      {values.map((value) => (
        <option key={value} value={value}>
          {value}
        </option>
      ))}
    </>
  );
}

/** The random seed's number box (kept as typed; `invalid` marks text that is no seed). */
export function SeedInput({ value, invalid, onChange }: { value: string; invalid: boolean; onChange: (text: string) => void }) {
  return (
    <label>
      Seed
      <input type="number" min={0} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={invalid} />
    </label>
  );
}
