import { expect, test } from "@playwright/test";

test("liveness and readiness answer, and readiness checks migrations", async ({ request }) => {
  const live = await request.get("/api/health/live");
  expect(live.status()).toBe(200);
  const ready = await request.get("/api/health/ready");
  expect(ready.status()).toBe(200);
  expect(await ready.json()).toMatchObject({ ready: true, database: "ok", migrations: "current", pending: [], changed: [] });
});

test("every response carries a request id: the caller's when sane, a new one otherwise", async ({ request }) => {
  const given = await request.get("/api/health/live", { headers: { "x-request-id": "trace-abc-12345" } });
  expect(given.headers()["x-request-id"]).toBe("trace-abc-12345");
  const fresh = await request.get("/api/me");
  expect(fresh.headers()["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect((await fresh.json()).error.requestId).toBe(fresh.headers()["x-request-id"]);
  const page = await request.get("/login");
  expect(page.headers()["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
});

test("machine-to-machine routes skip the proxy but still answer with a request id", async ({ request }) => {
  // Unsigned: the webhook wrapper refuses it, and its error carries the id it stamped.
  const callId = "00000000-0000-4000-8000-000000000000";
  const webhook = await request.post(`/api/webhooks/signalwire/${callId}/status`, {
    form: { CallSid: "CA0", CallStatus: "ringing" },
    headers: { "x-request-id": "webhook-trace-0001" },
  });
  expect(webhook.status()).toBe(403);
  expect(webhook.headers()["x-request-id"]).toBe("webhook-trace-0001");
  expect((await webhook.json()).error.requestId).toBe("webhook-trace-0001");

  const laml = await request.post(`/api/laml/${callId}?step=start`, { form: {} });
  expect(laml.status()).toBe(403);
  expect(laml.headers()["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);

  const ready = await request.get("/api/health/ready");
  expect(ready.headers()["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);

  const stored = await request.get("/api/storage/org/call/rec.wav?exp=1&sig=x");
  expect(stored.status()).toBe(403);
  expect(stored.headers()["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
});
