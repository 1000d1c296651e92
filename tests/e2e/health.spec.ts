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
