import { expect, test } from "@playwright/test";
import { signIn } from "./support";

/**
 * A live stream is held open under a session: signing out (here from another tab of the same
 * browser, which shares the cookie) must end it within seconds, not at its next ten-minute
 * reconnect.
 */
test("signing out ends the page's live stream within seconds", async ({ page, context }) => {
  await signIn(page, "analyst@acme.test");
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "live");

  // A second stream, read by hand, so the test sees exactly when the server ends it.
  await page.evaluate(() => {
    const w = window as unknown as { __stream: { frames: string[]; endedAt: number | null } };
    w.__stream = { frames: [], endedAt: null };
    void (async () => {
      const res = await fetch("/api/realtime", { cache: "no-store" });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        w.__stream.frames.push(decoder.decode(value));
      }
      w.__stream.endedAt = Date.now();
    })();
  });
  await expect.poll(() => page.evaluate(() => (window as unknown as { __stream: { frames: string[] } }).__stream.frames.join("")))
    .toContain("event: ready");

  const other = await context.newPage();
  await other.goto("/");
  const signedOutAt = await other.evaluate(async () => {
    const at = Date.now();
    await fetch("/api/auth/sign-out", { method: "POST" });
    return at;
  });

  await expect.poll(() => page.evaluate(() => (window as unknown as { __stream: { endedAt: number | null } }).__stream.endedAt), { timeout: 10_000 })
    .not.toBeNull();
  const stream = await page.evaluate(() => (window as unknown as { __stream: { frames: string[]; endedAt: number } }).__stream);
  expect(stream.endedAt - signedOutAt).toBeLessThan(5_000);
  expect(stream.frames.join("")).toContain("event: reauth");
  // The page's own stream cannot come back: its reconnect finds no session.
  await expect(page.getByTestId("connection-state")).not.toHaveAttribute("data-state", "live", { timeout: 10_000 });
});

/**
 * The connection recovers by itself: with the live stream blocked (every request to it fails,
 * as when the server is unreachable) the page says it is reconnecting and keeps trying with
 * backoff (lib/realtime/backoff.ts); once the stream is reachable again it goes live without a
 * reload and refetches what changed meanwhile (a call placed during the outage appears).
 */
test("a blocked live stream shows Reconnecting, then recovers by itself and catches up", async ({ page }) => {
  await signIn(page, "operator@acme.test");
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "live");

  await page.route("**/api/realtime**", (route) => route.abort("connectionrefused"));
  await page.reload();
  await page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", /reconnecting|offline/, { timeout: 10_000 });
  await expect(page.getByTestId("connection-state")).toContainText(/Reconnecting|Offline/);

  // Something happens while the page is not listening.
  const res = await page.request.post("/api/calls", { data: { to: "+14155550161" }, headers: { "idempotency-key": crypto.randomUUID() } });
  expect(res.status()).toBe(201);
  const callId = ((await res.json()) as { call: { id: string } }).call.id;
  await page.waitForTimeout(1_500);
  await expect(page.locator(`[data-call-id="${callId}"]`)).toHaveCount(0);

  await page.unroute("**/api/realtime**");
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "live", { timeout: 20_000 });
  await expect(page.locator(`[data-call-id="${callId}"]`)).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);
});
