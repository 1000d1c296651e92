import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, freshIp } from "./support";

test("owners and admins add members; operators cannot", async ({ playwright }) => {
  const base = test.info().project.use.baseURL;
  const owner = await playwright.request.newContext({ baseURL: base });
  await owner.post("/api/auth/sign-in", { data: { email: "owner@acme.test", password: DEMO_PASSWORD() }, headers: { "x-forwarded-for": freshIp() } });
  const email = `new-${Date.now()}@acme.test`;
  const added = await owner.post("/api/members", { data: { email, role: "operator", password: "a first password 123" } });
  expect(added.status()).toBe(201);
  expect((await owner.post("/api/members", { data: { email, role: "operator" } })).status()).toBe(409);
  const bad = await owner.post("/api/members", { data: { email: "not-an-email", role: "operator" } });
  expect(bad.status()).toBe(400);

  const newcomer = await playwright.request.newContext({ baseURL: base });
  const signedIn = await newcomer.post("/api/auth/sign-in", { data: { email, password: "a first password 123" }, headers: { "x-forwarded-for": freshIp() } });
  expect(signedIn.status()).toBe(200);
  const denied = await newcomer.post("/api/members", { data: { email: `x-${Date.now()}@acme.test`, role: "viewer", password: "another password 123" } });
  expect(denied.status()).toBe(403);
  await Promise.all([owner.dispose(), newcomer.dispose()]);
});
