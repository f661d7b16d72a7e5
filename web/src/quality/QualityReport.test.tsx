// The quality report as the job card and the dashboard draw it from `GET /api/jobs/{id}`.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import { renderWithQuery } from "../test/render";
import { MemoryRouter } from "react-router-dom";
import type { Quality } from "./report";
import { JobCard } from "../generator/JobCard";
import { finishedJob } from "../test/records";
import { binLabels, passRateText } from "./bins";
import { QualityReport } from "./QualityReport";
import { RecentQuality } from "./RecentQuality";

afterEach(() => vi.unstubAllGlobals());

const quality: Quality = {
  checked: 10,
  passed: 6,
  pass_rate: 0.6,
  failed: 1,
  scores: [
    { step: 1, block_type: "FieldMapper", name: "clarity", scale: "judge", min: 0, max: 10, bins: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], count: 10, mean: 4.5 },
    { step: 2, block_type: "CoherenceScore", name: "coherence_score", scale: "metric", min: 0, max: 1, bins: [1, 2, 2, 2, 2, 1, 0, 0, 0, 0], count: 10, mean: 0.275 },
  ],
  blocks: [
    { step: 0, block_type: "ValidatorBlock", checked: 10, flagged: 2, fixed: 0, removed: 0 },
    { step: 3, block_type: "JSONValidatorBlock", checked: 10, flagged: 0, fixed: 0, removed: 2 },
  ],
};

function jsonResponse(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
}

function histogram(name: string, step?: number): HTMLElement {
  const found = screen
    .getAllByTestId("score-histogram")
    .find((h) => h.dataset.name === name && (step === undefined || h.dataset.step === String(step)));
  if (!found) throw new Error(`no histogram ${name}`);
  return found;
}

const barCounts = (figure: HTMLElement) => Array.from(figure.querySelectorAll("rect")).map((r) => Number(r.dataset.count));

describe("the quality report", () => {
  it("shows the pass rate, a ten-bar histogram per criterion and the checks' counts", () => {
    renderWithQuery(<QualityReport quality={quality} />);
    expect(screen.getByTestId("pass-rate")).toHaveTextContent("60%");
    expect(barCounts(histogram("clarity"))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const coherence = histogram("coherence_score");
    expect(barCounts(coherence)).toEqual([1, 2, 2, 2, 2, 1, 0, 0, 0, 0]);
    // Bars are as tall as their counts: the tallest bin fills the chart, an empty one is flat.
    const heights = Array.from(coherence.querySelectorAll("rect")).map((r) => Number(r.getAttribute("height")));
    expect(heights[1]).toBeCloseTo(2 * heights[0]);
    expect(heights[9]).toBe(0);
    expect(within(coherence).getByText(/mean 0\.28/)).toBeInTheDocument();
    const rows = within(screen.getByTestId("quality-blocks")).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("ValidatorBlock");
    expect(within(rows[1]).getAllByRole("cell").map((c) => c.textContent)).toEqual(["1", "ValidatorBlock", "10", "2", "0", "0"]);
    expect(within(rows[2]).getAllByRole("cell").map((c) => c.textContent)).toEqual(["4", "JSONValidatorBlock", "10", "0", "0", "2"]);
  });

  it("draws one histogram per step for a criterion two judges score, named by step and block", () => {
    const second = { ...quality.scores[0], step: 4, block_type: "LLMJudge", bins: [0, 0, 0, 0, 0, 0, 0, 0, 0, 3], count: 3, mean: 10 };
    renderWithQuery(<QualityReport quality={{ ...quality, scores: [quality.scores[0], second] }} />);
    expect(barCounts(histogram("clarity", 1))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const later = histogram("clarity", 4);
    expect(barCounts(later)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    expect(within(later).getByText(/step 5 LLMJudge/)).toBeInTheDocument();
    expect(screen.getByText(/1 failed otherwise/)).toBeInTheDocument();
  });

  it("shows nothing for a job without checks or scores", () => {
    const { container } = renderWithQuery(<QualityReport quality={{ checked: 0, passed: 0, pass_rate: null, failed: 0, scores: [], blocks: [] }} />);
    expect(container).toBeEmptyDOMElement();
  });

  it("labels bins by the criterion's range", () => {
    expect(binLabels(quality.scores[0])[9]).toBe("9–10");
    expect(binLabels(quality.scores[1])[0]).toBe("0.0–0.1");
    expect(passRateText(null)).toBe("—");
    expect(passRateText(2 / 3)).toBe("66.7%");
  });

  it("appears on a finished job's card, read from the job's own endpoint", async () => {
    const fetchMock = vi.fn(async (request: Request) => {
      expect(new URL(request.url).pathname).toBe("/api/jobs/3");
      return jsonResponse({ ...finishedJob(), quality });
    });
    vi.stubGlobal("fetch", fetchMock);
    renderWithQuery(<JobCard initial={finishedJob()} />, { wrapper: MemoryRouter });
    expect(await screen.findByTestId("quality-report")).toBeInTheDocument();
    expect(screen.getByTestId("pass-rate")).toHaveTextContent("60%");
  });

  it("charts the pass rate of recent jobs on the dashboard", async () => {
    const byId: Record<string, unknown> = {
      "/api/jobs/5": { ...finishedJob({ id: 5 }), quality: { ...quality, passed: 9, pass_rate: 0.9 } },
      "/api/jobs/4": { ...finishedJob({ id: 4 }), quality: { checked: 0, passed: 0, pass_rate: null, failed: 0, scores: [], blocks: [] } },
      "/api/jobs/3": { ...finishedJob({ id: 3 }), quality },
    };
    vi.stubGlobal("fetch", vi.fn(async (request: Request) => jsonResponse(byId[new URL(request.url).pathname])));
    const jobs = [5, 4, 3].map((id) => finishedJob({ id }));
    renderWithQuery(<RecentQuality jobs={jobs} />, { wrapper: MemoryRouter });
    const bars = await screen.findAllByTestId("pass-rate-bar");
    // Job 4 has no checks; the others oldest first.
    expect(bars.map((b) => [b.dataset.jobId, b.dataset.rate])).toEqual([
      ["3", "0.6"],
      ["5", "0.9"],
    ]);
    expect(screen.getByTestId("pass-rate")).toHaveTextContent("90%");
  });
});
