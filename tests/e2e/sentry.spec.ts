import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD } from "./support";

/**
 * With a DSN set, browser errors still reach Sentry now that its SDK loads on demand. The DSN
 * must be inlined at build time, so this spec makes its own build (into .test-data/, beside the
 * main one; ~30–60 s here) and serves it with the same orchestrator on its own ports, with a
 * local HTTP endpoint standing in for Sentry's ingest. The server is given SENTRY_DSN too.
 *
 * Why the browser side: it is what this change moved behind a dynamic import, and the server
 * side has no honest trigger (API routes turn unexpected errors into a 500 themselves, and no
 * existing route throws on any input; a test-only failing route would ship).
 */
test.describe.configure({ mode: "serial", timeout: 300_000 });

const PORT = Number(process.env.E2E_PORT ?? 3100) + 60;
const INGEST_PORT = PORT + 1;
const BASE = `http://127.0.0.1:${PORT}`;
const DSN = `http://publickey@127.0.0.1:${INGEST_PORT}/1`;
const DIST = ".test-data/next-sentry";

interface Envelope {
  path: string;
  items: unknown[];
}

let ingest: Server;
let app: ChildProcess | undefined;
const envelopes: Envelope[] = [];

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app?.exitCode != null) throw new Error(`the app exited with ${app.exitCode}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} was not ready within ${timeoutMs / 1000}s`);
}

test.beforeAll(async () => {
  // A second production build (with the DSN inlined) and a server: minutes on a busy 2-core machine.
  test.setTimeout(420_000);
  ingest = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const items = body.toString("utf8").split("\n").filter(Boolean).map((line) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          return line;
        }
      });
      envelopes.push({ path: req.url ?? "", items });
      res.writeHead(200, { "access-control-allow-origin": "*", "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => ingest.listen(INGEST_PORT, "127.0.0.1", resolve));

  const env = { ...process.env, NEXT_DIST_DIR: DIST, NEXT_PUBLIC_SENTRY_DSN: DSN, SENTRY_DSN: DSN, NEXT_TELEMETRY_DISABLED: "1" };
  const build = spawnSync("node_modules/.bin/next", ["build"], { env, encoding: "utf8", timeout: 240_000 });
  if (build.status !== 0) throw new Error(`the build with a DSN failed:\n${build.stdout}\n${build.stderr}`);

  app = spawn(
    "node_modules/.bin/tsx",
    ["--conditions=react-server", "scripts/dev.ts", "--production", "--port", String(PORT), "--data-dir", ".test-data/e2e-sentry", "--fresh"],
    { env: { ...env, LOG_LEVEL: "warn" }, stdio: "ignore" },
  );
  await waitForReady(`${BASE}/api/health/ready`, 120_000);
});

test.afterAll(async () => {
  if (app && app.exitCode === null) {
    app.kill("SIGTERM");
    await new Promise((r) => app!.once("exit", r));
  }
  await new Promise((r) => ingest?.close(r));
});

test("an uncaught browser error is reported to the configured Sentry DSN", async ({ page }) => {
  await page.goto(`${BASE}/login`);
  await page.getByLabel("Email").fill("operator@acme.test");
  await page.getByLabel("Password").fill(DEMO_PASSWORD());
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/");

  // The SDK arrives by dynamic import; once it has initialised it owns the global handlers.
  await page.waitForFunction(() => Boolean((globalThis as { __SENTRY__?: unknown }).__SENTRY__));
  await page.waitForTimeout(500);
  await page.evaluate(() => {
    setTimeout(() => {
      throw new Error("verbatim-sentry-e2e-probe");
    }, 0);
  });

  await expect
    .poll(() => envelopes.filter((e) => e.path.startsWith("/api/1/envelope/") && JSON.stringify(e.items).includes("verbatim-sentry-e2e-probe")).length, {
      timeout: 20_000,
    })
    .toBeGreaterThan(0);
  const sent = envelopes.find((e) => JSON.stringify(e.items).includes("verbatim-sentry-e2e-probe"))!;
  expect(sent.path).toContain("sentry_key=publickey");
});
