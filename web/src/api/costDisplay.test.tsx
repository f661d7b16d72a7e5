// Cost where the UI shows it: the generator's job card, the dashboard chart and the record
// view; absent on older servers, "—" when the server knows no price.
import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import { renderWithQuery } from "../test/render";
import { MemoryRouter } from "react-router-dom";
import { UsageChart } from "../dashboard/UsageChart";
import { JobCard } from "../generator/JobCard";
import { RecordView } from "../review/RecordView";
import { finishedJob, recordRow } from "../test/records";
import type { Job } from "./schema";

const usage = (cost?: number | null): Job["usage"] => ({
  input_tokens: 10,
  output_tokens: 5,
  cached_tokens: 0,
  start_time: 1,
  end_time: 2,
  ...(cost === undefined ? {} : { cost }),
});

function recordView(record = recordRow()) {
  const noop = () => undefined;
  return (
    <RecordView
      record={record}
      position={0}
      total={1}
      fieldOrder={undefined}
      editing={false}
      busy={false}
      onStatus={noop}
      onEdit={noop}
      onSave={() => Promise.resolve()}
      onCancelEdit={noop}
      onNext={noop}
      onPrevious={noop}
    />
  );
}

describe("cost on the job card", () => {
  it("shows dollars, — for an unknown price, and nothing without a cost", () => {
    const { rerender } = renderWithQuery(<JobCard initial={finishedJob({ usage: usage(0.5) })} />, { wrapper: MemoryRouter });
    expect(screen.getByTestId("job-cost")).toHaveTextContent("$0.5000");
    rerender(<JobCard key="unknown" initial={finishedJob({ usage: usage(null) })} />);
    expect(screen.getByTestId("job-cost")).toHaveTextContent("—");
    rerender(<JobCard key="none" initial={finishedJob({ usage: usage() })} />);
    expect(screen.queryByTestId("job-cost")).toBeNull();
    rerender(<JobCard key="usd" initial={{ ...finishedJob({ usage: usage() }), cost_usd: 2 } as never} />);
    expect(screen.getByTestId("job-cost")).toHaveTextContent("$2.00");
  });
});

describe("cost on the record view", () => {
  it("shows the record's cost or —", () => {
    const { rerender } = renderWithQuery(recordView(recordRow({ usage: usage(0.01) })));
    expect(screen.getByTestId("record-cost")).toHaveTextContent("$0.0100");
    rerender(recordView(recordRow({ usage: usage(null) })));
    expect(screen.getByTestId("record-cost")).toHaveTextContent("—");
    rerender(recordView(recordRow({ usage: usage() })));
    expect(screen.queryByTestId("record-cost")).toBeNull();
  });
});

describe("cost on the dashboard chart", () => {
  it("totals the known costs and says where the price is unknown", () => {
    const { rerender } = renderWithQuery(
      <UsageChart jobs={[finishedJob({ id: 1, usage: usage(0.25) }), finishedJob({ id: 2, usage: usage(0.5) })]} />,
    );
    expect(screen.getByTestId("usage-cost-total")).toHaveTextContent("$0.7500");
    rerender(<UsageChart jobs={[finishedJob({ usage: usage(null) })]} />);
    expect(screen.getByTestId("usage-cost-total")).toHaveTextContent("—");
    expect(screen.getByTestId("usage-chart")).toHaveTextContent("where no price is known");
    rerender(<UsageChart jobs={[finishedJob({ usage: usage() })]} />);
    expect(screen.getByTestId("usage-chart")).toBeInTheDocument();
    expect(screen.queryByTestId("usage-cost-total")).toBeNull();
  });
});
