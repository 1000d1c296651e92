import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { DEMO_PASSWORD, freshIp, signIn } from "./support";

/**
 * axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the Voice Operations page in its main states:
 * the list, a selected call with its transcript, the filters applied, Settings (each tab), the
 * bulk export dialog, a deep link to another organization's call, and a viewer's page (withheld controls). Any serious or critical
 * violation fails; lesser ones are reported as annotations. Each state is also kept as a
 * 1280×800 screenshot among the test's artifacts.
 */
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

async function audit(page: Page, testInfo: TestInfo, state: string) {
  const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const blocking = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of results.violations.filter((x) => !blocking.includes(x))) {
    testInfo.annotations.push({ type: `axe ${v.impact} (${state})`, description: `${v.id}: ${v.help} (${v.nodes.length})` });
  }
  await page.screenshot({ path: testInfo.outputPath(`${state}.png`) });
  const report = blocking.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join("\n  ")}`).join("\n");
  expect(blocking, `${state}:\n${report}`).toEqual([]);
  return results.passes.length;
}

test.describe.configure({ mode: "serial" });

test("the page in its main states has no serious or critical axe violations", async ({ page, browser, playwright }, testInfo) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, "owner@acme.test");

  // A recorded, transcribed call (the simulator answers with speech; the transcriber simulator transcribes it).
  const config = await page.request.put("/api/voice-config", { data: { record: true, transcribe: true } });
  expect(config.status(), await config.text()).toBe(200);
  const placed = await page.request.post("/api/calls", {
    data: { to: "+14155550191", record: true, transcribe: true },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(placed.status(), await placed.text()).toBe(201);
  const callId = ((await placed.json()) as { call: { id: string } }).call.id;
  await expect.poll(async () => {
    const res = await page.request.get(`/api/calls/${callId}`);
    return ((await res.json()) as { call: { transcript: unknown } }).call.transcript !== null;
  }, { timeout: 120_000, intervals: [1000] }).toBe(true);

  // 1. The list.
  await page.goto("/");
  await expect(page.locator(`[data-call-id="${callId}"]`)).toBeVisible();
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "live");
  await audit(page, testInfo, "list");

  // 2. The selected call, with its transcript.
  await page.goto(`/?call=${callId}`);
  const detail = page.getByTestId("call-detail");
  await expect(detail.getByTestId("transcript-utterance").first()).toBeVisible({ timeout: 30_000 });
  await expect(detail.getByTestId("call-timeline")).toBeVisible();
  await audit(page, testInfo, "detail-with-transcript");

  // 3. Filters applied (with the search marking the transcript once the highlights route exists).
  await page.goto(`/?call=${callId}&status=completed&flow=direct&has=recording,transcript&from=2026-01-01&number=415&q=hello`);
  await expect(page.getByText(/More filters \(\d set\)/)).toBeVisible();
  await expect(detail.getByTestId("transcript-utterance").first()).toBeVisible({ timeout: 30_000 });
  await audit(page, testInfo, "filters-applied");

  // 4. Settings (owner): each of its tabs.
  await page.goto("/");
  await page.getByRole("button", { name: "Settings", exact: true }).click();
  const settings = page.getByRole("dialog", { name: "Settings" });
  await expect(settings.getByRole("button", { name: "Save configuration" })).toBeVisible();
  await audit(page, testInfo, "settings-voice-configuration");
  await settings.getByRole("tab", { name: "Members" }).click();
  await expect(settings.getByRole("list", { name: "Members" })).toBeVisible();
  await audit(page, testInfo, "settings-members");
  await settings.getByRole("tab", { name: "Surveys and shopper scripts" }).click();
  await expect(settings.getByRole("tabpanel")).not.toContainText("Loading");
  await audit(page, testInfo, "settings-surveys-and-scripts");
  await page.keyboard.press("Escape");
  await expect(settings).toHaveCount(0);

  // 5. The bulk export dialog, with the count of sealed calls it would export.
  await expect.poll(async () => {
    const res = await page.request.get(`/api/calls/${callId}`);
    return (((await res.json()) as { call: { manifests: unknown[] | null } }).call.manifests ?? []).length;
  }, { timeout: 60_000 }).toBeGreaterThan(0);
  await page.getByRole("button", { name: "Export evidence…" }).click();
  const exporting = page.getByRole("dialog", { name: "Export evidence" });
  await expect(exporting.getByTestId("bulk-export-count")).toBeVisible();
  await audit(page, testInfo, "export-dialog");
  await page.keyboard.press("Escape");

  // 6. A deep link to another organization's call.
  const borealis = await playwright.request.newContext({ baseURL: testInfo.project.use.baseURL });
  expect((await borealis.post("/api/auth/sign-in", { data: { email: "owner@borealis.test", password: DEMO_PASSWORD() }, headers: { "x-forwarded-for": freshIp() } })).ok()).toBe(true);
  const theirs = await borealis.post("/api/calls", { data: { to: "+14155550192" }, headers: { "idempotency-key": crypto.randomUUID() } });
  expect(theirs.status()).toBe(201);
  const theirId = ((await theirs.json()) as { call: { id: string } }).call.id;
  await borealis.dispose();
  await page.goto(`/?call=${theirId}`);
  await expect(detail).toHaveAttribute("data-state", "not-found");
  await audit(page, testInfo, "other-organization-call");

  // 7. A viewer: masked numbers, withheld controls that say why.
  // axe-core/playwright needs a page of an explicit context.
  const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const viewer = await viewerContext.newPage();
  await signIn(viewer, "viewer@acme.test");
  await viewer.goto(`/?call=${callId}`);
  await expect(viewer.getByTestId("content-withheld")).toBeVisible();
  await viewer.getByText("More filters").click();
  await audit(viewer, testInfo, "viewer");
  await viewerContext.close();
});

test("every control is reachable by keyboard, in order, with a visible focus indicator", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, "owner@acme.test");
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "live");
  await expect(page.getByRole("button", { name: "Place call" })).toBeEnabled();
  // The first stop is a link past the form to the calls.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to the calls" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Calls" })).toBeFocused();
  // The list's header: the owner may export evidence, then the search.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Export evidence…" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Search transcripts")).toBeFocused();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.mouse.click(1, 1);

  const reached: string[] = [];
  let outlineless = 0;
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const label = el.getAttribute("aria-label") ?? (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? "";
      return { label: `${el.tagName.toLowerCase()}:${label.trim().slice(0, 40)}`, outline: style.outlineStyle !== "none" && style.outlineWidth !== "0px" };
    });
    if (!info) continue;
    reached.push(info.label);
    if (!info.outline) outlineless += 1;
  }
  const joined = reached.join("\n");
  for (const expected of ["Settings", "Phone number", "Place call", "Export evidence", "Search transcripts", "More filters"]) expect(joined, joined).toContain(expected);
  // The form comes before the list, the list before the detail (reading order = focus order).
  expect(reached.findIndex((r) => r.includes("Place call"))).toBeLessThan(reached.findIndex((r) => r.includes("Search transcripts")));
  expect(outlineless, joined).toBe(0);
});
