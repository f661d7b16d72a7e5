// What every browser scenario of tests/e2e shares: Debian's Chromium launched headless through
// playwright-core, one page, numbered screenshots in ARTIFACTS_DIR, named steps that save a
// screenshot when they fail, and the page's console errors collected.

import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

/** An environment variable the Rust test sets, or an error naming it. */
export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (tests/all/web_ui.rs sets it)`);
  return value;
};

/**
 * Opens the browser and one page. Answers `{browser, context, page, step, screenshot, byTestId,
 * consoleErrors, session}`; set `session.requestsFailOnPurpose` while a step makes requests fail
 * on purpose (the browser's own "Failed to load resource" lines are then expected).
 */
export async function openSession() {
  const artifacts = env("ARTIFACTS_DIR");
  fs.mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: env("CHROMIUM"),
    headless: true,
    // Root in a container needs --no-sandbox; the closed network refuses Chromium's background
    // connections, so they are switched off.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  // Generous: the browser shares a loaded machine with builds and other tests. Every wait is
  // for a condition, so a fast machine never waits this long.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const session = { requestsFailOnPurpose: false };
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    if (session.requestsFailOnPurpose && /^Failed to load resource/.test(message.text())) return;
    consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));

  let shot = 0;
  const screenshot = async (name) => {
    shot += 1;
    // Let transitions (the progress bar's width) settle first.
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(artifacts, `${String(shot).padStart(2, "0")}-${name}.png`) });
  };

  /** Runs one named step; on failure saves a screenshot of the whole page, then rethrows. */
  const step = async (name, body) => {
    const started = Date.now();
    try {
      await body();
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      console.log(`FAIL ${name}: ${error.message}`);
      await page.screenshot({ path: path.join(artifacts, `failed-${name.replace(/\W+/g, "-")}.png`), fullPage: true }).catch(() => {});
      throw error;
    }
  };

  const byTestId = (id) => page.getByTestId(id);
  return { browser, context, page, step, screenshot, byTestId, consoleErrors, session };
}
