import { expect, test } from "@playwright/test";
import { signIn } from "./support";

/**
 * Issue 20's done-when #2, its insights half (docs/adr/0036): an analyst opens the insights for
 * Acme's seeded shopper script "Front desk check", sees its charts and their tables, and follows
 * a failing criterion's bar to the call list showing exactly the call that failed it. Two
 * scored calls are placed first, as the owner, to the simulator's helpful and unhelpful shopper
 * numbers; the unhelpful one says "Call back later", which the rubric's "Does not send the
 * caller away" fails.
 */
test("an analyst drills down from a failing criterion to its calls", async ({ browser }) => {
  test.setTimeout(180_000);
  const owner = await browser.newPage();
  await signIn(owner, "owner@acme.test");
  const scripts = (await (await owner.request.get("/api/shopper-scripts")).json()) as { shopperScripts: { id: string; title: string; latestVersion: number }[] };
  const script = scripts.shopperScripts.find((s) => s.title === "Front desk check")!;
  expect(script).toBeTruthy();
  const placed: Record<string, string> = {};
  for (const to of ["+15005550009", "+15005550010"]) {
    const res = await owner.request.post("/api/calls", {
      data: { to, record: true, transcribe: true, shopperScriptVersion: { id: script.id, version: script.latestVersion } },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(res.status(), await res.text()).toBe(201);
    placed[to] = ((await res.json()) as { call: { id: string } }).call.id;
  }
  for (const id of Object.values(placed)) {
    await expect.poll(async () => {
      const res = await owner.request.get(`/api/calls/${id}`);
      return ((await res.json()) as { call: { scorecards: unknown[] | null } }).call.scorecards?.length ?? 0;
    }, { timeout: 120_000, intervals: [1000] }).toBeGreaterThan(0);
  }
  await owner.close();

  const page = await browser.newPage();
  await signIn(page, "analyst@acme.test");
  await page.getByRole("button", { name: "Insights" }).click();
  const dialog = page.getByRole("dialog", { name: "Insights" });
  await dialog.getByLabel("Script or survey").selectOption({ label: "Front desk check" });
  await expect(dialog.getByTestId("script-insights")).toBeVisible();

  // The funnel's chart and its table agree: both calls went all the way.
  await expect(dialog.getByRole("group", { name: "Outcome funnel" }).getByRole("link", { name: "Scored: 2 calls" })).toBeVisible();
  await dialog.getByText("Show the table").first().click();
  const funnelTable = dialog.getByRole("table", { name: /Outcome funnel/ });
  await expect(funnelTable.getByRole("row", { name: /Dialled/ })).toContainText("2");

  // The criteria chart: one call passed "Does not send the caller away", one failed it.
  const criteria = dialog.getByRole("group", { name: "Outcomes per rubric criterion" });
  await expect(criteria.getByRole("link", { name: "Does not send the caller away: pass, 1 call" })).toBeVisible();
  const failing = criteria.getByRole("link", { name: "Does not send the caller away: fail, 1 call" });
  await failing.focus();
  await page.keyboard.press("Enter");

  await page.waitForURL((url) => url.searchParams.get("criterion") === "no-brush-off:fail" && url.searchParams.get("script") === script.id);
  await expect(page.getByTestId("filter-criterion")).toContainText("no-brush-off — fail");
  const rows = page.getByTestId("call-row-link");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("href", new RegExp(`call=${placed["+15005550010"]}`));
});
