/** The tokens-over-time chart (recharts), with cost on a second axis when there is any. */
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Job } from "../api/schema";
import { costText, formatCost } from "../api/usage";
import { bucketSize, usageOverTime } from "./usageSeries";

const COST_NAME = "cost ($)";

/** Input and output tokens per hour or day, stacked; cost as a line. */
export function UsageChart({ jobs }: { jobs: Job[] }) {
  const size = bucketSize(jobs);
  const points = usageOverTime(jobs, size);
  if (points.length === 0) return <p className="muted">No jobs yet.</p>;
  const hasCost = points.some((p) => p.costReported);
  const known = points.filter((p) => p.cost !== null);
  const totalCost = costText(known.length === 0 ? null : known.reduce((sum, p) => sum + (p.cost ?? 0), 0));
  const label = (time: number) => {
    const date = new Date(time);
    return size < 86_400_000 ? date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit" }) : date.toLocaleDateString();
  };
  return (
    <div data-testid="usage-chart">
      {hasCost && (
        <p className="muted">
          Cost of these jobs: <b data-testid="usage-cost-total">{totalCost}</b>
          {points.some((p) => p.costReported && p.cost === null) && " (— where no price is known)"}
        </p>
      )}
      <div style={{ width: "100%", height: 280 }} role="img" aria-label="Tokens over time">
        <ResponsiveContainer>
          <ComposedChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="time" tickFormatter={label} stroke="var(--muted)" />
            <YAxis yAxisId="tokens" stroke="var(--muted)" />
            {hasCost && <YAxis yAxisId="cost" orientation="right" stroke="var(--muted)" tickFormatter={(v: number) => formatCost(v)} />}
            <Tooltip
              labelFormatter={(value) => label(Number(value))}
              formatter={(value, name) => (name === COST_NAME ? (typeof value === "number" ? formatCost(value) : "—") : value)}
              contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)", color: "var(--text)" }}
            />
            <Legend />
            <Bar yAxisId="tokens" dataKey="input" name="input tokens" stackId="t" fill="#5b8def" maxBarSize={48} />
            <Bar yAxisId="tokens" dataKey="output" name="output tokens" stackId="t" fill="#43b581" maxBarSize={48} />
            {hasCost && <Line yAxisId="cost" dataKey="cost" name={COST_NAME} stroke="#e7a33e" dot={false} connectNulls />}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
