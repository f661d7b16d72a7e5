/** The constraints section: the pipeline's token, cost and time budgets (empty: unlimited). */
import type { Constraints } from "../api/schema";
import { CONSTRAINT_KEYS } from "./types";

const LABELS: Record<keyof Constraints, string> = {
  max_total_tokens: "Max total tokens",
  max_total_input_tokens: "Max input tokens",
  max_total_output_tokens: "Max output tokens",
  max_total_cached_tokens: "Max cached tokens",
  max_total_cost: "Max cost (USD)",
  max_total_execution_time: "Max execution time (s)",
};

/** The budgets form. */
export function ConstraintsForm({ value, onChange }: { value: Constraints; onChange: (next: Constraints) => void }) {
  return (
    <fieldset className="constraints" data-testid="constraints">
      <legend>Constraints (empty: unlimited)</legend>
      <div className="row">
        {CONSTRAINT_KEYS.map((key) => (
          <label key={key}>
            {LABELS[key]}
            <input
              type="number"
              min={0}
              step={key === "max_total_execution_time" || key === "max_total_cost" ? "any" : 1}
              value={value[key] ?? ""}
              onChange={(e) => {
                const next = { ...value };
                const number = Number(e.target.value);
                if (e.target.value.trim() === "" || !Number.isFinite(number)) delete next[key];
                else next[key] = number;
                onChange(next);
              }}
            />
          </label>
        ))}
      </div>
    </fieldset>
  );
}
