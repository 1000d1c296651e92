import { gzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";
import { scriptUrls } from "@/scripts/page-scripts";
import { signIn } from "./support";

/**
 * The Voice Operations page ships at most 151 kB (151,000 bytes) of gzip JavaScript on first
 * load with no Sentry DSN set (the e2e server is built without one): the scripts its HTML makes
 * the browser download (scripts/page-scripts.ts, as `npm run bench:page-weight` counts them),
 * gzipped with node:zlib at the default level. What loads after hydration on its own (the
 * realtime client, panels only owners and admins see) is held to a second budget, measured from
 * what Chromium actually loaded once the page settled, so nothing grows unnoticed behind a lazy
 * import. As the owner (who also sees Settings) and as an operator.
 *
 * Measured at the time of writing: first load ~149 kB, of which ~136 kB is Next.js and React
 * themselves (router, RSC client, react-dom). Without Sentry gated it was ~266 kB.
 *
 * The budget was 150 kB until the app's module count made Turbopack's module ids one digit
 * longer (docs/adr/0041): every `require` of every first-load chunk grew by a byte, 149.8 →
 * 150.2 kB with no first-load code added. The kilobyte allowed for that is the bundler's.
 */
const FIRST_LOAD_BUDGET = 151_000;
const SETTLED_BUDGET = 165_000;
/**
 * A selected call with its transcript open (issue 11's detail panel), measured as an owner:
 * 166.1 kB at the time of writing. Over `/`'s settled 157.4 kB it adds the detail (3.9 kB) and
 * what a transcribed call shows (transcript 2.3, its loader 1.5, the player 0.9), the last three
 * already loaded before this issue whenever a row's transcript was opened, unmeasured then.
 * Word-by-word sync of the transcript to the player (issue 16: the word being said, found by
 * binary search, seeking by word, search hits kept inside words) brought it to 171.2 kB.
 */
const DETAIL_SETTLED_BUDGET = 175_000;

async function gzipSizes(request: import("@playwright/test").APIRequestContext, urls: Iterable<string>) {
  let total = 0;
  const sizes: string[] = [];
  for (const url of new Set(urls)) {
    const res = await request.get(url, { headers: { "accept-encoding": "identity" } });
    expect(res.ok(), url).toBe(true);
    const gzip = gzipSync(await res.body()).length;
    total += gzip;
    sizes.push(`${(gzip / 1000).toFixed(1)} kB ${new URL(url).pathname}`);
  }
  return { total, sizes };
}

for (const email of ["owner@acme.test", "operator@acme.test"]) {
  test(`/ loads at most 151 kB of gzip JavaScript, signed in as ${email}`, async ({ page, request }) => {
    await signIn(page, email);
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Voice Operations" })).toBeVisible();
    await page.waitForLoadState("networkidle");
    const scripts = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => e.name).filter((name) => new URL(name).pathname.endsWith(".js")),
    );
    expect(scripts.length).toBeGreaterThan(0);
    const html = await (await page.request.get("/")).text();
    const firstLoad = scriptUrls(html, page.url());
    expect(firstLoad.length).toBeGreaterThan(0);
    const first = await gzipSizes(request, firstLoad);
    const settled = await gzipSizes(request, scripts);
    const figure = `${(first.total / 1000).toFixed(1)} kB gzip JavaScript on first load of / as ${email}; ${(settled.total / 1000).toFixed(1)} kB once settled`;
    test.info().annotations.push({ type: "page-weight", description: figure });
    console.log(`${figure}\n  ${first.sizes.join("\n  ")}`);
    expect(first.total, first.sizes.join("\n")).toBeLessThanOrEqual(FIRST_LOAD_BUDGET);
    expect(settled.total, settled.sizes.join("\n")).toBeLessThanOrEqual(SETTLED_BUDGET);
    // Without a DSN the Sentry SDK is never fetched.
    const bodies = await Promise.all([...new Set(scripts)].map(async (u) => (await request.get(u)).text()));
    expect(bodies.some((b) => b.includes("sentry.io") || b.includes("__SENTRY__"))).toBe(false);
  });
}

/**
 * A shared link to a call (`/?call=<id>`, issue 11): the same first-load budget (the detail is a
 * lazy chunk the server has already rendered), and the settled budget with the detail, the
 * recording player, the transcript and the filter bar loaded.
 */
test("/?call=<id> with a transcribed call stays within both budgets", async ({ page, request }) => {
  test.setTimeout(150_000);
  await signIn(page, "owner@acme.test");
  expect((await page.request.put("/api/voice-config", { data: { record: true, transcribe: true } })).status()).toBe(200);
  const placed = await page.request.post("/api/calls", { data: { to: "+14155550181", record: true, transcribe: true }, headers: { "idempotency-key": crypto.randomUUID() } });
  expect(placed.status()).toBe(201);
  const id = ((await placed.json()) as { call: { id: string } }).call.id;
  await expect.poll(async () => ((await (await page.request.get(`/api/calls/${id}`)).json()) as { call: { transcript: unknown } }).call.transcript !== null,
    { timeout: 120_000, intervals: [1000] }).toBe(true);
  await page.goto(`/?call=${id}`);
  await expect(page.getByTestId("call-detail").getByTestId("transcript-utterance").first()).toBeVisible();
  await page.waitForLoadState("networkidle");
  const scripts = await page.evaluate(() =>
    performance.getEntriesByType("resource").map((e) => e.name).filter((name) => new URL(name).pathname.endsWith(".js")),
  );
  const first = await gzipSizes(request, scriptUrls(await (await page.request.get(`/?call=${id}`)).text(), page.url()));
  const settled = await gzipSizes(request, scripts);
  const figure = `${(first.total / 1000).toFixed(1)} kB gzip JavaScript on first load of /?call=<id>; ${(settled.total / 1000).toFixed(1)} kB once settled with the detail and transcript`;
  test.info().annotations.push({ type: "page-weight", description: figure });
  console.log(`${figure}\n  ${settled.sizes.join("\n  ")}`);
  expect(first.total, first.sizes.join("\n")).toBeLessThanOrEqual(FIRST_LOAD_BUDGET);
  expect(settled.total, settled.sizes.join("\n")).toBeLessThanOrEqual(DETAIL_SETTLED_BUDGET);
});
