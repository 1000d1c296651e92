import { request as httpRequest } from "node:http";
import { expect, test } from "@playwright/test";

/**
 * Webhooks, LaML and liveness are served by our own server without Next's router
 * (bin/machine-routes.ts). Through the real server: they keep the error shape, request ids
 * and body limits, whether the body declares its length or arrives chunked.
 */
const CALL = "00000000-0000-4000-8000-00000000c0de";

test("an oversized webhook body is 413 with the error shape, declared or chunked", async ({ request }) => {
  const big = "x=" + "a".repeat(100 * 1024);
  const declared = await request.post(`/api/webhooks/signalwire/${CALL}/status`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    data: big,
  });
  expect(declared.status()).toBe(413);
  expect(declared.headers()["x-request-id"]).toBeTruthy();
  expect((await declared.json()).error).toMatchObject({ code: "payload_too_large" });

  const base = new URL(test.info().project.use.baseURL!);
  const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      { host: base.hostname, port: base.port, method: "POST", path: `/api/webhooks/signalwire/${CALL}/status`, headers: { "content-type": "application/x-www-form-urlencoded", "transfer-encoding": "chunked" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    for (let i = 0; i < 10; i++) req.write("a".repeat(16 * 1024));
    req.end();
  });
  expect(chunked.status).toBe(413);
  expect(JSON.parse(chunked.body).error).toMatchObject({ code: "payload_too_large" });
});

test("an unsigned webhook is 403 and a method the route lacks is 405, as under Next", async ({ request }) => {
  const unsigned = await request.post(`/api/webhooks/signalwire/${CALL}/status`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    data: "CallSid=x&CallStatus=ringing",
  });
  expect(unsigned.status()).toBe(403);
  expect((await unsigned.json()).error).toMatchObject({ code: "invalid_signature", requestId: expect.any(String) });
  expect((await request.delete(`/api/webhooks/signalwire/${CALL}/status`)).status()).toBe(405);
  expect((await request.get("/api/health/live")).status()).toBe(200);
});

test("a path whose percent-escapes do not decode is 400 with the error shape, on every kind of route", async () => {
  const base = new URL(test.info().project.use.baseURL!);
  const get = (path: string) => new Promise<{ status: number; type: string; id: string; body: string }>((resolve, reject) => {
    // A fresh connection each time: a pooled one the server has closed would read as ECONNRESET.
    const req = httpRequest({ host: base.hostname, port: base.port, method: "GET", path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), id: String(res.headers["x-request-id"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
  // A page, the API behind the proxy, signed storage (no proxy), a member route, LaML (no Next router).
  for (const path of ["/invite/%c0", "/api/calls/%c0", "/api/storage/%c0%ae", "/api/members/%c0", `/api/laml/%c0`, "/api/calls/%E0%A4%A/evidence"]) {
    const res = await get(path);
    expect(res.status, path).toBe(400);
    expect(res.type, path).toContain("application/json");
    expect(JSON.parse(res.body).error, path).toMatchObject({ code: "invalid_request", requestId: res.id });
  }
});
