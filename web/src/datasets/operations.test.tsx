// Convert, merge, sample and split: each sends what the API takes and shows the versions made.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import { renderWithQuery } from "../test/render";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import type { ReactElement } from "react";
import type { DatasetSummary } from "../api/schema";
import { datasetVersion, json, routeFetch } from "../test/datasets";
import { ConvertForm } from "./ConvertForm";
import { MergeForm } from "./MergeForm";
import { SampleForm } from "./SampleForm";
import { splitFractions, SplitForm } from "./SplitForm";

afterEach(() => vi.unstubAllGlobals());

const show = (element: ReactElement) => renderWithQuery(<MemoryRouter>{element}</MemoryRouter>);

const summary = (name: string, latest: number): DatasetSummary => ({
  id: latest,
  name,
  latest_version: latest,
  row_count: 5,
  created_at: 0,
  updated_at: 0,
});

describe("operation forms", () => {
  it("converts the version shown and links the version made", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([["POST /api/datasets/chats/convert", () => json(datasetVersion({ number: 3, parent: 2 }), 201)]]);
    const onMade = vi.fn();
    show(<ConvertForm version={datasetVersion({ number: 2 })} onMade={onMade} />);
    await user.selectOptions(screen.getByLabelText("To"), "llama3");
    await user.click(screen.getByRole("button", { name: "Convert" }));
    const result = await screen.findByTestId("operation-result");
    expect(result).toHaveAttribute("data-operation", "convert");
    expect(within(result).getByRole("link", { name: "chats v3 · 3 rows" })).toHaveAttribute("href", "/datasets?name=chats&version=3");
    expect(seen[0].body).toEqual({ version: 2, from: "auto", to: "llama3" });
    expect(onMade).toHaveBeenCalledWith([expect.objectContaining({ number: 3 })]);
  });

  it("shows a conversion's failure with the row it names", async () => {
    const user = userEvent.setup();
    routeFetch([
      [
        "POST /api/datasets/chats/convert",
        () => json({ error: "row 4 does not convert", detail: { position: 4, message: "no messages", pointer: "/messages" } }, 400),
      ],
    ]);
    show(<ConvertForm version={datasetVersion()} onMade={vi.fn()} />);
    await user.selectOptions(screen.getByLabelText("From"), "openai");
    await user.click(screen.getByRole("button", { name: "Convert" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("row 4 does not convert");
    expect(alert).toHaveTextContent("pointer/messages");
    expect(screen.queryByTestId("operation-result")).toBeNull();
  });

  it("merges the version shown with the datasets ticked, at their newest versions", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      ["POST /api/datasets/merge", () => json(datasetVersion({ dataset: "all", number: 1, row_count: 7 }), 201)],
    ]);
    show(
      <MergeForm
        version={datasetVersion({ number: 2 })}
        datasets={[summary("chats", 2), summary("more", 4), summary("other", 1)]}
        onMade={vi.fn()}
      />,
    );
    const merge = screen.getByRole("button", { name: "Merge" });
    expect(merge).toBeDisabled();
    await user.click(screen.getByLabelText("more v4"));
    await user.clear(screen.getByLabelText("Into"));
    await user.type(screen.getByLabelText("Into"), "all");
    await user.selectOptions(screen.getByLabelText("Duplicates"), "none");
    await user.click(merge);
    expect(await screen.findByTestId("operation-result")).toHaveTextContent("all v1 · 7 rows");
    expect(seen[0].body).toEqual({
      inputs: [
        { dataset: "chats", version: 2 },
        { dataset: "more", version: 4 },
      ],
      into: "all",
      dedup: "none",
    });
  });

  it("merges without near-duplicates at the threshold and field chosen", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      ["POST /api/datasets/merge", () => json(datasetVersion({ dataset: "chats.merged", number: 1, row_count: 5 }), 201)],
    ]);
    show(<MergeForm version={datasetVersion({ number: 2 })} datasets={[summary("chats", 2), summary("more", 4)]} onMade={vi.fn()} />);
    await user.click(screen.getByLabelText("more v4"));
    expect(screen.queryByLabelText("Similarity threshold")).toBeNull();
    await user.selectOptions(screen.getByLabelText("Duplicates"), "near");
    const merge = screen.getByRole("button", { name: "Merge" });
    await user.clear(screen.getByLabelText("Similarity threshold"));
    await user.type(screen.getByLabelText("Similarity threshold"), "1.5");
    expect(merge).toBeDisabled();
    await user.clear(screen.getByLabelText("Similarity threshold"));
    await user.type(screen.getByLabelText("Similarity threshold"), "0.9");
    await user.selectOptions(screen.getByLabelText("Compare"), "topic");
    await user.click(merge);
    expect(await screen.findByTestId("operation-result")).toHaveTextContent("chats.merged v1 · 5 rows");
    expect(seen[0].body).toEqual({
      inputs: [
        { dataset: "chats", version: 2 },
        { dataset: "more", version: 4 },
      ],
      into: "chats.merged",
      dedup: "near",
      near: { threshold: 0.9, fields: ["topic"] },
    });
  });

  it("samples with a seed, stratified by a field of the schema", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([["POST /api/datasets/chats/sample", () => json(datasetVersion({ dataset: "chats.sample", row_count: 2 }), 201)]]);
    show(<SampleForm version={datasetVersion()} onMade={vi.fn()} />);
    expect(screen.getByLabelText("Rows")).toHaveValue(3);
    await user.clear(screen.getByLabelText("Rows"));
    await user.type(screen.getByLabelText("Rows"), "2");
    await user.clear(screen.getByLabelText("Seed"));
    await user.type(screen.getByLabelText("Seed"), "42");
    await user.selectOptions(screen.getByLabelText("Stratify by"), "topic");
    await user.click(screen.getByRole("button", { name: "Sample" }));
    expect(await screen.findByTestId("operation-result")).toHaveTextContent("chats.sample v1 · 2 rows");
    expect(seen[0].body).toEqual({ version: 1, n: 2, seed: 42, stratify_by: "topic", into: "chats.sample" });
  });

  it("splits with a seed and lists every split made", async () => {
    const user = userEvent.setup();
    const seen = routeFetch([
      [
        "POST /api/datasets/chats/split",
        () =>
          json(
            [
              datasetVersion({ id: 21, dataset: "chats.train", row_count: 8 }),
              datasetVersion({ id: 22, dataset: "chats.test", row_count: 2 }),
            ],
            201,
          ),
      ],
    ]);
    show(<SplitForm version={datasetVersion()} onMade={vi.fn()} />);
    await user.clear(screen.getByLabelText("validation"));
    await user.type(screen.getByLabelText("validation"), "0");
    await user.clear(screen.getByLabelText("Seed"));
    await user.type(screen.getByLabelText("Seed"), "7");
    await user.click(screen.getByRole("button", { name: "Split" }));
    const result = await screen.findByTestId("operation-result");
    expect(within(result).getAllByTestId("made-version").map((link) => link.textContent)).toEqual([
      "chats.train v1 · 8 rows",
      "chats.test v1 · 2 rows",
    ]);
    expect(seen[0].body).toEqual({ version: 1, fractions: { train: 0.8, test: 0.1 }, seed: 7 });
  });

  it("leaves out splits given 0 and refuses boxes without a number", () => {
    expect(splitFractions({ train: "0.9", validation: "0", test: "0.1" })).toEqual({ train: 0.9, test: 0.1 });
    expect(splitFractions({ train: "0" })).toBeNull();
    expect(splitFractions({ train: "0.9", test: "" })).toBeNull();
  });
});
