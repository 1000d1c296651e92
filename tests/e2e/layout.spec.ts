import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { DEMO_PASSWORD, freshIp, signIn } from "./support";

/**
 * Issue 11, the page itself: one page whose selected call and filters live in the URL
 * (shareable, server-rendered on first paint, back/forward), a detail panel that says "Call not
 * found" for another organization's call or a bad id, filters that say which role or plan
 * unlocks them, a 1280×800 layout without horizontal scrolling, and the public files.
 */

async function placeCall(request: APIRequestContext, to: string): Promise<string> {
  const res = await request.post("/api/calls", { data: { to }, headers: { "idempotency-key": crypto.randomUUID() } });
  expect(res.status(), await res.text()).toBe(201);
  return ((await res.json()) as { call: { id: string } }).call.id;
}

const rowLink = (page: Page, id: string) => page.locator(`[data-call-id="${id}"]`).getByTestId("call-row-link");
const detail = (page: Page) => page.getByTestId("call-detail");

test("the selected call is in the URL: click, keyboard, back and forward, reload, and the server's first paint", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, "operator@acme.test");
  const first = await placeCall(page.request, "+14155550141");
  const second = await placeCall(page.request, "+14155550142");
  await page.reload();
  await expect(page.getByTestId("call-detail-empty")).toBeVisible();
  // Never a full reload from here on: this marker would be gone.
  await page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));

  await rowLink(page, first).click();
  await expect(page).toHaveURL(new RegExp(`/\\?call=${first}$`));
  await expect(rowLink(page, first)).toHaveAttribute("aria-current", "true");
  await expect(detail(page)).toHaveAttribute("data-detail-call-id", first);
  await expect(detail(page).getByTestId("detail-number")).toHaveText("+14155550141");

  // Keyboard: the row is a link; Enter selects it.
  await rowLink(page, second).focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/\\?call=${second}$`));
  await expect(rowLink(page, second)).toHaveAttribute("aria-current", "true");
  await expect(rowLink(page, first)).not.toHaveAttribute("aria-current", "true");
  await expect(detail(page)).toHaveAttribute("data-detail-call-id", second);

  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`/\\?call=${first}$`));
  await expect(detail(page)).toHaveAttribute("data-detail-call-id", first);
  await page.goForward();
  await expect(detail(page)).toHaveAttribute("data-detail-call-id", second);
  expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);

  // The detail's timeline: the call's events, oldest first.
  await expect(detail(page).getByTestId("call-timeline").locator("li").first()).toBeVisible();

  // Close clears the selection.
  await detail(page).getByRole("button", { name: "Close" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Call detail" })).toBeFocused();
  await expect(page.getByTestId("call-detail-empty")).toBeVisible();

  // A shared link: the server's HTML already holds the selected call's detail and the row marked.
  const html = await (await page.request.get(`/?call=${first}`)).text();
  expect(html).toContain(`data-detail-call-id="${first}"`);
  expect(html).toMatch(new RegExp(`data-call-id="${first}"[^>]*>\\s*<a[^>]*aria-current="true"`));
  await page.goto(`/?call=${first}`);
  await expect(detail(page)).toHaveAttribute("data-detail-call-id", first);
});

test("another organization's call, an unknown id and a malformed id: the detail says Call not found; the rest of the page works", async ({ page, playwright }) => {
  const borealis = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  const signedIn = await borealis.post("/api/auth/sign-in", { data: { email: "owner@borealis.test", password: DEMO_PASSWORD() }, headers: { "x-forwarded-for": freshIp() } });
  expect(signedIn.ok()).toBe(true);
  const theirs = await placeCall(borealis, "+14155550143");
  await borealis.dispose();

  await signIn(page, "owner@acme.test");
  for (const id of [theirs, crypto.randomUUID(), "not-a-call", "%27%3B--"]) {
    const html = await (await page.request.get(`/?call=${id}`)).text();
    expect(html, id).toContain('data-state="not-found"');
    expect(html, id).not.toContain("4155550143");
    await page.goto(`/?call=${id}`);
    await expect(detail(page)).toHaveAttribute("data-state", "not-found");
    await expect(detail(page).getByRole("alert")).toHaveText("Call not found.");
    // The list, the form and the activity section are all there.
    await expect(page.getByRole("heading", { name: "Calls" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Place call" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Activity" })).toBeVisible();
  }
  await expect(page.locator(`[data-call-id="${theirs}"]`)).toHaveCount(0);
});

test("filters live in the URL and the list's requests; withheld filters say who or which plan unlocks them", async ({ page, browser }) => {
  await signIn(page, "owner@acme.test");
  const search = page.getByLabel("Search transcripts");
  await expect(search).toBeEnabled();

  // A discrete choice: in the URL at once, and the list asks the API for it.
  const completedRequest = page.waitForRequest((r) => r.url().includes("/api/calls?") && new URL(r.url()).searchParams.get("status") === "completed");
  await page.getByText("More filters").click();
  await page.getByRole("group", { name: "Status" }).getByLabel("Completed").check();
  await completedRequest;
  await expect(page).toHaveURL(/\?status=completed$/);

  // Typing is debounced: one request for the whole word, with every filter in it.
  const searched = page.waitForRequest((r) => r.url().includes("/api/calls?") && new URL(r.url()).searchParams.get("q") === "appointment");
  await search.fill("appointment");
  const request = new URL((await searched).url());
  expect(request.searchParams.get("status")).toBe("completed");
  await expect(page).toHaveURL(/\?status=completed&q=appointment$/);
  await expect(page.getByTestId("active-filters")).toHaveText("2 filters set");

  // Reload: the server renders the same filters.
  await page.reload();
  await expect(page.getByLabel("Search transcripts")).toHaveValue("appointment");
  await expect(page.getByRole("group", { name: "Status" }).getByLabel("Completed")).toBeChecked();

  await page.getByRole("button", { name: "Clear all" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByLabel("Search transcripts")).toHaveValue("");

  // A filter the API refuses: the list says so and offers to clear the filters.
  await page.goto("/?scoreMin=500");
  await expect(page.getByRole("alert").filter({ hasText: "the calls" })).toBeVisible();
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("alert").filter({ hasText: "the calls" })).toHaveCount(0);

  // Viewers cannot search content: the box is disabled and says who can.
  const viewer = await browser.newPage();
  await signIn(viewer, "viewer@acme.test");
  await expect(viewer.getByLabel("Search transcripts")).toBeDisabled();
  await expect(viewer.getByText("Analysts, operators, admins and owners can search transcripts")).toBeVisible();
  await viewer.getByText("More filters").click();
  await expect(viewer.getByRole("group", { name: "Has" }).getByLabel("Transcript")).toBeDisabled();
  await viewer.close();

  // A base-plan organization: content filters name the plan that unlocks them.
  const base = await browser.newPage();
  await signIn(base, "owner@borealis.test");
  await base.getByText("More filters").click();
  await expect(base.getByRole("group", { name: "Has" }).getByLabel("Translation")).toBeDisabled();
  await expect(base.getByText("Translation: Needs the Global plan")).toBeVisible();
  await expect(base.getByLabel("Search transcripts")).toBeDisabled();
  await expect(base.getByText("Needs the Pro plan").first()).toBeVisible();
  await base.close();
});

test("at 1280×800 the place-call panel, the list and the detail sit side by side with no horizontal scroll", async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, "operator@acme.test");
  const id = await placeCall(page.request, "+14155550144");
  await page.goto(`/?call=${id}`);
  await expect(detail(page)).toHaveAttribute("data-detail-call-id", id);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const box = async (name: string) => (await page.getByRole("region", { name }).boundingBox())!;
  const [place, calls, selected, activity] = [await box("Place a call"), await box("Calls"), await box("Call detail"), await box("Activity")];
  expect(place.x + place.width).toBeLessThanOrEqual(calls.x);
  expect(calls.x + calls.width).toBeLessThanOrEqual(selected.x);
  expect(selected.x + selected.width).toBeLessThanOrEqual(1280);
  // Activity sits under the detail, in the same column.
  expect(activity.y).toBeGreaterThanOrEqual(selected.y + selected.height);
  expect(Math.abs(activity.x - selected.x)).toBeLessThan(2);
  await page.screenshot({ path: testInfo.outputPath("layout-1280x800.png") });

  // Narrower: the panels stack, still without horizontal scrolling.
  await page.setViewportSize({ width: 800, height: 900 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  const [p2, c2] = [await box("Place a call"), await box("Calls")];
  expect(c2.y).toBeGreaterThanOrEqual(p2.y + p2.height);
});

test("the favicon and robots.txt are served without a session, and the page links the icon", async ({ playwright, page }) => {
  const anonymous = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  const ico = await anonymous.get("/favicon.ico", { maxRedirects: 0 });
  expect(ico.status()).toBe(200);
  expect([...(await ico.body()).subarray(0, 4)]).toEqual([0, 0, 1, 0]);
  const svg = await anonymous.get("/favicon.svg", { maxRedirects: 0 });
  expect(svg.status()).toBe(200);
  expect(svg.headers()["content-type"]).toContain("image/svg+xml");
  const robots = await anonymous.get("/robots.txt", { maxRedirects: 0 });
  expect(robots.status()).toBe(200);
  expect(await robots.text()).toMatch(/User-agent: \*\s+Disallow: \//);
  // Anything else still needs a session.
  expect((await anonymous.get("/", { maxRedirects: 0 })).status()).toBe(307);
  await anonymous.dispose();

  await signIn(page, "viewer@acme.test");
  await expect(page.locator('link[rel="icon"][href="/favicon.svg"]')).toHaveCount(1);
  await expect(page.locator('meta[name="robots"]')).toHaveAttribute("content", /noindex/);
  // An address the app does not have: a 404 page that says so and leads back.
  const missing = await page.goto("/no-such-page");
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Open Voice Operations" }).click();
  await expect(page.getByRole("heading", { name: "Calls" })).toBeVisible();
});

/**
 * With a search in the URL, the list row shows where the call matched (`match`) and the detail
 * marks it in the transcript (GET /api/calls/:id/highlights), both from the real search.
 */
test("a search in the URL marks the matching words in the selected call's transcript and brings the first into view", async ({ page }) => {
  test.setTimeout(150_000);
  await signIn(page, "owner@acme.test");
  const config = await page.request.put("/api/voice-config", { data: { record: true, transcribe: true } });
  expect(config.status()).toBe(200);
  const res = await page.request.post("/api/calls", { data: { to: "+14155550145", record: true, transcribe: true }, headers: { "idempotency-key": crypto.randomUUID() } });
  expect(res.status()).toBe(201);
  const id = ((await res.json()) as { call: { id: string } }).call.id;
  let utterance = "";
  await expect.poll(async () => {
    const call = ((await (await page.request.get(`/api/calls/${id}`)).json()) as { call: { transcript: { utterances: { text: string }[] } | null } }).call;
    utterance = call.transcript?.utterances[0]?.text ?? "";
    return utterance.length > 0;
  }, { timeout: 120_000, intervals: [1000] }).toBe(true);
  // The longest word: never a stop word the search would ignore.
  const word = utterance.split(/\s+/).map((w) => w.replace(/[^\p{L}]/gu, "")).sort((x, y) => y.length - x.length)[0]!;
  const asked: string[] = [];
  page.on("request", (req) => {
    if (req.url().includes(`/api/calls/${id}/highlights?`)) asked.push(new URL(req.url()).searchParams.get("q") ?? "");
  });
  await page.goto(`/?call=${id}&q=${encodeURIComponent(word)}`);
  await expect(page.locator(`[data-call-id="${id}"]`).getByTestId("search-match").locator("mark")).toHaveText(word, { timeout: 15_000 });
  const first = page.getByTestId("call-detail").getByTestId("transcript-utterance").first();
  await expect(first).toHaveAttribute("data-hit", "true");
  await expect(first.locator("mark")).toHaveText(word);
  await expect(first.locator("mark")).toBeInViewport();
  expect(asked).toContain(word);
  // Without the search, nothing is marked.
  await page.goto(`/?call=${id}`);
  await expect(page.getByTestId("call-detail").getByTestId("transcript-utterance").first()).toBeVisible();
  await expect(page.getByTestId("call-detail").locator("mark")).toHaveCount(0);
});

test("a filtered list still updates live: the realtime revalidation names the filters on screen", async ({ page }) => {
  await signIn(page, "operator@acme.test");
  await page.goto("/?flow=direct");
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "live");
  // Placed elsewhere (not through this page's form, which refreshes the list itself).
  const id = await placeCall(page.request, "+14155550146");
  const row = page.locator(`[data-call-id="${id}"]`);
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row.getByTestId("call-status")).toHaveText("Completed", { timeout: 45_000 });
  await expect(page).toHaveURL(/\?flow=direct$/);
});

test("each panel fails on its own and says so, with Retry; the others keep working", async ({ page }) => {
  await signIn(page, "operator@acme.test");
  const id = await placeCall(page.request, "+14155550147");
  // Settled first: a live status change would refetch the detail on its own, and the Retry
  // button this test presses would be gone before it is pressed.
  await expect.poll(async () => ((await (await page.request.get(`/api/calls/${id}`)).json()) as { call: { status: string } }).call.status, { timeout: 60_000 }).toBe("completed");
  await page.reload();

  // The detail's request fails: the detail says so; the list and the form are untouched.
  await page.route(`**/api/calls/${id}`, (route) => route.fulfill({ status: 503, json: { error: { code: "unavailable", message: "The database is unavailable.", requestId: "r" } } }));
  await rowLink(page, id).click();
  await expect(detail(page)).toHaveAttribute("data-state", "error");
  await expect(detail(page)).toContainText("Could not load the call: The database is unavailable.");
  await expect(page.locator(`[data-call-id="${id}"]`)).toBeVisible();
  await expect(page.getByRole("button", { name: "Place call" })).toBeEnabled();
  await page.unroute(`**/api/calls/${id}`);
  await detail(page).getByRole("button", { name: "Retry" }).click();
  await expect(detail(page)).toHaveAttribute("data-state", "ready");

  // The list's request fails (a new filter, so a new request): the list says so; the detail stays.
  let refused = 0;
  await page.route("**/api/calls?**", (route) => {
    refused += 1;
    return route.abort("connectionrefused");
  });
  await page.getByText("More filters").click();
  await page.getByRole("group", { name: "Status" }).getByLabel("Completed").check();
  const listAlert = page.getByRole("region", { name: "Calls" }).getByRole("alert");
  await expect(listAlert).toContainText("Could not load the calls: Could not reach the server.");
  await expect(detail(page)).toHaveAttribute("data-state", "ready");
  await expect(page.getByRole("button", { name: "Place call" })).toBeEnabled();
  // Retry asks again (still refused here)…
  const before = refused;
  await listAlert.getByRole("button", { name: "Retry" }).click();
  await expect.poll(() => refused).toBeGreaterThan(before);
  // …and once the server answers, the list is back (by Retry, or SWR's own retry if sooner).
  await page.unroute("**/api/calls?**");
  const retry = listAlert.getByRole("button", { name: "Retry" });
  if (await retry.isVisible()) await retry.click({ timeout: 2_000 }).catch(() => undefined);
  await expect(listAlert).toHaveCount(0, { timeout: 20_000 });
});
