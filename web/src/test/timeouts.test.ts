import { getConfig } from "@testing-library/react";
import config from "../../vite.config";

/**
 * The suite runs on shared, loaded machines: a test or a `waitFor` that needs a few seconds
 * there must not fail. These bounds were 5 s and 1 s (the defaults) and failed `make test`.
 */
describe("test timeouts", () => {
  it("gives each test and hook at least 30 s", () => {
    expect(config.test?.testTimeout ?? 5_000).toBeGreaterThanOrEqual(30_000);
    expect(config.test?.hookTimeout ?? 10_000).toBeGreaterThanOrEqual(30_000);
  });

  it("lets waitFor and findBy poll for at least 10 s", () => {
    expect(getConfig().asyncUtilTimeout).toBeGreaterThanOrEqual(10_000);
  });
});
