import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, freshIp, placeCallFromPage, signIn } from "./support";

/** The simulator the e2e server started (scripts/dev.ts writes its URL next to its credentials). */
function simulatorUrl(): string {
  return (JSON.parse(readFileSync(".test-data/e2e/carrier.json", "utf8")) as { url: string }).url;
}

interface SimCall {
  sid: string;
  to: string;
  request: { url?: string };
  recordings: { sid: string; sha256: string; bytes: number }[];
  settled: boolean;
}

test("an operator places a call and watches it live to a playable recording the carrier's audio hashes to", async ({ page }) => {
  await signIn(page, "operator@acme.test");
  await expect(page.getByText("simulated carrier")).toBeVisible();
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "live");

  // Record every status each call row shows, as the page changes, without reloading.
  await page.evaluate(() => {
    const seen: Record<string, string[]> = {};
    (window as unknown as { __statuses: typeof seen }).__statuses = seen;
    const scan = () => {
      for (const row of document.querySelectorAll<HTMLElement>("[data-call-id]")) {
        const id = row.dataset.callId!;
        const text = row.querySelector('[data-testid="call-status"]')?.textContent?.trim();
        if (!text) continue;
        const list = (seen[id] ??= []);
        if (list.at(-1) !== text) list.push(text);
      }
    };
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, characterData: true });
    scan();
  });
  const navigations: string[] = [];
  page.on("framenavigated", (frame) => navigations.push(frame.url()));
  // Never reloaded: this marker would be gone.
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

  const placed = page.waitForResponse((r) => r.url().endsWith("/api/calls") && r.request().method() === "POST");
  await page.getByLabel("Phone number").fill("+14155550123");
  await page.getByRole("button", { name: "Place call" }).click();
  const response = await placed;
  expect(response.status()).toBe(201);
  expect(response.request().headers()["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
  const callId = ((await response.json()) as { call: { id: string } }).call.id;

  const row = page.locator(`[data-call-id="${callId}"]`);
  await expect(row.getByTestId("call-status")).toHaveText("Completed", { timeout: 45_000 });
  const statuses = await page.evaluate((id) => (window as unknown as { __statuses: Record<string, string[]> }).__statuses[id], callId);
  const order = ["Queued", "Ringing", "In progress", "Completed"];
  const positions = order.map((s) => statuses!.indexOf(s));
  expect(positions.every((p) => p >= 0), `statuses seen: ${statuses?.join(" → ")}`).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  // The only navigation is the placed call becoming the selected one (same document, the URL;
  // Next's router stamps its state on the new entry, a second event for the same URL).
  expect([...new Set(navigations.map((u) => new URL(u).search))]).toEqual([`?call=${callId}`]);
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  await expect(row.getByTestId("call-row-link")).toHaveAttribute("aria-current", "true");

  // The recording arrives (ingested by the job), and plays, in the selected call's detail.
  const detail = page.getByTestId("call-detail");
  await expect(detail).toHaveAttribute("data-detail-call-id", callId);
  await expect(detail.getByRole("button", { name: "Play recording" })).toBeVisible({ timeout: 30_000 });
  await detail.getByRole("button", { name: "Play recording" }).click();
  const audio = detail.getByTestId("recording-audio");
  await expect(audio).toBeVisible();
  const duration = await audio.evaluate(async (el: HTMLAudioElement) => {
    if (el.readyState < 1) await new Promise((resolve, reject) => {
      el.addEventListener("loadedmetadata", resolve, { once: true });
      el.addEventListener("error", () => reject(new Error(`audio error ${el.error?.code}`)), { once: true });
    });
    return el.duration;
  });
  expect(duration).toBeGreaterThan(1);

  const shown = await detail.getByTestId("recording-sha256").getAttribute("data-sha256");
  const src = await audio.getAttribute("src");
  const bytes = await (await page.request.get(src!)).body();
  const stored = createHash("sha256").update(bytes).digest("hex");

  const sim = (await (await page.request.get(`${simulatorUrl()}/__control/calls`)).json()) as SimCall[];
  const carrierCall = sim.find((c) => c.request.url?.includes(callId));
  expect(carrierCall?.recordings).toHaveLength(1);
  const served = carrierCall!.recordings[0]!.sha256;
  expect(stored).toBe(served);
  expect(shown).toBe(served);
});

