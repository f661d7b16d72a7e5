// A finished job's records saved as a dataset from its card.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import { renderWithQuery } from "../test/render";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { datasetVersion, json, routeFetch } from "../test/datasets";
import { SaveJobAsDataset } from "./SaveJobAsDataset";

afterEach(() => vi.unstubAllGlobals());

describe("SaveJobAsDataset", () => {
  it("saves the records chosen under the name given and links the version", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      [
        "POST /api/datasets/qa/from-job",
        () =>
          json(
            datasetVersion({
              dataset: "qa",
              row_count: 9,
              lineage: { source: "job", job_id: 5, pipeline_id: 1, pipeline_name: "p", records: "all" },
            }),
            201,
          ),
      ],
    ]);
    renderWithQuery(
      <MemoryRouter>
        <SaveJobAsDataset jobId={5} />
      </MemoryRouter>,
    );
    await user.click(screen.getByRole("button", { name: "Save as dataset" }));
    const name = screen.getByLabelText("Dataset name");
    expect(name).toHaveValue("job-5");
    await user.clear(name);
    await user.type(name, "qa");
    await user.selectOptions(screen.getByLabelText("Records"), "all");
    await user.click(screen.getByRole("button", { name: "Save" }));
    const saved = await screen.findByTestId("job-dataset-saved");
    expect(saved).toHaveTextContent("qa v1 · 9 rows");
    expect(screen.getByRole("link", { name: "qa v1 · 9 rows" })).toHaveAttribute("href", "/datasets?name=qa&version=1");
    expect(seen[0].body).toEqual({ job_id: 5, records: "all" });
  });

  it("shows the server's refusal", async () => {
    const user = userEvent.setup();
    routeFetch([["POST /api/datasets/job-8/from-job", () => json({ error: "job 8 not found", detail: { job_id: 8 } }, 404)]]);
    renderWithQuery(
      <MemoryRouter>
        <SaveJobAsDataset jobId={8} />
      </MemoryRouter>,
    );
    await user.click(screen.getByRole("button", { name: "Save as dataset" }));
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("job 8 not found");
  });
});
