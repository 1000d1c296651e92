import { expect, test } from "@playwright/test";
import { signIn } from "./support";

/**
 * The organization's activity feed on the page (components/calls/activity-feed.tsx): live, newest
 * first, each event linking to its call, numbers masked for viewers; the organization's own
 * changes (Settings, Members) only for owners and admins. The feed must be on the page: these
 * tests fail if it is not.
 */
test("a call placed by the owner appears in the activity feed live, linking to the call; viewers see it masked", async ({ browser }) => {
  const owner = await browser.newPage();
  await signIn(owner, "owner@acme.test");
  const feed = owner.getByRole("region", { name: "Activity" });
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

test("an owner's voice-configuration change appears in their Activity panel live, labelled Settings; an operator's feed does not show it", async ({ browser }) => {
  const operator = await browser.newPage();
  await signIn(operator, "operator@acme.test");
  const operatorFeed = operator.getByRole("region", { name: "Activity" });
  await expect(operatorFeed.getByRole("list", { name: "Activity" }).or(operatorFeed.getByText("No activity yet", { exact: false }))).toBeVisible();

  const owner = await browser.newPage();
  await signIn(owner, "owner@acme.test");
  const feed = owner.getByRole("region", { name: "Activity" });
  await expect(feed.getByRole("list", { name: "Activity" }).or(feed.getByText("No activity yet", { exact: false }))).toBeVisible();

  await owner.getByRole("button", { name: "Settings", exact: true }).click();
  const dialog = owner.getByRole("dialog", { name: "Settings" });
  const disclosure = dialog.getByLabel("Recording disclosure");
  const original = await disclosure.inputValue();
  await disclosure.fill(`This call is recorded (activity ${Date.now()}).`);
  await dialog.getByRole("button", { name: "Save configuration" }).click();
  const saved = dialog.getByTestId("voice-config-saved");
  await expect(saved).toContainText("Saved. The voice configuration is now version");
  const version = (await saved.textContent())!.match(/version (\d+)/)![1];
  await owner.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);

  // No reload: the insert's realtime notice revalidates the feed.
  const line = `owner@acme.test changed the voice configuration (version ${version}: disclosure text)`;
  const event = feed.getByTestId("activity-event").filter({ hasText: line });
  await expect(event).toBeVisible({ timeout: 30_000 });
  await expect(event).toContainText("Settings");
  await expect(event.getByRole("link")).toHaveCount(0);

  // The operator got the same notice and revalidated: still nothing of the organization's changes.
  await operator.waitForLoadState("networkidle");
  await expect(operatorFeed).not.toContainText("changed the voice configuration");
  await operator.reload();
  await expect(operatorFeed.getByRole("list", { name: "Activity" }).or(operatorFeed.getByText("No activity yet", { exact: false }))).toBeVisible();
  await expect(operatorFeed).not.toContainText("changed the voice configuration");
  await expect(operatorFeed).not.toContainText("owner@acme.test");

  // Put the demo organization's disclosure back for the other specs.
  await owner.getByRole("button", { name: "Settings", exact: true }).click();
  await dialog.getByLabel("Recording disclosure").fill(original);
  await dialog.getByRole("button", { name: "Save configuration" }).click();
  await expect(saved).toContainText(`Saved. The voice configuration is now version ${Number(version) + 1}`);
  await owner.close();
  await operator.close();
});