test("analysts and viewers cannot place calls (403); viewers see masked numbers; another organization's call is 404", async ({ playwright }) => {
  const base = test.info().project.use.baseURL;
  const as = async (email: string) => {
    const ctx = await playwright.request.newContext({ baseURL: base });
    const res = await ctx.post("/api/auth/sign-in", { data: { email, password: DEMO_PASSWORD() }, headers: { "x-forwarded-for": freshIp() } });
    expect(res.ok()).toBe(true);
    return ctx;
  };
  const place = (ctx: Awaited<ReturnType<typeof as>>) =>
    ctx.post("/api/calls", { data: { to: "+14155550124" }, headers: { "idempotency-key": crypto.randomUUID() } });

  for (const email of ["analyst@acme.test", "viewer@acme.test"]) {
    const ctx = await as(email);
    const res = await place(ctx);
    expect(res.status(), email).toBe(403);
    expect((await res.json()).error.code).toBe("forbidden");
    await ctx.dispose();
  }

  const operator = await as("operator@acme.test");
  const placed = await place(operator);
  expect(placed.status()).toBe(201);
  const callId = (await placed.json()).call.id as string;
  expect((await operator.get(`/api/calls/${callId}`)).status()).toBe(200);

  // Viewers see the call, but with a masked number and no content; analysts see the number.
  const viewer = await as("viewer@acme.test");
  const seen = (await (await viewer.get(`/api/calls/${callId}`)).json()).call;
  expect(seen.to).not.toContain("4155550124");
  expect(seen.to).toMatch(/^\+1•+24$/);
  expect(seen.snapshot.to).toBe(seen.to);
  expect(seen.recording).toBeNull();
  expect(seen.surveyAnswers).toBeNull();
  const listed = (await (await viewer.get("/api/calls")).json()).calls.find((c: { id: string }) => c.id === callId);
  expect(listed.to).toBe(seen.to);
  expect((await viewer.get(`/api/calls/${callId}/recording`)).status()).toBe(403);
  const analyst = await as("analyst@acme.test");
  expect((await (await analyst.get(`/api/calls/${callId}`)).json()).call.to).toBe("+14155550124");
  await Promise.all([viewer.dispose(), analyst.dispose()]);

  const stranger = await as("owner@borealis.test");
  for (const path of [`/api/calls/${callId}`, `/api/calls/${callId}/recording`]) {
    const res = await stranger.get(path);
    expect(res.status(), path).toBe(404);
  }
  // Naming Acme explicitly does not help: not a member → 404.
  const explicit = await stranger.get(`/api/calls/${callId}`, { headers: { "x-organization-id": "00000000-0000-4000-8000-00000000a001" } });
  expect(explicit.status()).toBe(404);
  await Promise.all([operator.dispose(), stranger.dispose()]);
});

test("a base-plan organization sees recording disabled with the plan that unlocks it", async ({ page }) => {
  await signIn(page, "owner@borealis.test");
  await expect(page.getByText(/Needs the Pro plan/).first()).toBeVisible();
  const res = await page.request.post("/api/calls", {
    data: { to: "+14155550125", record: true },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).error).toMatchObject({ code: "plan_required", requiredPlan: "pro" });
});

test("malformed, oversized and unexpected request bodies get clear 4xx errors and place nothing", async ({ page }) => {
  await signIn(page, "operator@acme.test");
  const before = ((await (await page.request.get("/api/calls?limit=200")).json()) as { calls: unknown[] }).calls.length;
  const post = (data: string, contentType = "application/json") =>
    page.request.post("/api/calls", { data, headers: { "content-type": contentType, "idempotency-key": crypto.randomUUID() } });

  const cases: [string, Awaited<ReturnType<typeof post>>, number, string][] = [
    ["not JSON", await post("{to:"), 400, "invalid_request"],
    ["wrong type", await post("to=+14155550126", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"],
    ["unknown field", await post(JSON.stringify({ to: "+14155550126", priority: "high" })), 400, "invalid_request"],
    ["missing number", await post(JSON.stringify({})), 400, "invalid_request"],
    ["oversized", await post(JSON.stringify({ to: "+14155550126", pad: "x".repeat(20_000) })), 413, "payload_too_large"],
    ["invalid number", await post(JSON.stringify({ to: "+1555123" })), 422, "invalid_number"],
  ];
  for (const [name, res, status, code] of cases) {
    expect(res.status(), name).toBe(status);
    const body = await res.json();
    expect(body.error.code, name).toBe(code);
    expect(body.error.message.length, name).toBeGreaterThan(5);
  }
  const noKey = await page.request.post("/api/calls", { data: { to: "+14155550126" } });
  expect(noKey.status()).toBe(400);
  expect((await noKey.json()).error.message).toMatch(/Idempotency-Key/);

  const after = ((await (await page.request.get("/api/calls?limit=200")).json()) as { calls: unknown[] }).calls.length;
  expect(after).toBe(before);
});

test("a call the carrier made no recording of says so on the page, on its timeline and in its evidence", async ({ page }) => {
  // +15005550011: the simulated carrier answers, captures no audio and reports the recording absent.
  await signIn(page, "owner@acme.test");
  await expect(page.getByLabel("Record", { exact: true })).toBeChecked();
  const callId = await placeCallFromPage(page, "+15005550011");

  const detail = page.getByTestId("call-detail");
  await expect(detail).toHaveAttribute("data-detail-call-id", callId);
  const reason = "The carrier reported that no recording was made.";
  await expect(detail.getByTestId("recording-problem")).toHaveText(`No recording was made. ${reason}`, { timeout: 45_000 });
  await expect(detail.getByTestId("call-timeline")).toContainText(`Recording absent: ${reason}`);
  // The sealed manifest names it missing, with the carrier's reason (read from the signed JWS itself).
  let jws = "";
  await expect.poll(async () => {
    const versions = (await (await page.request.get(`/api/calls/${callId}/evidence/versions`)).json()) as { versions: Array<{ missing: number; jws: string }> };
    jws = versions.versions.at(-1)?.jws ?? "";
    return versions.versions.at(-1)?.missing ?? 0;
  }, { timeout: 30_000 }).toBeGreaterThan(0);
  const manifest = JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString("utf8")) as { missing: unknown[] };
  expect(manifest.missing).toContainEqual(expect.objectContaining({ kind: "recording", reason: "absent", detail: expect.stringContaining(reason) }));
  await detail.getByTestId("evidence-details").locator("summary").click();
  await expect(detail.getByTestId("evidence-details")).toContainText("expected item");
});
