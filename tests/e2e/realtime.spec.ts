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
