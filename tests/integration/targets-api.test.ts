import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { sql } from "@/lib/db/client";
import { asService } from "@/lib/db";
import { numberHash, openNumbers } from "@/lib/pii/numbers";
import { maskNumber } from "@/lib/calls/call-view";
import { activityResponseSchema } from "@/lib/activity/contracts";
import {
  IMPORT_MAX_BYTES, importPreviewSchema, targetListResponseSchema, targetViewSchema, targetWriteResponseSchema,
  type ImportPreview, type TargetListResponse, type TargetView,
} from "@/lib/targets/contracts";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { as, call, signedInUser, type Browser } from "@/tests/support/member-requests";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * /api/voice/targets through its routes (memberRoute: session, organization, role), real
 * Postgres with RLS: every route's wrong role (403 naming who may), another organization's id
 * (404), malformed and oversized input (400/413/415/422), duplicates, the import's preview
 * (changes nothing) and commit (exactly what the preview showed, or nothing), numbers masked for
 * viewers, and an export no spreadsheet runs as formulas.
 */
const list = await import("@/app/api/voice/targets/route");
const one = await import("@/app/api/voice/targets/[id]/route");
const importRoute = await import("@/app/api/voice/targets/import/route");
const exportRoute = await import("@/app/api/voice/targets/export/route");
const activity = await import("@/app/api/activity/route");

let acme: string;
let borealis: string;
const people: Record<string, { userId: string; browser: Browser }> = {};
const browserOf = (who: string) => people[who]!.browser;

beforeAll(async () => {
  acme = await createOrg("base");
  borealis = await createOrg("base");
  for (const role of ["owner", "admin", "operator", "analyst", "viewer"] as const) {
    people[role] = await signedInUser();
    await addMembership(acme, people[role]!.userId, role);
  }
  people.borealisOwner = await signedInUser();
  await addMembership(borealis, people.borealisOwner.userId, "owner");
});

async function create(body: unknown, who = "owner", orgId = acme) {
  return call(browserOf(who), list.POST, { method: "POST", path: "/api/voice/targets", body, orgId });
}

