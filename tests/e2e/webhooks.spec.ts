import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { Webhook } from "standardwebhooks";
import { auditAxe, signIn } from "./support";

/**
 * Outbound webhooks on the page (docs/adr/0039): an owner adds an endpoint (a receiver this test
 * runs on loopback, which the embedded default allows over http) and sees its secret once; a
 * private address is refused with the reason; a call placed and completed is delivered, signed,
 * and the receiver verifies it with the Standard Webhooks library; the delivery log shows the
 * attempt, and Replay sends the same webhook-id again. Operators see no Webhooks button.
 */
interface Received { headers: IncomingHttpHeaders; body: string }

test("an owner adds an endpoint, a completed call reaches it signed, and the log replays it with the same id", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const received: Received[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, "owner@acme.test");
    const opener = page.getByRole("button", { name: "Webhooks", exact: true });
    await opener.click();
    const dialog = page.getByRole("dialog", { name: "Webhooks" });
    const form = dialog.getByRole("form", { name: "Add an endpoint" });

    // A private address is refused at creation, with the reason, and nothing is added.
    await form.getByLabel("URL (https)").fill("https://10.0.0.7/hook");
    await form.getByRole("button", { name: "Add endpoint" }).click();
    await expect(form.getByRole("alert")).toContainText(/private|non-public/);
    await expect(dialog.getByText("https://10.0.0.7/hook", { exact: true })).toHaveCount(0);

    // The receiver, for completed calls only; its secret is shown once.
    await form.getByLabel("URL (https)").fill(url);
    await form.getByLabel("Description").fill("e2e receiver");
    await form.getByLabel("manifest.sealed").uncheck();
    await form.getByRole("button", { name: "Add endpoint" }).click();
    const secret = (await dialog.getByTestId("webhook-secret").textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    await auditAxe(page, testInfo, "webhooks-endpoint-added");
    await dialog.getByRole("button", { name: "I have copied it" }).click();
    await expect(dialog.getByTestId("webhook-secret")).toHaveCount(0);
    await expect(dialog.getByText(url, { exact: true })).toBeVisible();
    await page.keyboard.press("Escape");

    // A call to a number the simulator answers; its completion reaches the receiver, signed.
    const placed = await page.request.post("/api/calls", { data: { to: "+14155550142" }, headers: { "idempotency-key": crypto.randomUUID() } });
    expect(placed.status(), await placed.text()).toBe(201);
    const callId = ((await placed.json()) as { call: { id: string } }).call.id;
    const ofCall = () => received.filter((r) => (JSON.parse(r.body) as { data: { callId?: string } }).data.callId === callId);
    await expect.poll(() => ofCall().length, { timeout: 60_000 }).toBe(1);
    const first = ofCall()[0]!;
    const verified = new Webhook(secret).verify(first.body, first.headers as Record<string, string>) as { type: string; data: { status: string } };
    expect(verified).toMatchObject({ type: "call.completed", data: { status: "completed" } });
    const webhookId = first.headers["webhook-id"];
    expect(webhookId).toMatch(/^msg_/);

    // The delivery log shows it delivered on its first attempt; Replay sends the same id again.
    await opener.click();
    const log = dialog.getByRole("table");
    const row = log.getByRole("row").filter({ hasText: String(webhookId) });
    await expect(row).toContainText("delivered");
    await expect(row).toContainText("#1: 204");
    await row.getByRole("button", { name: /Replay/ }).click();
    await expect.poll(() => ofCall().length, { timeout: 30_000 }).toBe(2);
    expect(ofCall()[1]!.headers["webhook-id"]).toBe(webhookId);
    expect(() => new Webhook(secret).verify(ofCall()[1]!.body, ofCall()[1]!.headers as Record<string, string>)).not.toThrow();
    await dialog.getByRole("button", { name: "Refresh" }).click();
    await expect(row).toContainText("(replay)");
    await auditAxe(page, testInfo, "webhooks-log");

    // Tidy: the endpoint goes, so later tests' calls are sent nowhere.
    page.once("dialog", (d) => void d.accept());
    await dialog.getByRole("listitem").filter({ hasText: url }).getByRole("button", { name: "Delete" }).click();
    await expect(dialog.getByText(url, { exact: true })).toHaveCount(0);
  } finally {
    receiver.close();
  }
});

test("operators and analysts see no Webhooks button, and the API refuses them", async ({ browser }) => {
  for (const email of ["operator@acme.test", "analyst@acme.test"]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, email);
    await expect(page.getByRole("button", { name: "Settings" }).or(page.getByRole("button", { name: "Targets", exact: true })).first()).toBeVisible();
    await expect(page.getByRole("button", { name: "Webhooks", exact: true })).toHaveCount(0);
    expect((await page.request.get("/api/outbound-webhooks/endpoints")).status(), email).toBe(403);
    await context.close();
  }
});
