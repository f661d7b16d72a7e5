// blockforge's end-to-end browser test: playwright-core drives Debian's Chromium (headless)
// against a real `blockforge serve` and the fake LLM, both started by tests/all/web_ui.rs,
// which passes BASE_URL, PLUGINS_DIR, PLUGIN_WASM (a block to drop in), ARTIFACTS_DIR and
// CHROMIUM. It builds a 3-block pipeline by drag and drop, previews it, runs a job over an
// uploaded seed file, reviews records with the keyboard and edits one, exports JSONL and finds
// the edit, and sees a block dropped into the plugins folder appear in the palette. Every page
// is saved as a screenshot in ARTIFACTS_DIR. Exits non-zero on the first failure.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startSeedlessJob } from "./generator.mjs";
import { env, openSession } from "./session.mjs";

const BASE = env("BASE_URL");
const PLUGINS_DIR = env("PLUGINS_DIR");
const PLUGIN_WASM = env("PLUGIN_WASM");
const EDIT = "Edited in the browser test";

const { browser, context, page, step, screenshot, byTestId, consoleErrors, session } = await openSession();

/**
 * Waits until `locator`'s box stops moving (two readings 100 ms apart agree), however long the
 * canvas's fit-view animation takes on a busy machine, and returns the box.
 */
const settledBox = async (locator) => {
  let last = await locator.boundingBox();
  for (;;) {
    await page.waitForTimeout(100);
    const box = await locator.boundingBox();
    if (JSON.stringify(box) === JSON.stringify(last)) return box;
    last = box;
  }
};

/** Types into the CodeMirror editor inside `testId` (it closes brackets itself, and typing a
 * closing bracket steps over the one it inserted, so the text comes out as typed). */
const typeInCode = async (testId, text) => {
  await byTestId(testId).locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type(text);
};

/** Drags a palette block onto the centre of the element `targetTestId` with the mouse, as a
 * person does. (page.dragAndDrop onto a canvas node can scroll the page between pressing and
 * moving, when its hit check retries, so the drag would start on whatever is then under the
 * pointer.) Both boxes are read once they stop moving: after a drop the canvas fits its view
 * and the filtered palette re-lays out, and on a loaded machine a box read at once is stale. */
const dragBlockOnto = async (blockType, targetTestId) => {
  await findInPalette(blockType);
  const source = await settledBox(byTestId(`palette-item-${blockType}`));
  const target = await settledBox(byTestId(targetTestId));
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  // A first short move starts the drag on the item before the long move to the target.
  await page.mouse.move(source.x + source.width / 2 + 5, source.y + source.height / 2 + 5);
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 8 });
  await page.mouse.up();
  await byTestId("palette").getByRole("searchbox").fill("");
};

/** Searches the palette for `blockType`, as a person does in a long palette, so that its item
 * is in view and stays put while it is dragged; answers the item's box. */
const findInPalette = async (blockType) => {
  await byTestId("palette").getByRole("searchbox").fill(blockType);
  const item = byTestId(`palette-item-${blockType}`);
  await item.waitFor();
  return item.boundingBox();
};

let pipelineId;
let jobId;

