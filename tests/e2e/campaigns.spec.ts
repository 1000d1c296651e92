import { readFileSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Locator, type Page, type TestInfo } from "@playwright/test";
import { signIn } from "./support";

/**
 * Issue 20, "Done when" 2, on the page in one test: an owner imports targets from a CSV whose
 * bad rows are shown with their reasons and not imported, builds a campaign over a tag that runs
 * the shopper script "Front desk check", launches it, watches its progress move, pauses it
 * (nothing more is dialled) and resumes it, and finds its calls in the list filtered by the
 * campaign; then an analyst opens the insights for the script, narrowed to the campaign, and
 * drills from the criterion one clinic failed to that clinic's call. One target, marked do-not-call on
 * the page first, is refused by the call form's picker and skipped by the campaign. The
 * simulator answers every other number (README), so the campaign completes by itself. The
 * Targets and Campaigns dialogs, with their preview and progress tables, pass the same axe
 * rules as the rest of the page.
 *
 * Calling windows are real: the targets' time zone is chosen so that it is about noon there now
 * (an `Etc/GMT±N` zone), and the campaign calls every day of the week, so the test passes at any
 * hour on any day.
 */
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

async function audit(page: Page, testInfo: TestInfo, state: string) {
  const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const blocking = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of results.violations.filter((x) => !blocking.includes(x))) {
    testInfo.annotations.push({ type: `axe ${v.impact} (${state})`, description: `${v.id}: ${v.help} (${v.nodes.length})` });
  }
  const report = blocking.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join("\n  ")}`).join("\n");
  expect(blocking, `${state}:\n${report}`).toEqual([]);
}

/** An IANA zone where it is about noon now (UTC+N is `Etc/GMT-N`: the sign is POSIX's). */
function zoneAtNoon(now: Date): string {
  let offset = 12 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  // Not UTC itself, which Intl may spell "UTC": one o'clock is as good as noon.
  if (offset === 0) offset = 1;
  return `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}

async function count(locator: Locator): Promise<number> {
  return Number((await locator.locator("td").textContent())?.trim() ?? "NaN");
}

