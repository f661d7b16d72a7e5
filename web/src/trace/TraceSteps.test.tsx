import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import { traceEntry } from "../test/records";
import { TraceSteps } from "./TraceSteps";

describe("TraceSteps", () => {
  it("shows each step's time, usage, cost, error, logs and its data, under the given test ids", () => {
    render(
      <TraceSteps
        testId="trace-viewer"
        stepTestIdPrefix="trace-run-1-step-"
        trace={[
          traceEntry({ import_time: 0.004, usage: { input_tokens: 12, output_tokens: 7, cached_tokens: 0, cost: 0.0021 } }),
          traceEntry({
            step: 1,
            block_type: "ValidatorBlock",
            error: "too short",
            failure: { kind: "block_error", stderr: "panicked at src/lib.rs:3", detail: { length: 2 } },
            logs: [{ level: "warn", message: "short text" }],
            logs_dropped: 4,
            import_time: 0,
            usage: { input_tokens: 0, output_tokens: 0, cached_tokens: 0 },
          }),
        ]}
      />,
    );
    expect(screen.getByTestId("trace-viewer").tagName).toBe("OL");
    const first = screen.getByTestId("trace-run-1-step-0");
    expect(first).toHaveTextContent("1. TextGenerator");
    expect(first).toHaveTextContent("0.012 s · host calls 0.004 s · 12 in / 7 out tokens · cost $0.0021");
    expect(within(first).getByText("Input")).toBeInTheDocument();
    expect(within(first).getByText("State after")).toBeInTheDocument();
    const second = screen.getByTestId("trace-run-1-step-1");
    expect(second).toHaveClass("failed");
    expect(within(second).getByRole("alert")).toHaveTextContent("Error: too short");
    expect(within(second).getByText("Logs (1, 4 more dropped)")).toBeInTheDocument();
    expect(within(second).getByText("Block stderr").closest("details")).toHaveTextContent("panicked at src/lib.rs:3");
    expect(within(second).getByText("Error detail").closest("details")).toHaveTextContent('"length": 2');
    expect(within(first).queryByText("Block stderr")).toBeNull();
    expect(second).not.toHaveTextContent("cost");
    // A step without host calls or tokens says only its time.
    expect(second.querySelector("h4")).toHaveTextContent(/^2\. ValidatorBlock 0\.012 s failed$/);
  });

  it("shows an unknown price as — and lists the LLM calls when the server reports them", () => {
    render(
      <TraceSteps
        trace={[
          traceEntry({
            usage: { input_tokens: 1, output_tokens: 1, cached_tokens: 0, cost: null },
            llm_calls: [
              { model: "gpt-x", provider: "openai", attempts: 3, wait_ms: 1500, duration_ms: 2210.4, status: "ok", error: null },
              { model: "gpt-x", provider: "openai", attempts: 1, wait_ms: 0, status: "failed", error: "HTTP 500" },
            ],
          }),
        ]}
      />,
    );
    const step = screen.getByTestId("trace-step-0");
    expect(step).toHaveTextContent("cost —");
    expect(within(step).getByText("LLM calls (2)")).toBeInTheDocument();
    const rows = within(step).getAllByRole("row");
    expect(rows.map((row) => row.textContent)).toEqual([
      "ModelProviderAttemptsWaitedTookStatusError",
      "gpt-xopenai31500 ms2210 msok",
      "gpt-xopenai10 ms—failedHTTP 500",
    ]);
    // A failed call opens the list.
    expect(within(step).getByText("LLM calls (2)").closest("details")).toHaveAttribute("open");
  });

  it("says when no step ran", () => {
    render(<TraceSteps trace={[]} testId="trace-viewer" />);
    expect(screen.getByTestId("trace-viewer")).toHaveTextContent("No steps ran.");
  });
});
