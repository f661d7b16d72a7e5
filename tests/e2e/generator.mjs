// A job started in the Generator page without a seed file, shared by the browser scenarios.

/**
 * Saves a pipeline that starts with ScenarioSampler (4 legal scenarios, seed 1) through the
 * API, opens the Generator on it and presses Start once it is enabled. Answers the pipeline.
 */
export async function startSeedlessJob(page, base) {
  const created = await (
    await page.request.post(`${base}/api/pipelines`, {
      data: { name: "scenarios", blocks: [{ type: "ScenarioSampler", config: { preset: "legal", count: 4, seed: 1 } }] },
    })
  ).json();
  await page.goto(`${base}/generator?pipeline_id=${created.id}`);
  await page.getByTestId("seedless-note").waitFor();
  await page.waitForFunction(() => {
    const button = [...document.querySelectorAll("button")].find((b) => b.textContent === "Start");
    return button && !button.disabled;
  });
  await page.getByRole("button", { name: "Start" }).click();
  return created;
}