test("an owner imports targets (bad rows refused), runs a scored campaign over a tag, pauses and resumes it; an analyst drills from a failing criterion to its call", async ({ page, browser }, testInfo) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, "owner@acme.test");

  const run = Date.now().toString(36);
  const tag = `audit-${run}`;
  const zone = zoneAtNoon(new Date());
  // Six distinct answering numbers in 555-0100…0199 (fictional, valid), fresh for each run.
  const first = 100 + Math.floor(Math.random() * 90);
  const numbers = Array.from({ length: 6 }, (_, i) => `+1415555${String(first + i).padStart(4, "0")}`);
  const csv = [
    "name,number,time_zone,tags,notes",
    ...numbers.map((n, i) => `Clinic ${run} ${i + 1},${n},${zone},${tag};west,Front desk`),
    `No number ${run},not-a-number,${zone},${tag},`,
    `Clinic ${run} 1 again,${numbers[0]},${zone},${tag},`,
    `Mars ${run},+14155550099,Mars/Olympus,${tag},`,
  ].join("\n");

  // 1. Import: the preview shows six rows to save and three refused, each with its reason.
  const targetsButton = page.getByRole("button", { name: "Targets", exact: true });
  await targetsButton.click();
  const targets = page.getByRole("dialog", { name: "Saved targets" });
  await expect(targets.getByTestId("targets-table")).toBeVisible();
  await targets.getByRole("button", { name: "Import CSV…" }).click();
  await targets.getByLabel("CSV file").setInputFiles({ name: "clinics.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await expect(targets.getByLabel("Or paste CSV")).toHaveValue(csv);
  await targets.getByRole("button", { name: "Preview import" }).click();
  const valid = targets.getByTestId("import-valid");
  const refused = targets.getByTestId("import-refused");
  await expect(valid.locator("tbody tr")).toHaveCount(6);
  await expect(refused.locator("tbody tr")).toHaveCount(3);
  await expect(refused.locator('tr[data-code="bad_number"]')).toContainText(`No number ${run}`);
  await expect(refused.locator('tr[data-code="duplicate_in_file"]')).toContainText(`Clinic ${run} 1 again`);
  await expect(refused.locator('tr[data-code="unknown_time_zone"]')).toContainText("Mars/Olympus");
  for (const row of await refused.locator("tbody tr").all()) await expect(row.locator("td").last()).not.toBeEmpty();
  await audit(page, testInfo, "targets-import-preview");
  await targets.getByRole("button", { name: "Import 6 targets" }).click();
  await expect(targets.getByRole("status").filter({ hasText: "Imported 6 targets." })).toBeVisible();

  // Exactly the previewed rows were saved: the tag lists six, none of the refused ones.
  await targets.getByLabel("Tags", { exact: true }).fill(tag);
  await expect(targets.getByTestId("target-row")).toHaveCount(6);
  await expect(targets.getByTestId("targets-table")).not.toContainText("Mars");
  await expect(targets.getByTestId("targets-table")).not.toContainText("No number");
  await expect(targets.getByTestId("target-row").first()).toContainText(zone);
  // The sixth asks not to be called again: marked here, skipped by the campaign, refused by the call form.
  const sixth = targets.getByTestId("target-row").filter({ hasText: `Clinic ${run} 6` });
  await sixth.getByRole("button", { name: "Mark do-not-call" }).click();
  await expect(targets.getByRole("status").filter({ hasText: `Clinic ${run} 6 is marked do-not-call.` })).toBeVisible();
  await expect(sixth).toContainText("Do not call");
  await expect(sixth.getByRole("button", { name: /Clear mark/ })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(targets).toHaveCount(0);
  await expect(targetsButton).toBeFocused();

  // Placing a call can pick a saved target; a marked one is refused and fills nothing.
  await page.getByRole("button", { name: "Choose a saved target…" }).click();
  const picker = page.getByTestId("target-picker");
  await picker.getByLabel("Find a saved target").fill(`Clinic ${run}`);
  await picker.getByRole("button", { name: new RegExp(`Clinic ${run} 6`) }).click();
  await expect(picker.getByRole("alert")).toContainText("is marked do-not-call");
  await expect(page.getByLabel("Phone number")).toHaveValue("");
  await picker.getByRole("button", { name: new RegExp(`Clinic ${run} 1 `) }).click();
  await expect(page.getByLabel("Phone number")).toHaveValue(numbers[0]!);
  await expect(page.getByText(`Saved target Clinic ${run} 1 (${zone}).`)).toBeVisible();
  await page.getByLabel("Phone number").fill("");

  // 2. Build a campaign over the tag: every day (so the test runs on weekends), two at once.
  await page.getByRole("button", { name: "Campaigns", exact: true }).click();
  const campaigns = page.getByRole("dialog", { name: "Campaigns" });
  await campaigns.getByRole("button", { name: "New campaign" }).click();
  const builder = campaigns.getByTestId("campaign-builder");
  await expect(builder.getByLabel("Calling from (target's time)")).toHaveValue("09:00");
  await expect(builder.getByLabel("Calling until (target's time)")).toHaveValue("17:00");
  await expect(builder.getByLabel("Saturday")).not.toBeChecked();
  await expect(builder).toContainText("nobody is called before 8:00 or from 21:00 their local time");
  await builder.getByLabel("Name", { exact: true }).fill(`Front desk audit ${run}`);
  await builder.getByLabel("Targets carrying every one of these tags").fill(tag);
  await builder.getByLabel("Saturday").check();
  await builder.getByLabel("Sunday").check();
  await builder.getByLabel("Calls per second").fill("1");
  await builder.getByLabel("Most at once").fill("2");
  // Every call runs Acme's shopper script, recorded and transcribed, so each is scored.
  const scripts = (await (await page.request.get("/api/shopper-scripts")).json()) as { shopperScripts: { id: string; title: string; latestVersion: number }[] };
  const script = scripts.shopperScripts.find((x) => x.title === "Front desk check")!;
  await builder.getByLabel("Record", { exact: true }).check();
  await builder.getByLabel("Transcribe", { exact: true }).check();
  await builder.getByLabel("Shopper script", { exact: true }).check();
  await builder.getByLabel("Shopper script version").selectOption({ label: `Front desk check v${script.latestVersion}` });
  // The fifth clinic's front desk sends the caller away ("Call back later"): the rubric's "Does not send the caller away" fails it.
  const sim = (JSON.parse(readFileSync(".test-data/e2e/carrier.json", "utf8")) as { url: string }).url;
  const unhelpful = await page.request.post(`${sim}/__control/scenarios`, {
    data: { to: numbers[4], scenario: { kind: "answered", reply: "We are busy right now. I do not know. Call back later." } },
  });
  expect(unhelpful.ok(), await unhelpful.text()).toBe(true);
  await audit(page, testInfo, "campaign-builder");
  await builder.getByRole("button", { name: "Save draft" }).click();

  const detail = campaigns.getByTestId("campaign-detail");
  const state = detail.getByTestId("campaign-state");
  await expect(state).toHaveAttribute("data-state", "draft");
  const campaignId = await detail.getAttribute("data-campaign-id");
  expect(campaignId).toBeTruthy();
  // A draft cannot be paused: the owner is offered launch, cancel and delete.
  await expect(detail.getByRole("button", { name: "Pause" })).toHaveCount(0);

  // 3. Launch and watch progress move.
  await detail.getByRole("button", { name: "Launch" }).click();
  await expect(state).toHaveAttribute("data-state", /scheduled|running/);
  const progress = detail.getByTestId("campaign-progress");
  await expect(progress.locator("caption").first()).toHaveText("Targets by state (6 in all)");
  await expect.poll(() => count(progress.getByTestId("outcome-open")).then(async (open) => open + (await count(progress.getByTestId("targets-done")))), { timeout: 30_000 })
    .toBeGreaterThan(0);
  await expect(state).toHaveAttribute("data-state", "running");

  // 4. Pause: calls in flight end, nothing more is dialled.
  await detail.getByRole("button", { name: "Pause" }).click();
  await expect(state).toHaveAttribute("data-state", "paused");
  await expect(detail.getByRole("button", { name: "Resume" })).toBeVisible();
  await expect.poll(() => count(progress.getByTestId("outcome-open")), { timeout: 30_000 }).toBe(0);
  const dialsWhilePaused = await count(progress.getByTestId("outcome-answered"));
  expect(dialsWhilePaused).toBeLessThan(5);
  await page.waitForTimeout(4000);
  expect(await count(progress.getByTestId("outcome-answered"))).toBe(dialsWhilePaused);
  await expect(progress.getByTestId("outcome-open").locator("td")).toHaveText("0");
  await audit(page, testInfo, "campaign-paused");

  // 5. Resume: it runs to the end, every callable target answered once, the marked one never dialled.
  await detail.getByRole("button", { name: "Resume" }).click();
  await expect(state).toHaveAttribute("data-state", /running|completed/);
  await expect(state).toHaveAttribute("data-state", "completed", { timeout: 90_000 });
  await expect(progress.getByTestId("targets-done").locator("td")).toHaveText("5");
  await expect(progress.getByTestId("targets-skipped_dnc").locator("td")).toHaveText("1");
  await expect(progress.getByTestId("outcome-answered").locator("td")).toHaveText("5");
  await expect(detail.getByRole("link", { name: "Results CSV" })).toHaveAttribute("href", `/api/campaigns/${campaignId}/results.csv`);

  // 6. Its calls, in the list filtered by the campaign.
  await detail.getByRole("link", { name: "Show calls" }).click();
  await page.waitForURL((url) => url.searchParams.get("campaign") === campaignId);
  await expect(page.getByTestId("campaign-filter")).toContainText(`Front desk audit ${run}`);
  await expect(page.locator("[data-call-id]")).toHaveCount(5);
  for (const n of numbers.slice(0, 5)) await expect(page.locator("[data-call-id]").filter({ hasText: n })).toHaveCount(1);
  await expect(page.locator("[data-call-id]").filter({ hasText: numbers[5]! })).toHaveCount(0);

  // 7. An analyst opens the insights for the script, narrowed to this campaign, once its five calls are scored.
  const insightsPath = `/api/insights/scripts/${script.id}?campaign=${campaignId}`;
  await expect.poll(async () => ((await (await page.request.get(insightsPath)).json()) as { funnel: { stage: string; calls: number }[] }).funnel.at(-1)!.calls,
    { timeout: 120_000, intervals: [1000] }).toBe(5);
  // A context of its own (a second person; axe needs a page made from a context).
  const context = await browser.newContext();
  const analyst = await context.newPage();
  await analyst.setViewportSize({ width: 1280, height: 900 });
  await signIn(analyst, "analyst@acme.test");
  await analyst.getByRole("button", { name: "Insights" }).click();
  const insights = analyst.getByRole("dialog", { name: "Insights" });
  await insights.getByLabel("Script or survey").selectOption({ label: "Front desk check" });
  await insights.getByLabel("Calls", { exact: true }).selectOption({ label: `Campaign: Front desk audit ${run}` });
  // The funnel's chart and its table agree: all five went all the way.
  await expect(insights.getByRole("group", { name: "Outcome funnel" }).getByRole("link", { name: "Scored: 5 calls" })).toBeVisible();
  await insights.getByText("Show the table").first().click();
  await expect(insights.getByRole("table", { name: /Outcome funnel/ }).getByRole("row", { name: /Dialled/ })).toContainText("5");
  // Per tag: all five scored calls went to targets tagged with the run's tag (and "west").
  await expect(insights.getByRole("group", { name: "Mean score per tag" }).getByRole("link", { name: new RegExp(`^${tag}: mean score .* over 5 calls$`) })).toBeVisible();
  await audit(analyst, testInfo, "campaign-insights");
  const criteria = insights.getByRole("group", { name: "Outcomes per rubric criterion" });
  await expect(criteria.getByRole("link", { name: "Does not send the caller away: pass, 4 calls" })).toBeVisible();
  const failing = criteria.getByRole("link", { name: "Does not send the caller away: fail, 1 call" });
  await failing.focus();
  await analyst.keyboard.press("Enter");
  await analyst.waitForURL((url) => url.searchParams.get("criterion") === "no-brush-off:fail" && url.searchParams.get("campaign") === campaignId);
  await expect(analyst.getByTestId("filter-criterion")).toContainText("no-brush-off — fail");
  await expect(analyst.getByTestId("campaign-filter")).toContainText(`Front desk audit ${run}`);
  const rows = analyst.locator("[data-call-id]");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(numbers[4]!);
  await context.close();
});

test("operators may mark but not edit, import or clear; viewers see masked numbers; neither builds or launches campaigns", async ({ browser }) => {
  // Targets of their own, so this test needs nothing from the one above.
  const owner = await browser.newPage();
  await signIn(owner, "owner@acme.test");
  const run = Date.now().toString(36);
  const number = `+1415556${1000 + Math.floor(Math.random() * 9000)}`;
  const saved = await owner.request.post("/api/voice/targets", { data: { name: `Roles ${run}`, number, timeZone: "America/Los_Angeles", tags: [`roles-${run}`] } });
  expect(saved.status(), await saved.text()).toBe(201);
  await owner.close();

  const operator = await browser.newPage();
  await signIn(operator, "operator@acme.test");
  await operator.getByRole("button", { name: "Targets", exact: true }).click();
  const targets = operator.getByRole("dialog", { name: "Saved targets" });
  await targets.getByLabel("Tags", { exact: true }).fill(`roles-${run}`);
  const row = targets.getByTestId("target-row");
  await expect(row).toHaveCount(1);
  await expect(targets.getByRole("button", { name: "Add a target" })).toHaveCount(0);
  await expect(targets.getByRole("button", { name: "Import CSV…" })).toHaveCount(0);
  await expect(row.getByRole("button", { name: /^Edit/ })).toHaveCount(0);
  await row.getByRole("button", { name: /Mark do-not-call/ }).click();
  await expect(row).toContainText("Do not call");
  // Clearing a mark is for owners and admins: no button, and the API's refusal says who may.
  await expect(row.getByRole("button", { name: /Clear mark/ })).toHaveCount(0);
  const id = await row.getAttribute("data-target-id");
  const refused = await operator.request.patch(`/api/voice/targets/${id}`, { data: { dnc: false } });
  expect(refused.status()).toBe(403);
  expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/Owners and admins may\./);
  await operator.keyboard.press("Escape");
  await operator.getByRole("button", { name: "Campaigns", exact: true }).click();
  const campaigns = operator.getByRole("dialog", { name: "Campaigns" });
  await expect(campaigns.getByTestId("campaigns-table")).toBeVisible();
  await expect(campaigns.getByRole("button", { name: "New campaign" })).toHaveCount(0);
  await expect(campaigns).toContainText("you may pause and resume them");
  await operator.close();

  const viewer = await browser.newPage();
  await signIn(viewer, "viewer@acme.test");
  await viewer.getByRole("button", { name: "Targets", exact: true }).click();
  const seen = viewer.getByRole("dialog", { name: "Saved targets" });
  await seen.getByLabel("Tags", { exact: true }).fill(`roles-${run}`);
  await expect(seen.getByTestId("target-row")).toHaveCount(1);
  await expect(seen.getByTestId("target-row").locator("td").first()).toHaveText(/^\+1•+\d\d$/);
  await expect(seen.getByRole("button", { name: /Mark do-not-call|Clear mark|Edit/ })).toHaveCount(0);
  await viewer.close();
});