/** A raw request (CSV bodies, odd content types) as `who`. */
async function raw(who: string, handler: (req: Request, ctx: { params: Promise<Record<string, never>> }) => Promise<Response>, path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}, orgId = acme) {
  const headers = new Headers({ "x-organization-id": orgId, "x-forwarded-for": "198.51.100.7", ...init.headers });
  const req = new Request(`http://127.0.0.1${path}`, { method: init.method ?? "GET", headers, body: init.body });
  const res = await as(browserOf(who), () => handler(req, { params: Promise.resolve({}) }));
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function importCsv(csv: string, query: string, who = "owner", orgId = acme) {
  const res = await raw(who, importRoute.POST, `/api/voice/targets/import?${query}`, { method: "POST", body: csv, headers: { "content-type": "text/csv" } }, orgId);
  return { status: res.status, body: JSON.parse(res.text) as ImportPreview & { error?: { code: string; message: string } } };
}

async function targetCount(orgId = acme): Promise<number> {
  const [row] = await sql()<{ n: number }[]>`select count(*)::int as n from public.voice_targets where organization_id = ${orgId}`;
  return row!.n;
}

describe("saving, reading, changing and deleting targets", () => {
  it("an owner saves a target: the number in E.164, the zone derived from a New York area code and said so, tags normalized", async () => {
    const res = await create({ name: "Riverside Clinic", number: "+1 (212) 555-0100", tags: ["West", " front desk "], notes: "Ask for Dana" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      timeZoneDerived: true,
      target: { name: "Riverside Clinic", number: "+12125550100", timeZone: "America/New_York", tags: ["west", "front desk"], dnc: false, createdBy: people.owner!.userId },
    });
  });

  it("a zone that cannot be told from the number must be given (toll-free), and is then kept as given", async () => {
    const res = await create({ name: "Hotline", number: "+18005550100" });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "time_zone_required" });
    const given = await create({ name: "Hotline", number: "+18005550100", timeZone: "america/chicago" });
    expect(given.status).toBe(201);
    expect(given.body).toMatchObject({ timeZoneDerived: false, target: { timeZone: "America/Chicago" } });
  });

  it("a number already saved is 409 naming the target; the same number in another organization is fine", async () => {
    const dup = await create({ name: "Again", number: "+12125550100" });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: "duplicate_number" });
    expect(dup.body.error!.message).toContain("Riverside Clinic");
    expect((await create({ name: "Theirs", number: "+12125550100" }, "borealisOwner", borealis)).status).toBe(201);
  });

  it("malformed bodies are 400 or 415 with a message naming the field; a bad number or zone is 422; an oversized body 413", async () => {
    const noName = await create({ number: "+12125550111" });
    expect(noName.status).toBe(400);
    expect(noName.body.error!.message).toMatch(/^name:/);
    expect((await create({ name: "X", number: "+12125550111", colour: "red" })).status).toBe(400);
    expect((await create({ name: "X", number: "+12125550111", timeZone: "Nowhere/Town" })).status).toBe(400);
    const badNumber = await create({ name: "X", number: "+1 555" });
    expect(badNumber.status).toBe(422);
    expect(badNumber.body.error).toMatchObject({ code: "invalid_number" });
    const notJson = await raw("owner", list.POST, "/api/voice/targets", { method: "POST", body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(notJson.status).toBe(415);
    const huge = await create({ name: "X", number: "+12125550111", notes: "n".repeat(9000) });
    expect(huge.status).toBe(413);
    expect(await targetCount()).toBe(2);
  });

  it("roles that may not save are 403, and the answer says who may", async () => {
    for (const role of ["operator", "analyst", "viewer"]) {
      const res = await create({ name: "Nope", number: "+12125550112" }, role);
      expect(res.status, role).toBe(403);
      expect(res.body.error!.message).toContain("Owners and admins may");
    }
  });

  it("viewers read numbers masked as calls mask them, and cannot find a target by its number; others see it whole", async () => {
    const viewer = await call(browserOf("viewer"), list.GET, { path: "/api/voice/targets", orgId: acme });
    expect(viewer.status).toBe(200);
    const numbers = (viewer.body as unknown as TargetListResponse).targets.map((t) => t.number);
    expect(numbers).toEqual([maskNumber("+18005550100"), maskNumber("+12125550100")]);
    expect(numbers.join()).not.toMatch(/5550100/);
    const byNumber = await call(browserOf("viewer"), list.GET, { path: "/api/voice/targets?q=2125550100", orgId: acme });
    expect((byNumber.body as unknown as TargetListResponse).targets).toEqual([]);
    const analyst = await call(browserOf("analyst"), list.GET, { path: `/api/voice/targets?q=${encodeURIComponent("+1 212-555-0100")}`, orgId: acme });
    expect((analyst.body as unknown as TargetListResponse).targets.map((t) => t.number)).toEqual(["+12125550100"]);
    // A whole number, through the keyed hash: a sealed number has no digits to match part of.
    const partial = await call(browserOf("analyst"), list.GET, { path: "/api/voice/targets?q=5550100", orgId: acme });
    expect((partial.body as unknown as TargetListResponse).targets).toEqual([]);
    const [riverside] = (analyst.body as unknown as TargetListResponse).targets;
    const single = await call(browserOf("viewer"), one.GET, { orgId: acme, params: { id: riverside!.id } });
    expect((single.body.target as TargetView).number).toBe(maskNumber("+12125550100"));
  });

  it("another organization's target is 404 on every method, and stays as it was", async () => {
    const theirs = (await call(browserOf("borealisOwner"), list.GET, { path: "/api/voice/targets", orgId: borealis })).body as unknown as TargetListResponse;
    const id = theirs.targets[0]!.id;
    expect((await call(browserOf("owner"), one.GET, { orgId: acme, params: { id } })).status).toBe(404);
    expect((await call(browserOf("owner"), one.PATCH, { method: "PATCH", body: { name: "Mine now" }, orgId: acme, params: { id } })).status).toBe(404);
    expect((await call(browserOf("operator"), one.PATCH, { method: "PATCH", body: { dnc: true }, orgId: acme, params: { id } })).status).toBe(404);
    expect((await call(browserOf("owner"), one.DELETE, { method: "DELETE", orgId: acme, params: { id } })).status).toBe(404);
    const [row] = await sql()<{ name: string; dnc: boolean }[]>`select name, dnc from public.voice_targets where id = ${id}`;
    expect(row).toEqual({ name: "Theirs", dnc: false });
  });

  it("an operator marks a target do-not-call (recorded with who and when, and in the organization's changes) but cannot clear it or edit", async () => {
    const id = (await create({ name: "Marked", number: "+13125550120" })).body.target as TargetView;
    const mark = await call(browserOf("operator"), one.PATCH, { method: "PATCH", body: { dnc: true }, orgId: acme, params: { id: id.id } });
    expect(mark.status).toBe(200);
    expect(mark.body.target).toMatchObject({ dnc: true, dncSetBy: people.operator!.userId, dncSetByEmail: expect.stringContaining("@") });
    expect(Date.now() - Date.parse((mark.body.target as TargetView).dncSetAt!)).toBeLessThan(60_000);
    const clear = await call(browserOf("operator"), one.PATCH, { method: "PATCH", body: { dnc: false }, orgId: acme, params: { id: id.id } });
    expect(clear.status).toBe(403);
    expect(clear.body.error!.message).toMatch(/clearing a do-not-call mark.*Owners and admins may/);
    expect((await call(browserOf("operator"), one.PATCH, { method: "PATCH", body: { name: "Renamed" }, orgId: acme, params: { id: id.id } })).status).toBe(403);
    for (const role of ["analyst", "viewer"]) {
      const res = await call(browserOf(role), one.PATCH, { method: "PATCH", body: { dnc: true }, orgId: acme, params: { id: id.id } });
      expect(res.status, role).toBe(403);
      expect(res.body.error!.message).toContain("Owners, admins and operators may");
    }
    const cleared = await call(browserOf("admin"), one.PATCH, { method: "PATCH", body: { dnc: false }, orgId: acme, params: { id: id.id } });
    expect(cleared.body.target).toMatchObject({ dnc: false, dncSetBy: people.admin!.userId });
    const events = await sql()<{ kind: string; actor: string; subject: string }[]>`
      select kind, actor_user_id as actor, subject from public.organization_events where organization_id = ${acme} and subject = ${id.id} order by id`;
    expect(events).toEqual([
      { kind: "target.dnc_set", actor: people.operator!.userId, subject: id.id },
      { kind: "target.dnc_cleared", actor: people.admin!.userId, subject: id.id },
    ]);
  });

  it("an owner edits a target; a new number takes the zone it names; moving onto a saved number is 409", async () => {
    const t = (await create({ name: "Mover", number: "+12125550130" })).body.target as TargetView;
    const moved = await call(browserOf("owner"), one.PATCH, { method: "PATCH", body: { number: "+14155550130", notes: "moved west" }, orgId: acme, params: { id: t.id } });
    expect(moved.body.target).toMatchObject({ number: "+14155550130", timeZone: "America/Los_Angeles", notes: "moved west", name: "Mover" });
    const clash = await call(browserOf("owner"), one.PATCH, { method: "PATCH", body: { number: "+12125550100" }, orgId: acme, params: { id: t.id } });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({ code: "duplicate_number" });
    expect((await call(browserOf("owner"), one.PATCH, { method: "PATCH", body: {}, orgId: acme, params: { id: t.id } })).status).toBe(400);
  });

  it("deleting: owners and admins only (403 naming who may); a do-not-call target is kept (409)", async () => {
    const t = (await create({ name: "Doomed", number: "+12125550140" })).body.target as TargetView;
    const m = (await create({ name: "Kept", number: "+12125550141", dnc: true })).body.target as TargetView;
    const refused = await call(browserOf("operator"), one.DELETE, { method: "DELETE", orgId: acme, params: { id: t.id } });
    expect(refused.status).toBe(403);
    expect(refused.body.error!.message).toContain("Owners and admins may");
    expect((await call(browserOf("admin"), one.DELETE, { method: "DELETE", orgId: acme, params: { id: t.id } })).status).toBe(204);
    expect((await call(browserOf("admin"), one.GET, { orgId: acme, params: { id: t.id } })).status).toBe(404);
    const kept = await call(browserOf("owner"), one.DELETE, { method: "DELETE", orgId: acme, params: { id: m.id } });
    expect(kept.status).toBe(409);
    expect(kept.body.error).toMatchObject({ code: "target_dnc" });
  });

  it("lists by name a page at a time, by tag and by mark; a cursor it did not give out is 400", async () => {
    for (let i = 0; i < 5; i++) await create({ name: `Paged ${i}`, number: `+1646555020${i}`, tags: i % 2 ? ["odd", "paged"] : ["paged"] });
    const seen: string[] = [];
    let after = "";
    for (;;) {
      const page = (await call(browserOf("analyst"), list.GET, { path: `/api/voice/targets?tag=paged&limit=2${after ? `&after=${after}` : ""}`, orgId: acme })).body as unknown as TargetListResponse;
      seen.push(...page.targets.map((t) => t.name));
      if (!page.nextAfter) break;
      after = page.nextAfter;
    }
    expect(seen).toEqual(["Paged 0", "Paged 1", "Paged 2", "Paged 3", "Paged 4"]);
    const odd = (await call(browserOf("analyst"), list.GET, { path: "/api/voice/targets?tag=Odd,paged", orgId: acme })).body as unknown as TargetListResponse;
    expect(odd.targets.map((t) => t.name)).toEqual(["Paged 1", "Paged 3"]);
    const dnc = (await call(browserOf("analyst"), list.GET, { path: "/api/voice/targets?dnc=true", orgId: acme })).body as unknown as TargetListResponse;
    expect(dnc.targets.map((t) => t.name)).toEqual(["Kept"]);
    const notes = (await call(browserOf("viewer"), list.GET, { path: "/api/voice/targets?q=DANA", orgId: acme })).body as unknown as TargetListResponse;
    expect(notes.targets.map((t) => t.name)).toEqual(["Riverside Clinic"]);
    expect((await call(browserOf("analyst"), list.GET, { path: "/api/voice/targets?after=bm9wZQ", orgId: acme })).status).toBe(400);
    expect((await call(browserOf("analyst"), list.GET, { path: "/api/voice/targets?limit=1000", orgId: acme })).status).toBe(400);
  });
});

