import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import type { SeedReport } from "../api/schema";
import { SeedReportView } from "./SeedReportView";

// As the server answers: the per-seed lists that are empty are left out.
const report: SeedReport = {
  valid: false,
  errors: ["seed 1: missing required field(s) 'audience'", "seed 2: `repetitions` must be a whole number, got -1"],
  warnings: [],
  required_fields: ["audience", "topic"],
  total_runs: 1,
  seeds: [
    { seed: 1, missing_fields: ["audience"] },
    { seed: 2, errors: ["`repetitions` must be a whole number, got -1"] },
    { seed: 3, empty_fields: ["topic"] },
  ],
  pipeline_id: 1,
};

describe("SeedReportView", () => {
  it("lists each seed's problems from the server's sparse answer", () => {
    render(<SeedReportView report={report} />);
    const view = screen.getByTestId("seed-report");
    expect(view).toHaveTextContent("Seeds have errors: 1 run · required fields: audience, topic");
    const perSeed = within(screen.getByText("3 seed(s) with problems").closest("details")!);
    expect(perSeed.getByText("seed 1: missing audience")).toBeInTheDocument();
    expect(perSeed.getByText("seed 2: `repetitions` must be a whole number, got -1")).toBeInTheDocument();
    expect(perSeed.getByText("seed 3: empty topic")).toBeInTheDocument();
  });
});