try {
  await step("dashboard loads", async () => {
    await page.goto(`${BASE}/`);
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    await screenshot("dashboard");
  });

  await step("build a 3-block pipeline by drag and drop", async () => {
    await page.goto(`${BASE}/pipelines/new`);
    await byTestId("palette").waitFor();
    // Each block is dropped on an empty spot of the canvas, one under the other.
    for (const [index, type] of ["TextGenerator", "ValidatorBlock", "JSONValidatorBlock"].entries()) {
      await findInPalette(type);
      await page.dragAndDrop(`[data-testid=palette-item-${type}]`, "[data-testid=canvas]", {
        targetPosition: { x: 30, y: 20 + index * 130 },
      });
    }
    // Dropped blocks chain in order.
    for (const [index, type] of ["TextGenerator", "ValidatorBlock", "JSONValidatorBlock"].entries()) {
      assert.equal(await byTestId(`node-${index}`).getAttribute("data-block-type"), type);
    }
    await byTestId("node-3").waitFor({ state: "detached", timeout: 1_000 }).catch(() => {});
    assert.equal(await byTestId("node-3").count(), 0, "exactly three nodes");
  });

  await step("a block dropped on top of a node is added beside it, not lost", async () => {
    await dragBlockOnto("FieldMapper", "node-1");
    const added = byTestId("node-3");
    await added.waitFor();
    assert.equal(await added.getAttribute("data-block-type"), "FieldMapper");
    // Let the canvas fit the view, then check the new node covers none of the others.
    const box = await settledBox(added);
    for (const n of [0, 1, 2]) {
      const other = await byTestId(`node-${n}`).boundingBox();
      const apart =
        box.x >= other.x + other.width || other.x >= box.x + box.width || box.y >= other.y + other.height || other.y >= box.y + box.height;
      assert.ok(apart, `the dropped node covers node-${n}: ${JSON.stringify({ box, other })}`);
    }
    // It is selected: delete it again, leaving the three-block chain.
    await byTestId("inspector").getByRole("button", { name: "Delete block" }).click();
    await added.waitFor({ state: "detached" });
    for (const [index, type] of ["TextGenerator", "ValidatorBlock", "JSONValidatorBlock"].entries()) {
      assert.equal(await byTestId(`node-${index}`).getAttribute("data-block-type"), type);
    }
  });

  await step("configure the blocks", async () => {
    await byTestId("node-0").click();
    await byTestId("config-form").waitFor();
    await typeInCode("config-user_prompt", "Explain {{ topic }}");
    await byTestId("node-1").click();
    await byTestId("inspector").getByLabel("Min length").fill("5");
    await byTestId("pipeline-name").fill("browser pipeline");
    await screenshot("editor");
  });

  await step("save the pipeline", async () => {
    await byTestId("save-pipeline").click();
    await page.waitForURL(/\/pipelines\/\d+$/);
    pipelineId = Number(new URL(page.url()).pathname.split("/").pop());
    const saved = await (await page.request.get(`${BASE}/api/pipelines/${pipelineId}`)).json();
    const blocks = saved.definition.blocks;
    assert.deepEqual(
      blocks.map((b) => b.type),
      ["TextGenerator", "ValidatorBlock", "JSONValidatorBlock"],
    );
    assert.equal(blocks[0].config.user_prompt, "Explain {{ topic }}");
    assert.equal(blocks[1].config.min_length, 5);
    assert.match(await byTestId("yaml-view").innerText(), /TextGenerator/);
  });

  await step("preview on one seed with the trace step by step", async () => {
    await byTestId("preview-seed").fill('{"topic": "wasm"}');
    await byTestId("run-preview").click();
    await page.waitForFunction(
      () => document.querySelector("[data-testid=preview-result]")?.textContent?.includes("Echo: Explain wasm"),
    );
    for (const n of [0, 1, 2]) await byTestId(`trace-step-${n}`).waitFor();
    await screenshot("preview");
  });

  await step("a block dropped into the plugins folder appears in the palette without a reload", async () => {
    assert.equal(await byTestId("palette-item-Stamp").count(), 0);
    fs.copyFileSync(PLUGIN_WASM, path.join(PLUGINS_DIR, "stamp.wasm"));
    await byTestId("palette-item-Stamp").waitFor({ timeout: 60_000 });
    await screenshot("palette-with-plugin");
  });

  await step("the default job concurrency is set in Settings and used by the generator", async () => {
    await page.goto(`${BASE}/settings`);
    const defaults = byTestId("server-defaults");
    const input = defaults.getByLabel(/Job concurrency/);
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=server-defaults] input")?.value === "16",
    );
    await input.fill("3");
    await defaults.getByRole("button", { name: "Save defaults" }).click();
    await defaults.getByRole("status").waitFor();
    const stored = await (await page.request.get(`${BASE}/api/settings`)).json();
    assert.equal(stored.default_concurrency, 3);
    await page.goto(`${BASE}/generator?pipeline_id=${pipelineId}`);
    await page.waitForFunction(() => document.querySelector("input[type=number]")?.value === "3");
  });

  await step("upload seeds and run a job to 100%", async () => {
    await page.goto(`${BASE}/generator?pipeline_id=${pipelineId}`);
    // Seeds without the field the pipeline reads: the check's errors are listed per seed and
    // Start stays disabled.
    await byTestId("seed-file-input").setInputFiles({
      name: "bad.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("subject\nrust\n"),
    });
    await page.waitForFunction(() => /Seeds have errors/.test(document.querySelector("[data-testid=seed-report]")?.textContent ?? ""));
    await byTestId("seed-report").getByText("seed 1: missing topic").waitFor({ state: "attached" });
    assert.equal(await page.getByRole("button", { name: "Start" }).isDisabled(), true);
    const seeds = ["rust", "wasm", "sqlite", "axum", "tokio"].map((topic) => ({ repetitions: 2, metadata: { topic } }));
    await byTestId("seed-file-input").setInputFiles({
      name: "seeds.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(seeds)),
    });
    await page.waitForFunction(() => /10/.test(document.querySelector("[data-testid=seed-report]")?.textContent ?? ""));
    const start = page.getByRole("button", { name: "Start" });
    await start.waitFor();
    await page.waitForFunction(() => {
      const button = [...document.querySelectorAll("button")].find((b) => b.textContent === "Start");
      return button && !button.disabled;
    });
    await start.click();
    const card = byTestId("job-card").first();
    await card.waitFor();
    jobId = Number(await card.getAttribute("data-job-id"));
    const job = await (await page.request.get(`${BASE}/api/jobs/${jobId}`)).json();
    assert.equal(job.options.concurrency, 3, "the generator sent the server's default");
    await page.waitForFunction(
      (id) => document.querySelector(`[data-testid=job-progress][data-job-id="${id}"]`)?.getAttribute("aria-valuenow") === "100",
      jobId,
      { timeout: 60_000 },
    );
    await page.waitForFunction(() => document.querySelector("[data-testid=job-status]")?.textContent?.includes("completed"));
    await byTestId("jobs-indicator").waitFor();
    // The finished job's quality report: what the two validators found, as the API counts it.
    const report = card.getByTestId("quality-report");
    await report.waitFor();
    const done = await (await page.request.get(`${BASE}/api/jobs/${jobId}`)).json();
    assert.equal(done.quality.checked, 10, JSON.stringify(done.quality));
    assert.equal(await report.getByTestId("pass-rate").innerText(), `${Math.round(done.quality.pass_rate * 1000) / 10}%`);
    assert.equal(await report.getByTestId("quality-blocks").locator("tbody tr").count(), done.quality.blocks.length);
    await screenshot("generator");
  });

  await step("review records with the keyboard and edit one", async () => {
    await page.goto(`${BASE}/review?job_id=${jobId}`);
    const status = byTestId("record-status");
    await byTestId("record-view").waitFor();
    const first = await byTestId("record-view").getAttribute("data-record-id");
    // The record's trace, the same view as the editor's preview: one step per block.
    const trace = byTestId("trace-viewer");
    for (const n of [0, 1, 2]) await trace.getByTestId(`trace-step-${n}`).waitFor();
    assert.match(await trace.getByTestId("trace-step-0").innerText(), /TextGenerator[\s\S]*in \/ \d+ out tokens/);
    await page.keyboard.press("a");
    await page.waitForFunction(() => document.querySelector("[data-testid=record-status]")?.textContent === "accepted");
    await page.keyboard.press("n");
    await page.waitForFunction(
      (id) => document.querySelector("[data-testid=record-view]")?.getAttribute("data-record-id") !== id,
      first,
    );
    await page.keyboard.press("r");
    await page.waitForFunction(() => document.querySelector("[data-testid=record-status]")?.textContent === "rejected");
    await page.keyboard.press("p");
    await page.waitForFunction(
      (id) => document.querySelector("[data-testid=record-view]")?.getAttribute("data-record-id") === id,
      first,
    );
    assert.equal(await status.textContent(), "accepted");
    await page.keyboard.press("n");
    await page.keyboard.press("n");
    await page.keyboard.press("e");
    const editor = page.getByRole("form", { name: "Edit record" });
    await editor.waitFor();
    await editor.locator("textarea[name=assistant]").fill(EDIT);
    // Seed metadata is editable too, and fields can be added.
    await editor.locator("textarea[name='metadata.topic']").fill("edited topic");
    const fields = editor.getByRole("group", { name: "Fields (final state)" });
    await fields.getByLabel("New field").fill("reviewer_note");
    await fields.getByRole("button", { name: "Add field" }).click();
    await editor.locator("textarea[name=reviewer_note]").fill("checked in the browser");
    await editor.getByRole("button", { name: "Save" }).click();
    await page.waitForFunction(() => document.querySelector("[data-testid=record-status]")?.textContent === "edited");
    await page.keyboard.press("?");
    await byTestId("review-keys").waitFor();
    await screenshot("review");
    await page.keyboard.press("Escape");
    await byTestId("review-keys").waitFor({ state: "hidden" });
  });

  await step("export JSONL carries the edit", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "JSONL", exact: true }).click(),
    ]);
    const file = await download.path();
    const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(lines.length, 10, "one line per run of the job");
    const edited = lines.filter((line) => JSON.stringify(line).includes(EDIT));
    assert.equal(edited.length, 1, "the edited record carries the edit");
    assert.equal(edited[0].metadata.topic, "edited topic", "the metadata edit is exported");
    assert.equal(edited[0].accumulated_state.reviewer_note, "checked in the browser", "the added field is exported");
  });

  await step("plugins, settings and dashboard pages", async () => {
    await page.goto(`${BASE}/plugins`);
    await byTestId("plugin-list").locator("[data-block-type=Stamp]").waitFor();
    await screenshot("plugins");
    // The dropped-in plugin's grant: shown, edited, saved, and read back by the API.
    await byTestId("plugin-list").locator("[data-block-type=Stamp]").getByTestId("grants-open").click();
    const editor = byTestId("grants-editor");
    await editor.getByText("Grants of plugin stamp").waitFor();
    await editor.getByLabel("Memory (MiB)").fill("64");
    await editor.getByRole("button", { name: "Save grants" }).click();
    await editor.getByRole("status").waitFor();
    await screenshot("plugins-grants");
    const stored = await (await fetch(`${BASE}/api/plugins/stamp/grants`)).json();
    assert.equal(stored.stored, true, "the grant is stored");
    assert.equal(stored.grant.limits.memory_bytes, 64 * 1024 * 1024, "the memory limit is saved in bytes");
    await page.goto(`${BASE}/settings`);
    await byTestId("llm-model-list").waitFor();
    await screenshot("settings");
    await page.goto(`${BASE}/`);
    await byTestId("status-counts").waitFor();
    // The finished job's pass rate is charted with the other recent jobs'.
    await byTestId("recent-quality").locator(`[data-testid=pass-rate-bar][data-job-id="${jobId}"]`).waitFor();
    await screenshot("dashboard-after");
    await page.setViewportSize({ width: 420, height: 800 });
    await page.goto(`${BASE}/review?job_id=${jobId}`);
    await byTestId("record-view").waitFor();
    await screenshot("review-narrow");
  });

  await step("a pipeline that starts with a seeder runs without a seed file", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await startSeedlessJob(page, BASE);
    // The earlier job's card is listed until the new one arrives: wait for the new one.
    const newCard = await page.waitForFunction(
      (earlier) =>
        [...document.querySelectorAll("[data-testid=job-card]")]
          .map((card) => card.getAttribute("data-job-id"))
          .find((id) => id !== null && id !== String(earlier)) ?? null,
      jobId,
      { timeout: 60_000 },
    );
    const seedlessJob = Number(await newCard.jsonValue());
    assert.notEqual(seedlessJob, jobId);
    await page.waitForFunction(
      (id) => document.querySelector(`[data-testid=job-card][data-job-id="${id}"] [data-testid=job-status]`)?.textContent === "completed",
      seedlessJob,
      { timeout: 60_000 },
    );
    const job = await (await page.request.get(`${BASE}/api/jobs/${seedlessJob}`)).json();
    assert.equal(job.options.seedless, true);
    assert.equal(job.records_generated, 4);
  });

  await step("every page shows the API's errors and recovers", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    session.requestsFailOnPurpose = true;
    // Ids that name nothing: the server's 404 is shown, not an empty page.
    const missing = 999999;
    const notFound = [
      [`/review?job_id=${missing}`, `job ${missing} not found`],
      [`/review?pipeline_id=${missing}`, `pipeline ${missing} not found`],
      [`/pipelines/${missing}`, `pipeline ${missing} not found`],
      [`/generator?pipeline_id=${missing}`, `There is no pipeline #${missing}`],
    ];
    for (const [where, message] of notFound) {
      await page.goto(`${BASE}${where}`);
      await page.getByRole("alert").filter({ hasText: message }).first().waitFor();
    }
    await screenshot("review-missing-job");
    // The server out of reach: every page says so (each page's code is loaded first, online).
    const pages = ["Dashboard", "Pipelines", "Generator", "Review", "Datasets", "Plugins", "Settings"];
    await page.goto(`${BASE}/`);
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const name of pages) {
      await nav.getByRole("link", { name, exact: true }).click();
      await page.getByRole("heading", { level: 1, name }).waitFor();
      await page.locator(".loading").first().waitFor({ state: "detached" }).catch(() => {});
    }
    await context.setOffline(true);
    try {
      for (const name of pages) {
        await nav.getByRole("link", { name, exact: true }).click();
        await page.getByRole("heading", { level: 1, name }).waitFor();
        await page.getByRole("alert").filter({ hasText: "cannot reach the server" }).first().waitFor();
        if (name === "Review") {
          assert.equal(await byTestId("review-page-info").textContent(), "Records unavailable");
          await screenshot("review-offline");
        }
      }
    } finally {
      await context.setOffline(false);
    }
    // Retry reads again once the server answers.
    await page.getByRole("alert").getByRole("button", { name: "Retry" }).first().click();
    await byTestId("llm-model-list").waitFor();
    session.requestsFailOnPurpose = false;
  });

  await step("no console errors", async () => {
    assert.deepEqual(consoleErrors, []);
  });
} finally {
  await browser.close();
}
