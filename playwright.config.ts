import { defineConfig } from "@playwright/test";

/**
 * Browser tests against the production build, served by the same orchestrator as `npm start`
 * on a fresh embedded Postgres. Chromium is Debian's (/usr/bin/chromium): Playwright never
 * downloads a browser here.
 */
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
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
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
