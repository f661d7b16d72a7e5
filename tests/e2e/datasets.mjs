// The Datasets page end to end: playwright-core drives Debian's Chromium (headless) against a
// real `blockforge serve` started by tests/all/web_ui.rs (BASE_URL, ARTIFACTS_DIR, CHROMIUM).
// A bad file's error names its line; a chat file is previewed (detected as OpenAI chat) and
// saved; rows are filtered and one edited; the dataset is converted to ShareGPT, sampled
// (stratified), merged with its sample (exact duplicates dropped, then near-duplicates too) and split; exports are
// downloaded in every format and the card is shown; the Parquet export uploads again; a job's
// records are saved as a dataset from its card. What the page shows is checked against the API.
// Exits non-zero on the first failure.

import assert from "node:assert/strict";
import fs from "node:fs";
import { startSeedlessJob } from "./generator.mjs";
import { env, openSession } from "./session.mjs";

const BASE = env("BASE_URL");
const { browser, page, step, screenshot, byTestId, consoleErrors, session } = await openSession();

/** The API's JSON answer to `GET path`. */
const api = async (path) => {
  const response = await page.request.get(`${BASE}${path}`);
  assert.equal(response.status(), 200, `${path}: ${await response.text()}`);
  return response.json();
};

/** Every row of a dataset's version, through the API. */
const apiRows = async (name, version) => (await api(`/api/datasets/${name}/rows?version=${version}&limit=1000`)).rows.map((r) => r.row);

const TOPICS = ["billing", "returns"];
/** Twelve OpenAI-format chats, half about billing, half about returns. */
const CHATS = Array.from({ length: 12 }, (_, i) => ({
  messages: [
    { role: "user", content: `Question ${i}` },
    { role: "assistant", content: `Answer ${i}` },
  ],
  topic: TOPICS[i % 2],
}));

/** Waits for the version the page shows to be `version` of `name`. */
const showing = async (name, version) => {
  await page.locator(`[data-testid=dataset-detail][data-dataset="${name}"] [data-testid=selected-version][data-version="${version}"]`).waitFor();
};

/** Runs the operation form `operation` and answers the text of the versions it made. */
const runOperation = async (operation, fill) => {
  const form = byTestId(`${operation}-form`);
  await fill(form);
  await form.getByRole("button", { name: operation[0].toUpperCase() + operation.slice(1), exact: true }).click();
  const result = form.getByTestId("operation-result");
  await result.waitFor();
  return result.getByTestId("made-version").allInnerTexts();
};

/** Clicks a download link and answers the downloaded bytes. */
const download = async (locator) => {
  const [file] = await Promise.all([page.waitForEvent("download"), locator.click()]);
  return fs.readFileSync(await file.path());
};

let parquet;