const IMPORT = [
  "name,number,time_zone,tags,notes,dnc",
  "North Clinic,+1 212 555 0300,,north;clinic,,",
  "Toll free,+18005550301,,,,",
  "Paris Office,+33 1 42 68 53 00,europe/paris,eu|office,\"Front desk, 2nd floor\",no",
  ",+12125550302,,,,",
  "Bad number,12345,,,,",
  "North Clinic again,+12125550300,,,,",
  "Already saved,+12125550100,,,,",
  "Unknown zone,+12125550303,Mars/Olympus,,,",
  "Do not call,+13125550304,,,,yes",
  "Bad mark,+13125550305,,,,perhaps",
].join("\n");

describe("importing targets from CSV", () => {
  it("a preview shows the rows it would save and each refused row with its reason, and changes nothing", async () => {
    const before = await targetCount();
    const { status, body } = await importCsv(IMPORT, "mode=preview");
    expect(status).toBe(200);
    expect(body.rows).toEqual([
      { row: 2, name: "North Clinic", number: "+12125550300", timeZone: "America/New_York", timeZoneDerived: true, tags: ["north", "clinic"], notes: "", dnc: false },
      { row: 4, name: "Paris Office", number: "+33142685300", timeZone: "Europe/Paris", timeZoneDerived: false, tags: ["eu", "office"], notes: "Front desk, 2nd floor", dnc: false },
      { row: 10, name: "Do not call", number: "+13125550304", timeZone: "America/Chicago", timeZoneDerived: true, tags: [], notes: "", dnc: true },
    ]);
    expect(body.refused.map((r) => [r.row, r.code])).toEqual([
      [3, "time_zone_required"],
      [5, "missing_name"],
      [6, "bad_number"],
      [7, "duplicate_in_file"],
      [8, "already_saved"],
      [9, "unknown_time_zone"],
      [11, "bad_dnc"],
    ]);
    expect(body.refused.find((r) => r.row === 7)!.reason).toContain("row 2");
    expect(body.refused.find((r) => r.row === 8)!.reason).toContain("Riverside Clinic");
    expect(body.token).toMatch(/^[0-9a-f]{64}$/);
    expect(await targetCount()).toBe(before);
  });

  it("a commit with the preview's token saves exactly the previewed rows, in one go, recorded once", async () => {
    const preview = (await importCsv(IMPORT, "mode=preview")).body;
    const before = await targetCount();
    const { status, body } = await importCsv(IMPORT, `mode=commit&token=${preview.token}`, "admin");
    expect(status).toBe(201);
    expect(body).toMatchObject({ mode: "commit", created: 3, token: preview.token, rows: preview.rows, refused: preview.refused });
    expect(await targetCount()).toBe(before + 3);
    const saved = await sql()<{ name: string; number: string; time_zone: string; tags: string[]; dnc: boolean; dnc_set_by: string | null }[]>`
      select name, number, time_zone, tags, dnc, dnc_set_by from public.voice_targets
      where organization_id = ${acme} and number_hash = any(${await Promise.all(preview.rows.map((r) => numberHash(acme, r.number)))}::text[]) order by name`;
    for (const s of saved) expect(s.number).toMatch(/^pn1\./);
    const opened = await asService((tx) => openNumbers(tx, saved.map((s) => ({ orgId: acme, field: "voice_targets.number", value: s.number }))));
    expect(saved.map((s, i) => [s.name, opened[i], s.time_zone, s.tags, s.dnc])).toEqual(
      [...preview.rows].sort((a, b) => a.name.localeCompare(b.name)).map((r) => [r.name, r.number, r.timeZone, r.tags, r.dnc]),
    );
    expect(saved.find((s) => s.dnc)!.dnc_set_by).toBe(people.admin!.userId);
    const [event] = await sql()<{ payload: unknown }[]>`select payload from public.organization_events where organization_id = ${acme} and kind = 'targets.imported'`;
    expect(event!.payload).toEqual({ created: 3, dnc: 1 });
    // The same commit again: its rows are saved now, so the preview it names is not what a preview shows.
    const again = await importCsv(IMPORT, `mode=commit&token=${preview.token}`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "preview_stale" });
  });

  it("a commit whose file changed since the preview, or whose saved targets did, saves nothing (409)", async () => {
    const csv = "name,number\nFresh A,+12125550400\nFresh B,+12125550401\n";
    const preview = (await importCsv(csv, "mode=preview")).body;
    expect(preview.rows).toHaveLength(2);
    const before = await targetCount();
    const edited = await importCsv(csv.replace("Fresh B", "Fresh C"), `mode=commit&token=${preview.token}`);
    expect(edited.status).toBe(409);
    expect(edited.body.error).toMatchObject({ code: "preview_stale" });
    await create({ name: "Meanwhile", number: "+12125550401" });
    const raced = await importCsv(csv, `mode=commit&token=${preview.token}`);
    expect(raced.status).toBe(409);
    expect(await targetCount()).toBe(before + 1);
    expect((await importCsv(csv, "mode=commit")).status).toBe(400);
  });

  it("refuses an unreadable file (422), one over the byte limit (413), another media type (415), and roles that may not import (403)", async () => {
    const before = await targetCount();
    expect((await importCsv("name,phone\nA,+12125550500\n", "mode=preview")).body.error).toMatchObject({ code: "csv_header" });
    expect((await importCsv('name,number\n"A,+12125550500\n', "mode=preview")).body.error).toMatchObject({ code: "csv_malformed" });
    expect((await importCsv("", "mode=preview")).status).toBe(422);
    const big = `name,number,notes\n${"A,+12125550500,".padEnd(IMPORT_MAX_BYTES + 10, "x")}\n`;
    const tooBig = await importCsv(big, "mode=preview");
    expect(tooBig.status).toBe(413);
    const json = await raw("owner", importRoute.POST, "/api/voice/targets/import?mode=preview", { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(json.status).toBe(415);
    expect((await importCsv("name,number\nA,+12125550500\n", "mode=draft")).status).toBe(400);
    for (const role of ["operator", "analyst", "viewer"]) {
      const res = await importCsv("name,number\nA,+12125550500\n", "mode=preview", role);
      expect(res.status, role).toBe(403);
    }
    expect(await targetCount()).toBe(before);
  });
});

describe("exporting targets as CSV", () => {
  it("answers the import's columns, numbers masked for viewers, and every formula-looking cell prefixed with an apostrophe", async () => {
    await create({ name: "=HYPERLINK(\"http://evil.test\",\"click\")", number: "+12125550600", notes: "@SUM(1+1)", tags: ["-minus"] });
    const owner = await raw("owner", exportRoute.GET, "/api/voice/targets/export?q=evil");
    expect(owner.status).toBe(200);
    expect(owner.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(owner.headers.get("content-disposition")).toMatch(/^attachment; filename="targets-\d{4}-\d{2}-\d{2}\.csv"$/);
    const [header, row] = parse(owner.text) as string[][];
    expect(header).toEqual(["name", "number", "time_zone", "tags", "notes", "dnc", "dnc_set_at"]);
    expect(row).toEqual(["'=HYPERLINK(\"http://evil.test\",\"click\")", "'+12125550600", "America/New_York", "'-minus", "'@SUM(1+1)", "no", ""]);
    for (const cells of parse(owner.text).slice(1) as string[][]) for (const cell of cells) expect(cell).not.toMatch(/^[=+\-@\t\r]/);

    const viewer = await raw("viewer", exportRoute.GET, "/api/voice/targets/export?q=evil");
    const [, masked] = parse(viewer.text) as string[][];
    expect(masked![1]).toBe(`'${maskNumber("+12125550600")}`);
    expect(viewer.text).not.toContain("5550600");
  });

  it("an export imports again: its rows are all already saved (and would be saved as they were elsewhere)", async () => {
    const exported = await raw("owner", exportRoute.GET, "/api/voice/targets/export?tag=paged");
    const back = await importCsv(exported.text.replace(/,dnc_set_at\r\n/, "\r\n").replace(/,(\r\n)/g, "$1"), "mode=preview");
    expect(back.status).toBe(200);
    expect(back.body.refused.map((r) => r.code)).toEqual(["already_saved", "already_saved", "already_saved", "already_saved", "already_saved"]);
    const elsewhere = await importCsv(exported.text.replace(/,dnc_set_at\r\n/, "\r\n").replace(/,(\r\n)/g, "$1"), "mode=preview", "borealisOwner", borealis);
    expect(elsewhere.body.rows.map((r) => [r.name, r.number, r.tags])).toEqual([
      ["Paged 0", "+16465550200", ["paged"]],
      ["Paged 1", "+16465550201", ["odd", "paged"]],
      ["Paged 2", "+16465550202", ["paged"]],
      ["Paged 3", "+16465550203", ["odd", "paged"]],
      ["Paged 4", "+16465550204", ["paged"]],
    ]);
  });
});

describe("the contracts and the activity feed", () => {
  it("every answer parses with its schema, and owners see marks and imports in the organization's activity", async () => {
    const created = await create({ name: "Contract", number: "+12125550700", dnc: true });
    expect(targetWriteResponseSchema.safeParse(created.body).success).toBe(true);
    const listed = await call(browserOf("viewer"), list.GET, { path: "/api/voice/targets", orgId: acme });
    expect(targetListResponseSchema.safeParse(listed.body).success).toBe(true);
    const single = await call(browserOf("operator"), one.GET, { orgId: acme, params: { id: (created.body.target as TargetView).id } });
    expect(targetViewSchema.safeParse(single.body.target).success).toBe(true);
    expect(importPreviewSchema.safeParse((await importCsv("name,number\nA,+12125550701\n", "mode=preview")).body).success).toBe(true);

    const feed = await call(browserOf("owner"), activity.GET, { path: "/api/activity", orgId: acme });
    const parsed = activityResponseSchema.parse(feed.body);
    const targets = parsed.events.filter((e) => e.label === "Targets").map((e) => e.summary);
    expect(targets).toEqual(expect.arrayContaining([
      expect.stringMatching(/marked the target "Contract" do-not-call$/),
      expect.stringMatching(/cleared the do-not-call mark of the target "Marked"$/),
      expect.stringMatching(/imported 3 targets \(1 marked do-not-call\)$/),
    ]));
  });
});
