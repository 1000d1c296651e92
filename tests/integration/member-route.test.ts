import { beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { Browser, call, signedInUser } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * What `memberRoute` guarantees before a handler runs (docs/adr/0011), through handlers of its
 * own: session, organization, validated input, then one transaction as the caller in which the
 * action was authorized. The real routes' behaviour is in invitations.test.ts and fuzz-routes.
 */
const { memberRoute } = await import("@/lib/http/member-route");

type User = Awaited<ReturnType<typeof signedInUser>>;

let acme: string;
let other: string;
let viewer: User;
let owner: User;
let twoOrgs: User;
let ran = 0;

beforeAll(async () => {
  acme = await createOrg("base");
  other = await createOrg("base");
  viewer = await signedInUser();
  owner = await signedInUser();
  twoOrgs = await signedInUser();
  await addMembership(acme, viewer.userId, "viewer");
  await addMembership(acme, owner.userId, "owner");
  await addMembership(acme, twoOrgs.userId, "owner");
  await addMembership(other, twoOrgs.userId, "owner");
});

/** Reports what the handler saw, from inside its transaction. */
const inTransaction = memberRoute("voice_config.update", async ({ tx, session, membership, orgId, body }) => {
  ran += 1;
  const [row] = await tx<{ dbRole: string; sub: string; txid: string }[]>`
    select current_user as "dbRole", current_setting('request.jwt.claim.sub', true) as sub, txid_current()::text as txid`;
  const [again] = await tx<{ txid: string }[]>`select txid_current()::text as txid`;
  return Response.json({ ...row, sameTransaction: row!.txid === again!.txid, userId: session.userId, role: membership.role, orgId, body });
}, { body: z.object({ note: z.string().max(10) }) });

const outside = memberRoute("operations.view", async (ctx) => {
  ran += 1;
  return Response.json({ hasTx: "tx" in ctx, orgId: ctx.orgId });
}, { transaction: false });

describe("memberRoute", () => {
  it("without a session: 401, and the handler never runs", async () => {
    const before = ran;
    const answer = await call(new Browser(), inTransaction, { method: "PUT", body: { note: "x" }, orgId: acme });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({ code: "unauthenticated", requestId: expect.any(String) });
    expect(ran).toBe(before);
  });

  it("with several organizations and no choice: 409 organization_required", async () => {
    const answer = await call(twoOrgs.browser, inTransaction, { method: "PUT", body: { note: "x" } });
    expect(answer.status).toBe(409);
    expect(answer.body.error?.code).toBe("organization_required");
  });

  it("another organization is 404, a role that may not is 403; neither runs the handler", async () => {
    const before = ran;
    expect((await call(owner.browser, inTransaction, { method: "PUT", body: { note: "x" }, orgId: other })).status).toBe(404);
    expect((await call(viewer.browser, inTransaction, { method: "PUT", body: { note: "x" }, orgId: acme })).status).toBe(403);
    expect(ran).toBe(before);
  });

  it("an invalid body is 400 naming the field, before anything runs", async () => {
    const before = ran;
    const answer = await call(owner.browser, inTransaction, { method: "PUT", body: { note: "far too long a note" }, orgId: acme });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toMatch(/^note:/);
    expect(ran).toBe(before);
  });

  it("the handler runs as the caller (RLS on), in one transaction, with the membership that was authorized", async () => {
    const answer = await call(owner.browser, inTransaction, { method: "PUT", body: { note: "hello" }, orgId: acme });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      dbRole: "authenticated", sub: owner.userId, sameTransaction: true, userId: owner.userId, role: "owner", orgId: acme, body: { note: "hello" },
    });
  });

  it("transaction: false authorizes the same way and hands over no transaction", async () => {
    expect((await call(owner.browser, outside, { orgId: other })).status).toBe(404);
    const answer = await call(viewer.browser, outside, { orgId: acme });
    expect(answer).toMatchObject({ status: 200, body: { hasTx: false, orgId: acme } });
  });
});
