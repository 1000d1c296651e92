import { expect, test } from "@playwright/test";
import { runStormProcess, startClusterProcess, type RunningCluster } from "@/scripts/cluster-client";
import { signWebhook } from "@/scripts/simulator/webhook-sender";
import { DEMO_PASSWORD } from "./support";

/**
 * Verbatim on more than one server (docs/adr/0031): `npm run cluster` with two app processes and
 * two job workers on one fresh database, a balancer in front as PUBLIC_BASE_URL, its own ports
 * (E2E_PORT + 10 … + 15) and data directory. A storm of calls placed and called back through
 * both instances, 2,000 calls duplicated and out of order (scripts/cluster-storm.ts; `npm run
 * bench:cluster` runs the same storm and prints its figures); a browser on instance A following
 * calls that instance B updates; sign-in limits counted across both.
 */
const BASE = Number(process.env.E2E_PORT ?? 3100) + 10;
const DATA = ".test-data/cluster";
// Issue 19's storm: 2,000 calls (two to four minutes here); `npm run bench:cluster` runs the same
// storm and prints its rates and times.
const STORM_CALLS = 2_000;
const SILENT = "+15005550004";

let cluster: RunningCluster;

test.describe.configure({ mode: "serial", timeout: 600_000 });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  cluster = await startClusterProcess({
    apps: 2,
    workers: 2,
    port: BASE,
    carrierPort: BASE + 3,
    pgPort: BASE + 4,
    transcriberPort: BASE + 5,
    dataDir: DATA,
    fresh: true,
    env: { LOG_LEVEL: "warn" },
  });
});

test.afterAll(async () => {
  await cluster?.stop();
});

test(`a storm of ${STORM_CALLS} calls through both instances: every call as the carrier said, every seal job once, every log verifies`, async () => {
  const { report, output } = await runStormProcess(DATA, { calls: STORM_CALLS });
  expect(report.problems, output).toEqual([]);
  expect(report.ok).toBe(true);
  // The work was shared: both instances placed calls and took callbacks, both workers sealed.
  const [a, b] = cluster.info.apps;
  for (const app of [a!, b!]) {
    expect(report.placement.perInstance[app.name]).toBeGreaterThan(0);
    expect(report.callbacks.perInstance[app.name]).toBeGreaterThan(0);
  }
  for (const worker of cluster.info.workers) expect(report.jobs.perWorker[worker.name], JSON.stringify(report.jobs)).toBeGreaterThan(0);
  // Duplicates and reordering did happen, and changed nothing.
  expect(report.callbacks.duplicates).toBeGreaterThan(STORM_CALLS / 2);
  expect(report.callbacks.outOfOrder).toBeGreaterThan(STORM_CALLS / 2);
  expect(report.placement.repeats).toBeGreaterThan(0);
  expect(report.placement.carrierCreates).toBe(STORM_CALLS);
  expect(report.mismatches).toBe(0);
  // Each call's seal_call job (one job key per call, run 2 s out) ran exactly once, in one worker.
  expect(report.jobs.keysRunOnce).toBe(STORM_CALLS);
  expect(report.jobs.jobIdsRunMoreThanOnce).toBe(0);
  expect(report.sealing.callsWithOneVersion).toBe(STORM_CALLS);
  // Gap-free logs that verify, one leaf per call; one evidence key and TSA, created once.
  expect(report.logs.reduce((n, l) => n + l.leaves, 0)).toBe(STORM_CALLS);
  expect(report.logs.every((l) => l.ok)).toBe(true);
  expect(report.evidenceKeys).toEqual({ instances: 2, sameKeys: true, sameTsa: true });
});

test("a browser on instance A sees a call that instance B updates, live", async ({ browser }) => {
  const [a, b] = cluster.info.apps;
  const context = await browser.newContext({ baseURL: a!.url });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill("operator@acme.test");
  await page.getByLabel("Password").fill(DEMO_PASSWORD());
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "live");

  // Placed on A; the simulator's silent number accepts it and reports nothing itself.
  const placed = page.waitForResponse((r) => r.url().endsWith("/api/calls") && r.request().method() === "POST");
  await page.getByLabel("Phone number").fill(SILENT);
  await page.getByRole("button", { name: "Place call" }).click();
  const response = await placed;
  expect(response.status()).toBe(201);
  const callId = ((await response.json()) as { call: { id: string } }).call.id;
  const row = page.locator(`[data-call-id="${callId}"]`);
  await expect(row).toBeVisible();

  // The carrier's callbacks reach instance B only (signed for PUBLIC_BASE_URL, as SignalWire signs them).
  const calls = (await (await fetch(`${cluster.info.carrier!.url}/__control/calls`)).json()) as { sid: string; request: { url?: string } }[];
  const sid = calls.find((c) => c.request.url?.includes(callId))!.sid;
  const path = `/api/webhooks/signalwire/${callId}/status`;
  const report = async (status: string, seq: number, extra: Record<string, string> = {}) => {
    const params = { CallSid: sid, CallStatus: status, SequenceNumber: String(seq), Direction: "outbound-api", Timestamp: new Date().toUTCString(), ...extra };
    const res = await fetch(`${b!.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-signalwire-signature": signWebhook(cluster.info.carrier!.signingKey, `${cluster.info.publicBaseUrl}${path}`, params) },
      body: new URLSearchParams(params),
    });
    expect(res.status).toBe(204);
  };
  await report("ringing", 1);
  await expect(row.getByTestId("call-status")).toHaveText("Ringing");
  await report("completed", 4, { CallDuration: "12" });
  await expect(row.getByTestId("call-status")).toHaveText("Completed");
  // Nothing reloaded the page: the one live stream A holds carried both notices.
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "live");
  expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
  await context.close();
});

test("sign-in limits hold across both instances: failures on A count on B", async ({ playwright }) => {
  const [a, b] = cluster.info.apps;
  const contexts = await Promise.all([a!, b!].map((app) => playwright.request.newContext({ baseURL: app.url })));
  const signIn = (i: number, password: string) => contexts[i % 2]!.post("/api/auth/sign-in", { data: { email: "viewer@acme.test", password } });
  // Ten failures in a row, alternating: five on each instance, so neither saw ten on its own.
  for (let i = 0; i < 10; i++) expect((await signIn(i, `wrong password ${i}`)).status()).toBe(401);
  // The right password is now refused on both, for 15 minutes.
  for (const i of [0, 1]) {
    const refused = await signIn(i, DEMO_PASSWORD());
    expect(refused.status()).toBe(429);
    expect(Number(refused.headers()["retry-after"])).toBeGreaterThan(800);
  }
  await Promise.all(contexts.map((c) => c.dispose()));
});

test("webhook limits hold across both instances: forged callbacks on A and B share one budget", async () => {
  const [a, b] = cluster.info.apps;
  const callId = crypto.randomUUID();
  const path = `/api/webhooks/signalwire/${callId}/status`;
  const forged = (app: { url: string }) => {
    const params = { CallSid: "CAforged", CallStatus: "completed", SequenceNumber: "4" };
    return fetch(`${app.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-signalwire-signature": signWebhook("PSK_guessed", `${cluster.info.publicBaseUrl}${path}`, params) },
      body: new URLSearchParams(params),
    });
  };
  // Twenty unverifiable requests from one address (WEBHOOK_LIMITS.failedPerSource) are answered 403, ten on each instance…
  for (let i = 0; i < 20; i++) expect((await forged(i % 2 ? b! : a!)).status).toBe(403);
  // …and the next is 429 on either: neither instance saw more than ten.
  expect((await forged(a!)).status).toBe(429);
  expect((await forged(b!)).status).toBe(429);
});