try {
  await step("the Datasets page is in the navigation", async () => {
    await page.goto(`${BASE}/`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Datasets", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Datasets" }).waitFor();
    await page.getByText(/No datasets yet/).waitFor();
  });

  await step("a file that does not parse shows the server's error with its line", async () => {
    // The browser logs the 400 itself.
    session.requestsFailOnPurpose = true;
    await byTestId("dataset-file-input").setInputFiles({
      name: "broken.jsonl",
      mimeType: "application/x-ndjson",
      buffer: Buffer.from('{"a": 1}\n{"a": \n'),
    });
    const alert = byTestId("dataset-upload").getByRole("alert");
    await alert.filter({ hasText: "line 2" }).waitFor();
    assert.match(await alert.innerText(), /line\s*2/);
    assert.equal(await page.getByRole("button", { name: "Save dataset" }).isDisabled(), true);
    await screenshot("datasets-bad-file");
    session.requestsFailOnPurpose = false;
  });

  await step("upload: preview with the detected format, then save", async () => {
    await byTestId("dataset-file-input").setInputFiles({
      name: "support chats.jsonl",
      mimeType: "application/x-ndjson",
      buffer: Buffer.from(CHATS.map((c) => JSON.stringify(c)).join("\n") + "\n"),
    });
    const detected = byTestId("detected-format");
    await detected.waitFor();
    assert.equal(await detected.getAttribute("data-family"), "chat");
    assert.equal(await detected.getAttribute("data-format"), "openai");
    // The preview's first rows (the server's default, 10) and a header row.
    assert.equal(await byTestId("preview-rows").locator("tbody tr").count(), 10);
    const name = page.getByLabel("Dataset name");
    assert.equal(await name.inputValue(), "support_chats");
    await name.fill("chats");
    await screenshot("datasets-preview");
    await page.getByRole("button", { name: "Save dataset" }).click();
    await byTestId("upload-result").filter({ hasText: "chats v1 · 12 rows" }).waitFor();
    await showing("chats", 1);
    await byTestId("dataset-list").locator('[data-dataset="chats"]').waitFor();
    const { versions } = await api("/api/datasets/chats");
    assert.equal(versions.length, 1);
    assert.equal(versions[0].lineage.file_name, "support chats.jsonl");
  });

  await step("browse rows with a field filter and edit one (a new version)", async () => {
    await page.waitForFunction(() => /page 1 · 12 rows of 12/.test(document.querySelector("[data-testid=row-page-info]")?.textContent ?? ""));
    const filter = byTestId("row-filter");
    await filter.getByLabel("Field").selectOption("topic");
    await filter.getByLabel("Equals").fill("returns");
    await filter.getByRole("button", { name: "Filter", exact: true }).click();
    await page.waitForFunction(() => /6 rows matching of 12/.test(document.querySelector("[data-testid=row-page-info]")?.textContent ?? ""));
    // Only rows 1, 3, 5...: the odd positions are about returns.
    const positions = await byTestId("dataset-rows").locator("tbody tr").evaluateAll((rows) => rows.map((r) => Number(r.dataset.position)));
    assert.deepEqual(positions, [1, 3, 5, 7, 9, 11]);
    await page.getByRole("button", { name: "Edit row 1", exact: true }).click();
    const editor = page.getByRole("form", { name: "Edit row" });
    const edited = { ...CHATS[1], topic: "returns", note: "checked" };
    await editor.getByRole("textbox").fill(JSON.stringify(edited));
    await editor.getByRole("button", { name: "Save as a new version" }).click();
    await showing("chats", 2);
    const rows = await apiRows("chats", 2);
    assert.deepEqual(rows[1], edited);
    assert.equal((await apiRows("chats", 1))[1].note, undefined, "version 1 is kept as it was");
    await byTestId("version-list").locator('[data-version="2"] [data-testid=version-lineage]').filter({ hasText: "edit of chats v1" }).waitFor();
    await byTestId("row-filter").getByRole("button", { name: "Clear filter" }).click();
  });

  await step("convert to ShareGPT", async () => {
    const form = byTestId("convert-form");
    const made = await runOperation("convert", async () => {
      await form.getByLabel("To").selectOption("sharegpt");
    });
    assert.deepEqual(made, ["chats v3 · 12 rows"]);
    await showing("chats", 3);
    const rows = await apiRows("chats", 3);
    assert.deepEqual(rows[0].conversations, [
      { from: "human", value: "Question 0" },
      { from: "gpt", value: "Answer 0" },
    ]);
    assert.equal(rows[0].messages, undefined);
    assert.equal(rows[1].note, "checked", "other fields are kept");
    await byTestId("version-list").locator('[data-version="3"] [data-testid=version-lineage]').filter({ hasText: "convert of chats v2" }).waitFor();
    await screenshot("datasets-converted");
  });

  await step("sample, stratified by topic with a seed", async () => {
    const form = byTestId("sample-form");
    const made = await runOperation("sample", async () => {
      await form.getByLabel("Rows").fill("4");
      await form.getByLabel("Seed").fill("7");
      await form.getByLabel("Stratify by").selectOption("topic");
    });
    assert.deepEqual(made, ["chats.sample v1 · 4 rows"]);
    const topics = (await apiRows("chats.sample", 1)).map((r) => r.topic).sort();
    assert.deepEqual(topics, ["billing", "billing", "returns", "returns"]);
  });

  await step("merge with the sample, dropping exact duplicates", async () => {
    await byTestId("dataset-list").locator('[data-dataset="chats.sample"]').waitFor();
    const form = byTestId("merge-form");
    const made = await runOperation("merge", async () => {
      await form.getByLabel("chats.sample v1").check();
      await form.getByLabel("Into").fill("chats.all");
      await form.getByLabel("Duplicates").selectOption("exact");
    });
    // Every sampled row is already among chats v3's twelve.
    assert.deepEqual(made, ["chats.all v1 · 12 rows"]);
    const { versions } = await api("/api/datasets/chats.all");
    // Lineage names each input by dataset, version number and the version's id.
    const idOf = async (name, number) =>
      (await api(`/api/datasets/${name}`)).versions.find((v) => v.number === number).id;
    assert.deepEqual(versions[0].lineage.inputs, [
      { dataset: "chats", version: 3, id: await idOf("chats", 3) },
      { dataset: "chats.sample", version: 1, id: await idOf("chats.sample", 1) },
    ]);
    assert.deepEqual(versions[0].lineage.params, { dedup: "exact", dropped: { exact: 4 } });
  });

  await step("merge again, dropping near-duplicates at a threshold of 0.9", async () => {
    const form = byTestId("merge-form");
    await form.getByLabel("chats.sample v1").check();
    await form.getByLabel("Into").fill("chats.all");
    await form.getByLabel("Duplicates").selectOption("near");
    await form.getByLabel("Similarity threshold").fill("0.9");
    await form.getByRole("button", { name: "Merge", exact: true }).click();
    // The result of the merge before stays until this one answers: wait for the new version.
    // The chats differ in their numbers, so only the sample's exact copies go.
    await form.getByTestId("made-version").filter({ hasText: "chats.all v2 · 12 rows" }).waitFor();
    const { versions } = await api("/api/datasets/chats.all");
    assert.equal(versions[1].lineage.params.near.threshold, 0.9);
    assert.deepEqual(versions[1].lineage.params.dropped, { exact: 4, near: 0 });
  });

  await step("split into train, validation and test with a seed", async () => {
    const form = byTestId("split-form");
    const made = await runOperation("split", async () => {
      await form.getByLabel("train").fill("0.5");
      await form.getByLabel("validation").fill("0.25");
      await form.getByLabel("test").fill("0.25");
      await form.getByLabel("Seed").fill("1");
    });
    assert.deepEqual(made.sort(), ["chats.test v1 · 3 rows", "chats.train v1 · 6 rows", "chats.validation v1 · 3 rows"]);
    await screenshot("datasets-operations");
    // A split is a dataset of its own: its link shows it.
    await byTestId("split-form").getByRole("link", { name: "chats.train v1 · 6 rows" }).click();
    await showing("chats.train", 1);
    await byTestId("version-list").locator('[data-version="1"] [data-testid=version-lineage]').filter({ hasText: "split of chats v3" }).waitFor();
  });

  await step("export every format and the dataset card", async () => {
    await page.goto(`${BASE}/datasets?name=chats&version=3`);
    await showing("chats", 3);
    const exports = byTestId("dataset-export");
    const jsonl = (await download(exports.getByRole("link", { name: "JSONL", exact: true }))).toString("utf8");
    const lines = jsonl.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(lines, await apiRows("chats", 3));
    const json = JSON.parse((await download(exports.getByRole("link", { name: "JSON", exact: true }))).toString("utf8"));
    assert.equal(json.length, 12);
    const csv = (await download(exports.getByRole("link", { name: "CSV", exact: true }))).toString("utf8");
    assert.match(csv.split("\n")[0], /conversations/);
    parquet = await download(exports.getByRole("link", { name: "Parquet", exact: true }));
    assert.equal(parquet.subarray(0, 4).toString("latin1"), "PAR1");
    assert.equal(parquet.subarray(parquet.length - 4).toString("latin1"), "PAR1");

    await exports.getByLabel("License").fill("mit");
    await exports.getByLabel("Languages").fill("en");
    await exports.getByRole("button", { name: "Show card" }).click();
    const card = byTestId("dataset-card");
    await card.waitFor();
    const text = await card.innerText();
    assert.match(text, /^---\n/);
    assert.match(text, /license: mit/);
    // The card of one version (the page always names it) has that version as its one split,
    // and tells how it was made.
    assert.match(text, /name: train\s+num_examples: 12/);
    assert.match(text, /convert of `chats` v2/);
    const readme = (await download(exports.getByRole("link", { name: "Download card" }))).toString("utf8");
    assert.equal(readme.trim(), text.trim());
    await screenshot("datasets-export");
  });

  await step("the Parquet export uploads again", async () => {
    await byTestId("dataset-file-input").setInputFiles({ name: "chats-v3.parquet", mimeType: "application/octet-stream", buffer: parquet });
    const detected = byTestId("detected-format");
    await page.locator('[data-testid=detected-format][data-format="sharegpt"]').waitFor();
    assert.equal(await detected.getAttribute("data-family"), "chat");
    await page.getByLabel("Dataset name").fill("chats.roundtrip");
    await page.getByRole("button", { name: "Save dataset" }).click();
    await showing("chats.roundtrip", 1);
    // Parquet gives every row every column (a field a row lacks comes back null).
    const chat = ({ conversations, topic }) => ({ conversations, topic });
    assert.deepEqual((await apiRows("chats.roundtrip", 1)).map(chat), (await apiRows("chats", 3)).map(chat));
  });

  await step("a job's records are saved as a dataset from its card", async () => {
    await startSeedlessJob(page, BASE);
    const card = byTestId("job-card").first();
    await card.getByTestId("job-status").filter({ hasText: "completed" }).waitFor();
    const jobId = Number(await card.getAttribute("data-job-id"));
    await card.getByRole("button", { name: "Save as dataset" }).click();
    await card.getByLabel("Dataset name").fill("legal-scenarios");
    await card.getByLabel("Records").selectOption("all");
    await card.getByRole("button", { name: "Save", exact: true }).click();
    await card.getByTestId("job-dataset-saved").filter({ hasText: "legal-scenarios v1 · 4 rows" }).waitFor();
    await screenshot("job-saved-as-dataset");
    await card.getByRole("link", { name: "legal-scenarios v1 · 4 rows" }).click();
    await showing("legal-scenarios", 1);
    await byTestId("version-list").locator("[data-testid=version-lineage]").filter({ hasText: `job ${jobId} of pipeline scenarios` }).waitFor();
  });

  await step("no console errors", async () => {
    assert.deepEqual(consoleErrors, []);
  });
} finally {
  await browser.close();
}
