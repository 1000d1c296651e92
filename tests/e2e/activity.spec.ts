import { expect, test } from "@playwright/test";
import { signIn } from "./support";

/**
 * The organization's activity feed on the page (components/activity-feed.tsx): live, newest
 * first, each event linking to its call, numbers masked for viewers. The component is placed in
 * the page by the layout work of issue 11; until it is, this spec says so and skips.
 */
test("a call placed by the owner appears in the activity feed live, linking to the call; viewers see it masked", async ({ browser }) => {
  const owner = await browser.newPage();
  await signIn(owner, "owner@acme.test");
  const feed = owner.getByRole("region", { name: "Activity" });
  // Panels may load after hydration: settle before deciding whether the feed is on the page.
  await owner.waitForLoadState("networkidle");
  test.skip((await feed.count()) === 0, "ActivityFeed is not on the page yet: the lead places it in the new layout (issue 11)");
  await expect(feed.getByRole("list", { name: "Activity" }).or(feed.getByText("No activity yet", { exact: false }))).toBeVisible();

  const number = "+14155550188";
  await owner.getByLabel("Phone number").fill(number);
  await owner.getByRole("button", { name: "Place call" }).click();
  // No reload: the realtime notice revalidates the feed.
  const event = feed.getByTestId("activity-event").filter({ hasText: "Dialled" }).filter({ hasText: number }).first();
  await expect(event).toBeVisible({ timeout: 30_000 });
  const href = await event.getByRole("link").getAttribute("href");
  expect(href).toMatch(/^\?call=[0-9a-f-]{36}$/);
  await expect(event.locator("time")).toHaveAttribute("datetime", /^\d{4}-\d{2}-\d{2}T/);

  const viewer = await browser.newPage();
  await signIn(viewer, "viewer@acme.test");
  const viewerFeed = viewer.getByRole("region", { name: "Activity" });
  await expect(viewerFeed.getByTestId("activity-event").first()).toBeVisible();
  await expect(viewerFeed).not.toContainText(number);
  await expect(viewerFeed).toContainText("+1••••••••88");
  await owner.close();
  await viewer.close();
});
