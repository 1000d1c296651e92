import { defineConfig } from "@playwright/test";
import { BrowserNotFoundError, resolveBrowser } from "./tests/support/chromium";

/**
 * Browser tests against the production build, served by the same orchestrator as `npm start`
 * on a fresh embedded Postgres. Playwright never downloads a browser: tests/support/chromium.ts
 * picks CHROMIUM_PATH, a system Chromium/Chrome, or the headless Chromium of @sparticuz/chromium.
 */
const browser = await resolveBrowser().catch((error: unknown) => {
  // One plain message before anything starts, instead of every test failing at launch.
  if (!(error instanceof BrowserNotFoundError)) throw error;
  console.error(`\n${error.message}\n`);
  process.exit(1);
});
// Workers load this file again and inherit the environment: announce the choice once.
if (!process.env.E2E_BROWSER_ANNOUNCED) {
  process.env.E2E_BROWSER_ANNOUNCED = "1";
  console.error(`e2e browser: ${browser.label}`);
}

const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "tests/e2e",
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"]] : [["list"]],
  use: {
    baseURL,
    browserName: "chromium",
    trace: "retain-on-failure",
    launchOptions: {
      ...browser.launchOptions,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    command: `node_modules/.bin/tsx --conditions=react-server scripts/dev.ts --production --port ${port} --data-dir .test-data/e2e --fresh`,
    url: `${baseURL}/api/health/ready`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    // Slow enough pacing that a person (and the test) can see each status on the page.
    env: { NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn", CARRIER_SIMULATOR_DELAY_MS: "1200" },
  },
});
