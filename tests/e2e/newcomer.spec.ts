import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, placeCallFromPage, watchPolicyViolations } from "./support";

/**
 * The README's first command as a newcomer meets it: `npm run dev` (the development server, not
 * the production build the other specs use) on a fresh data directory, then one call placed from
 * the page that shows everything at once — issue 16's acceptance. The owner makes the seeded
 * shopper script the default in Settings, ticks Transcribe and Translate, and calls the
 * simulator's helpful number: the call ends with its recording playable, a transcript of both
 * parties, the Spanish translation, a scorecard and a sealed manifest listing them all.
 */
const PORT = Number(process.env.E2E_PORT ?? 3100) + 70;
const BASE = `http://127.0.0.1:${PORT}`;

let server: { child: ChildProcess; output: () => string } | undefined;

test.describe.configure({ timeout: 420_000 });

test.beforeAll(async () => {
  let out = "";
  const child = spawn(
    "node_modules/.bin/tsx",
    ["--conditions=react-server", "scripts/dev.ts", "--port", String(PORT), "--data-dir", ".test-data/newcomer", "--fresh"],
    // Its own build directory: a development server's files left in .next/dev would send a
    // person's own `npm run dev` after `npm test` into a reload loop.
    { env: { ...process.env, LOG_LEVEL: "warn", NEXT_TELEMETRY_DISABLED: "1", CARRIER_SIMULATOR_DELAY_MS: "300", NEXT_DIST_DIR: ".test-data/newcomer-next" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  server = { child, output: () => out };
  const deadline = Date.now() + 300_000;
  while (!out.includes("Verbatim is running")) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`npm run dev was not ready in time:\n${out}`);
    await new Promise((r) => setTimeout(r, 500));
  }
});

test.afterAll(async () => {
  const child = server?.child;
  if (!child || child.exitCode !== null) return;
  child.kill("SIGINT");
  await new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", () => resolve(clearTimeout(force)));
  });
});

test("npm run dev: a call to +15005550009 placed from the page ends with recording, transcript, translation, score and a sealed manifest", async ({ page }) => {
  expect(server!.output()).toContain("speech synthesis: eSpeak NG (WebAssembly) is ready");
  // The development policy (eval for React's debugging, Turbopack's websocket and styles) lets the page work.
  const violations = await watchPolicyViolations(page);

  await page.goto(`${BASE}/login`);
  await page.getByLabel("Email").fill("owner@acme.test");
  await page.getByLabel("Password").fill(DEMO_PASSWORD());
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/", { timeout: 120_000 });
  await expect(page.getByText("simulated carrier")).toBeVisible();
  await expect(page.getByTestId("carrier-notice")).toHaveCount(0);

  // Settings opens and stays open in development too (React runs its effects twice there).
  const settings = page.getByRole("button", { name: "Settings", exact: true });
  await expect(settings).toBeEnabled({ timeout: 120_000 });
  await settings.click();
  const dialog = page.getByRole("dialog", { name: "Settings" });
  await expect(dialog).toBeVisible({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  await expect(dialog).toBeVisible();
  await dialog.getByRole("tab", { name: "Surveys and shopper scripts" }).click();
  await dialog.getByRole("button", { name: "Use as default shopper script: Front desk check" }).click({ timeout: 60_000 });
  await expect(page.getByText("“Front desk check” version 1 is now the default shopper script.")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  await page.getByLabel("Shopper script", { exact: true }).check();
  await expect(page.getByLabel("Shopper script version")).toContainText("Front desk check v1 (default)");
  await page.getByLabel("Transcribe", { exact: true }).check();
  await page.getByLabel("Translate", { exact: true }).check();
  const callId = await placeCallFromPage(page, "+15005550009");

  // On the page: the conversation, the Spanish translation, the scorecard.
  const detail = page.getByTestId("call-detail");
  await expect(detail).toHaveAttribute("data-detail-call-id", callId);
  await expect(detail.getByTestId("scorecard-score")).toBeVisible({ timeout: 180_000 });
  await expect(detail.getByTestId("call-transcript")).toContainText("appointment");
  await expect(detail.locator('[data-testid="transcript-translation"][data-language="es"]')).toBeVisible();
  expect(await detail.getByTestId("transcript-utterance").count()).toBeGreaterThanOrEqual(4);

  // The recording plays: the signed link the page's player loads serves the stored bytes.
  const link = await page.request.get(`${BASE}/api/calls/${callId}/recording`);
  expect(link.status()).toBe(200);
  const media = (await link.json()) as { url: string; sha256: string; bytes: number };
  const audio = await page.request.get(new URL(media.url, BASE).toString());
  expect(audio.status()).toBe(200);
  expect(audio.headers()["content-type"]).toMatch(/^audio\//);
  const bytes = await audio.body();
  expect(bytes.length).toBe(media.bytes);
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(media.sha256);

  // The sealed manifest lists them (read from its signed JWS), with nothing missing.
  let manifest: { artifacts: Array<{ kind: string; language: string | null }>; missing: unknown[] } | undefined;
  await expect.poll(async () => {
    const res = await page.request.get(`${BASE}/api/calls/${callId}/evidence/versions`);
    const versions = ((await res.json()) as { versions: Array<{ jws: string }> }).versions;
    const jws = versions.at(-1)?.jws;
    manifest = jws ? JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString("utf8")) : undefined;
    return manifest?.artifacts.map((a) => (a.kind === "translation" ? `translation:${a.language}` : a.kind)).sort() ?? [];
  }, { timeout: 120_000 }).toEqual(expect.arrayContaining(["recording", "score", "transcript", "translation:es"]));
  expect(manifest!.missing).toEqual([]);
  expect(violations).toEqual([]);
});
