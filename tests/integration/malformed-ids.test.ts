import { randomUUID } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { call, signedInUser, type Browser } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Issue 17 §6: a path id that is not a uuid (`/api/calls/abc/evidence`) used to reach Postgres
 * on some routes and answer 500, where its siblings answered 404. Every member route whose path
 * names a record by `[id]` or `[callId]` answers such an id as it answers an id that exists
 * nowhere (404, or the input error it gives first), in the error shape, never 5xx, for every
 * method it exports. The list is found on disk, so a new route is covered without being named.
 */
const APP = path.resolve("app/api");

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return routeFiles(full);
    return name === "route.ts" ? [full] : [];
  });
}

const ID_ROUTES = routeFiles(APP)
  .filter((file) => /\[(id|callId)\]/.test(file) && !/\/(webhooks|laml)\//.test(file))
  .map((file) => path.relative(APP, path.dirname(file)));

let owner: Browser;
let orgId: string;

beforeAll(async () => {
  orgId = await createOrg("global");
  const person = await signedInUser();
  await addMembership(orgId, person.userId, "owner");
  owner = person.browser;
});

describe("a malformed id in the path", () => {
  it("is 404 for GET /api/calls/abc/evidence, as its siblings answer", async () => {
    const mod = await import("@/app/api/calls/[id]/evidence/route");
    const res = await call(owner, mod.GET, { path: "/api/calls/abc/evidence", orgId, params: { id: "abc" } });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: "not_found" });
  });

  it("finds the member routes that name a record by id", () => {
    expect(ID_ROUTES).toEqual(expect.arrayContaining(["calls/[id]/evidence", "calls/[id]/evidence/versions", "evidence/exports/[id]", "surveys/[id]"]));
  });

  for (const dir of ID_ROUTES) {
    it(`is 404 on /api/${dir}`, async () => {
      const mod = (await import(`@/app/api/${dir}/route`)) as Record<string, unknown>;
      const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => typeof mod[m] === "function");
      expect(methods.length).toBeGreaterThan(0);
      for (const method of methods) {
        const handler = mod[method] as Parameters<typeof call>[1];
        // What the route answers an id that exists nowhere (404, or its input error first).
        const unknownId = randomUUID();
        const unknown = await call(owner, handler, { method, path: `/api/${dir}`, orgId, params: { id: unknownId, callId: unknownId, version: "1" } });
        expect(unknown.status, `${method} /api/${dir} with an unknown id`).toBeLessThan(500);
        for (const bad of ["abc", "1", "00000000-0000-0000-0000-00000000000g", "' or 1=1 --"]) {
          const res = await call(owner, handler, { method, path: `/api/${dir}`, orgId, params: { id: bad, callId: bad, version: "1" } });
          expect(res.status, `${method} /api/${dir} with id ${JSON.stringify(bad)}`).toBe(unknown.status);
          expect(res.body.error).toMatchObject({ code: expect.any(String), requestId: expect.any(String) });
        }
      }
    });
  }
});
