import { createHash, randomBytes, randomUUID } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdir, readdir, rm, writeFile, copyFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import pino from "pino";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as listRoute, POST as createRoute } from "@/app/api/evidence/exports/route";
import { GET as showRoute } from "@/app/api/evidence/exports/[id]/route";
import { POST as cancelRoute } from "@/app/api/evidence/exports/[id]/cancel/route";
import { POST as linkRoute } from "@/app/api/evidence/exports/[id]/link/route";
import { GET as downloadRoute } from "@/app/api/evidence/exports/[id]/download/route";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { memoryBundle } from "@/lib/evidence/bundle";
import { archiveIndexSchema, type ArchiveIndex } from "@/lib/evidence/archive";
import { jwks } from "@/lib/evidence-sealing/keys";
import { verifyArchive } from "@/lib/evidence/verify-archive";
import { evidenceKeyring, timeStampAuthority } from "@/lib/evidence-sealing/authority";
import { expireEvidenceExports, runBulkExport } from "@/lib/evidence-sealing/bulk-export";
import { appendCustodyEventOnce, custodyEvents } from "@/lib/evidence-sealing/custody";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { startWorker, type RunningWorker } from "@/lib/worker/runner";
import { storage } from "@/lib/storage";
import { addMembership, createOrg, member } from "@/tests/support/fixtures";
import { as, call, type Browser, signedInUser } from "@/tests/support/member-requests";
import { clearEvidenceDirs, unzip, useEvidenceDirs } from "@/tests/support/evidence-dirs";
import { waitFor } from "@/tests/support/pipeline";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Bulk evidence export (issue 11, docs/adr/0020) against the real database, graphile-worker,
 * real keys, the local TSA and filesystem storage in a temporary directory: the routes, the job,
 * the archive, custody per call, cancel, expiry, and the offline CLI on the archive.
 */
const log = pino({ level: "silent" });
const run = promisify(execFile);
let dir: string;
let orgId: string;
let calls: string[];
let unsealedCall: string;
let analyst: Awaited<ReturnType<typeof signedInUser>>;
let owner: Awaited<ReturnType<typeof signedInUser>>;
let operator: Awaited<ReturnType<typeof signedInUser>>;
let outsider: Awaited<ReturnType<typeof signedInUser>>;
let worker: RunningWorker | undefined;
let archiveFile: string;
let archiveFiles: Map<string, Uint8Array>;
let completedId: string;

async function newCall(org: string, createdBy: string, status = "completed", createdAt = new Date()): Promise<string> {
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status,
                              provider_call_sid, answered_at, ended_at, duration_seconds, created_at)
    values (${org}, ${createdBy}, 'direct', '+15550100000', '+15550100001', ${randomUUID()}, ${tx.json({ record: true, transcribe: true, disclosure: "This call is recorded." } as never)},
            'global', ${status}, ${`CA${randomUUID().replaceAll("-", "")}`}, ${new Date(Date.now() - 60_000)}, ${new Date()}, 42, ${createdAt})
    returning id`);
  return row!.id;
}

async function sealedCallWithRecording(org: string, createdBy: string, status = "completed"): Promise<{ callId: string; objectPath: string }> {
  const callId = await newCall(org, createdBy, status);
  const objectPath = `${org}/${callId}/${randomUUID()}.wav`;
  const put = await storage().put(objectPath, Readable.from([randomBytes(200_000)]), { contentType: "audio/wav" });
  await asService((tx) => tx`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type, stored_at)
    values (${org}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${objectPath}, ${put.sha256}, ${put.bytes}, 3, 1, 'audio/wav', now())`);
  expect(await sealCall({ orgId: org, callId }, { log })).toMatchObject({ outcome: "sealed" });
  return { callId, objectPath };
}

const exportsPath = (id?: string, rest = "") => `/api/evidence/exports${id ? `/${id}${rest}` : ""}`;
const create = (browser: Browser, body: unknown, org = orgId) => call(browser, createRoute, { method: "POST", path: exportsPath(), body, orgId: org });
const show = (browser: Browser, id: string, org = orgId) => call<{ id: string }>(browser, showRoute, { path: exportsPath(id), orgId: org, params: { id } });
const cancel = (browser: Browser, id: string, org = orgId) => call<{ id: string }>(browser, cancelRoute, { method: "POST", path: exportsPath(id, "/cancel"), orgId: org, params: { id } });
const link = (browser: Browser, id: string, org = orgId) => call<{ id: string }>(browser, linkRoute, { method: "POST", path: exportsPath(id, "/link"), orgId: org, params: { id } });

async function download(browser: Browser, id: string, url: string): Promise<Response> {
  return as(browser, () => downloadRoute(new Request(`http://127.0.0.1${url}`, { headers: { "x-forwarded-for": "198.51.100.91" } }), { params: Promise.resolve({ id }) }));
}

async function zipOf(files: Map<string, Uint8Array>, file: string): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of files) zip.addBuffer(Buffer.from(bytes), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  await writeFile(file, Buffer.concat(chunks));
  return file;
}

const exportsDir = (org: string) => path.join(process.env.STORAGE_DIR!, org, "exports");
const filesIn = async (d: string) => readdir(d).catch(() => [] as string[]);
const custodyOf = async (exportId: string) => (await asService((tx) => custodyEvents(tx, orgId))).filter((e) => e.requestId === `bulk-export:${exportId}`);
const indexOf = (files: Map<string, Uint8Array>) => archiveIndexSchema.parse(JSON.parse(new TextDecoder().decode(files.get("index.json"))));

beforeAll(async () => {
  dir = await useEvidenceDirs("verbatim-bulk-export-");
  orgId = await createOrg("global");
  [analyst, owner, operator, outsider] = await Promise.all([signedInUser(), signedInUser(), signedInUser(), signedInUser()]);
  await addMembership(orgId, analyst.userId, "analyst");
  await addMembership(orgId, owner.userId, "owner");
  await addMembership(orgId, operator.userId, "operator");
  await addMembership(await createOrg("global"), outsider.userId, "owner");
  calls = [];
  for (let i = 0; i < 3; i++) calls.push((await sealedCallWithRecording(orgId, analyst.userId)).callId);
  // A failed call with evidence too, for the status filter.
  await sealedCallWithRecording(orgId, analyst.userId, "failed");
  unsealedCall = await newCall(orgId, analyst.userId);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await clearEvidenceDirs(dir);
});

describe("the whole flow through the job runner", () => {
  beforeAll(async () => {
    worker = await startWorker({ crontab: false, pollInterval: 100, concurrency: 1, log });
  });
  afterAll(async () => {
    await worker?.stop();
    worker = undefined;
  });

  it("exports two sealed calls as one archive: 202, progress to completion, a link, the download, custody per call", async () => {
    const created = await create(analyst.browser, { callIds: [calls[0], calls[1]] });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    expect(created.body).toMatchObject({ status: "queued", done: 0, total: 2, requestedBy: analyst.userId });
    const id = created.body.id as string;
    completedId = id;

    // Progress as the page polls it: never past the total, and done = total at the end.
    const seen: Array<{ status: string; done: number }> = [];
    const done = await waitFor("the export to complete", async () => {
      const r = await show(analyst.browser, id);
      seen.push({ status: r.body.status as string, done: r.body.done as number });
      return r.body.status === "completed" ? r.body : undefined;
    });
    expect(seen.every((s) => s.done <= 2)).toBe(true);
    expect(done).toMatchObject({ done: 2, total: 2, currentCallId: null, error: null });
    expect(done.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(done.expiresAt as string) - Date.parse(done.finishedAt as string)).toBeCloseTo(24 * 3600 * 1000, -4);

    const listed = await call(analyst.browser, listRoute, { path: exportsPath(), orgId });
    expect((listed.body.exports as Array<{ id: string }>).map((e) => e.id)).toContain(id);
    expect((await call(owner.browser, listRoute, { path: exportsPath(), orgId })).body.exports).toEqual([]);

    const l = await link(analyst.browser, id);
    expect(l.status).toBe(200);
    const url = l.body.url as string;
    expect(url).toMatch(new RegExp(`^/api/evidence/exports/${id}/download\\?orgId=${orgId}&exp=\\d+&sig=`));
    expect(Date.parse(l.body.expiresAt as string) - Date.now()).toBeLessThanOrEqual(600_000);
    const response = await download(analyst.browser, id, url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toContain(`verbatim-evidence-export-${id}.zip`);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(done.sha256);
    expect(bytes.length).toBe(done.bytes);
    archiveFile = path.join(dir, "archive.zip");
    await writeFile(archiveFile, bytes);
    archiveFiles = await unzip(archiveFile);

    // The layout: one bundle per call, named by call, plus index.json and VERIFY.md.
    expect([...archiveFiles.keys()].sort()).toEqual([`${calls[0]}.zip`, `${calls[1]}.zip`, "VERIFY.md", "index.json"].sort());
    const index = indexOf(archiveFiles);
    expect(index).toMatchObject({ exportId: id, organizationId: orgId, requestedBy: analyst.userId, filter: { callIds: [calls[0], calls[1]] } });
    expect(index.calls.map((c) => c.callId)).toEqual([calls[0], calls[1]]);
    for (const entry of index.calls) {
      const inner = archiveFiles.get(entry.file)!;
      expect(createHash("sha256").update(inner).digest("hex")).toBe(entry.sha256);
      expect(inner.length).toBe(entry.bytes);
      expect(entry.manifestVersion).toBe(1);
    }
    expect(new TextDecoder().decode(archiveFiles.get("VERIFY.md"))).toContain("npm run verify -- archive.zip");

    // One custody event per exported call, by the analyst, naming the export; the bundle carries it.
    const events = await custodyOf(id);
    expect(events.map((e) => [e.action, e.callId, e.actorUserId])).toEqual([
      ["evidence.exported", calls[0], analyst.userId],
      ["evidence.exported", calls[1], analyst.userId],
    ]);
    const innerFile = path.join(dir, "inner.zip");
    await writeFile(innerFile, archiveFiles.get(`${calls[0]}.zip`)!);
    const inner = await unzip(innerFile);
    const custody = JSON.parse(new TextDecoder().decode(inner.get("custody.json"))) as { events: Array<{ action: string; requestId: string }> };
    expect(custody.events.at(-1)).toMatchObject({ action: "evidence.exported", requestId: `bulk-export:${id}` });

    // A completed export cannot be canceled, and its archive never changes.
    expect((await cancel(analyst.browser, id)).status).toBe(409);
    await expect(asService((tx) => tx`update public.evidence_exports set sha256 = ${"0".repeat(64)} where id = ${id}`)).rejects.toThrow(/never changes/);
  }, 60_000);

  it("selects by the call list's filters: status, and a bare `to` date through the end of that day (UTC)", async () => {
    const count = async (filter: Record<string, string>) => create(analyst.browser, { filter, dryRun: true });
    expect((await count({})).body).toEqual({ dryRun: true, total: 4 });
    expect((await count({ status: "completed" })).body).toEqual({ dryRun: true, total: 3 });
    expect((await count({ status: "failed", flow: "direct" })).body).toEqual({ dryRun: true, total: 1 });
    expect((await count({ flow: "bridge" })).body.error).toMatchObject({ code: "no_sealed_calls" });
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect((await count({ to: today })).body).toEqual({ dryRun: true, total: 4 });
    expect((await count({ from: today, to: today })).body).toEqual({ dryRun: true, total: 4 });
    const none = await count({ to: yesterday });
    expect(none.status).toBe(422);
    expect(none.body.error).toMatchObject({ code: "no_sealed_calls", message: expect.stringContaining("No sealed calls") });
  });
});

describe("refusals", () => {
  it("operators 403, another organization 404, malformed 400, oversized 413", async () => {
    expect((await create(operator.browser, { filter: {} })).status).toBe(403);
    expect((await call(operator.browser, listRoute, { path: exportsPath(), orgId })).status).toBe(403);
    expect((await show(operator.browser, completedId)).status).toBe(403);
    expect((await create(outsider.browser, { filter: {} }, orgId)).status).toBe(404);
    expect((await show(outsider.browser, completedId, orgId)).status).toBe(404);
    // In their own organization, this organization's export does not exist.
    expect((await show(outsider.browser, completedId, undefined as unknown as string)).status).toBe(404);
    expect((await link(outsider.browser, completedId, undefined as unknown as string)).status).toBe(404);
    expect((await cancel(outsider.browser, completedId, undefined as unknown as string)).status).toBe(404);
    expect((await show(analyst.browser, "not-an-id")).status).toBe(404);
    expect((await show(analyst.browser, randomUUID())).status).toBe(404);

    for (const body of [{}, { filter: {}, callIds: [calls[0]] }, { filter: { color: "red" } }, { callIds: ["nope"] }, { callIds: [] }, { filter: { status: "bogus" } }, { filter: {}, extra: 1 }]) {
      const answer = await create(analyst.browser, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    const malformed = await as(analyst.browser, () =>
      createRoute(new Request("http://127.0.0.1/api/evidence/exports", { method: "POST", headers: { "content-type": "application/json", "x-organization-id": orgId }, body: "{not json" }), { params: Promise.resolve({}) }));
    expect(malformed.status).toBe(400);
    const huge = await create(analyst.browser, { callIds: Array.from({ length: 1000 }, () => randomUUID()) });
    expect(huge.status).toBe(413);
    const before = await asService((tx) => tx`select count(*)::int as n from public.evidence_exports where organization_id = ${orgId}`);
    expect(before[0]!.n).toBe(1);
  });

  it("422 for filters the list refuses, for filters that select nothing, for chosen calls that are not sealed, and for an empty selection", async () => {
    // The export selects through the list's own walk: the same range checks, the same matches.
    for (const filter of [{ scoreMin: "50", scoreMax: "10" }, { from: "2026-12-02", to: "2026-12-01" }]) {
      const answer = await create(analyst.browser, { filter });
      expect(answer.status, JSON.stringify(filter)).toBe(422);
    }
    for (const filter of [{ q: "xylophonic-nothing-said" }, { number: "0000000" }, { has: "translation" }]) {
      const answer = await create(analyst.browser, { filter });
      expect(answer.status, JSON.stringify(filter)).toBe(422);
      expect(answer.body.error).toMatchObject({ code: "no_sealed_calls" });
    }
    const unsealed = await create(analyst.browser, { callIds: [calls[0], unsealedCall] });
    expect(unsealed.status).toBe(422);
    expect(unsealed.body.error).toMatchObject({ code: "not_sealed", message: expect.stringContaining(unsealedCall) });
    const empty = await create(analyst.browser, { filter: { status: "busy" } });
    expect(empty.status).toBe(422);
    expect(empty.body.error).toMatchObject({ code: "no_sealed_calls" });
    const [row] = await asService((tx) => tx<{ n: number }[]>`select count(*)::int as n from public.evidence_exports where organization_id = ${orgId}`);
    expect(row!.n).toBe(1);
  });

  it("422 above 500 sealed calls: the selection is refused, never truncated", async () => {
    const big = await createOrg("global");
    const member = await signedInUser();
    await addMembership(big, member.userId, "analyst");
    await asService(async (tx) => {
      await tx`
        insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status)
        select ${big}, ${member.userId}, 'direct', '+15550100000', '+15550100001', 'cap-' || g, '{}'::jsonb, 'global', 'completed' from generate_series(1, 501) g`;
      await tx`
        insert into public.evidence_manifests (organization_id, call_id, version, manifest, manifest_sha256, jws, kid)
        select organization_id, id, 1, '{}'::jsonb, encode(sha256(id::text::bytea), 'hex'), 'a..c', 'test' from public.calls where organization_id = ${big}`;
    });
    const answer = await create(member.browser, { filter: { status: "completed" } }, big);
    expect(answer.status, JSON.stringify(answer.body)).toBe(422);
    expect(answer.body.error).toMatchObject({ code: "too_many_calls", message: expect.stringContaining("more than 500") });
  });
});

describe("the job on its own", () => {
  it("cancel mid-way: the job stops before the next call, the partial archive is removed, status canceled", async () => {
    const created = await create(analyst.browser, { callIds: calls });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    // Hold the organization's custody lock: the job stops inside the first call, before its bytes.
    const holder = await sql().reserve();
    try {
      await holder`begin`;
      await holder`select pg_advisory_xact_lock(hashtextextended(${`custody_events:${orgId}`}, 0))`;
      const running = runBulkExport({ orgId, exportId: id }, { log, attempts: 1, maxAttempts: 3 });
      await waitFor("the job to reach the first call", async () => (await show(analyst.browser, id)).body.currentCallId === calls[0]);
      const progress = (await show(analyst.browser, id)).body;
      expect(progress).toMatchObject({ status: "running", done: 0, total: 3, currentCallId: calls[0] });
      const canceled = await cancel(analyst.browser, id);
      expect(canceled.status).toBe(200);
      expect(canceled.body.status).toBe("canceled");
      await holder`commit`;
      expect(await running).toEqual({ outcome: "canceled" });
    } finally {
      holder.release();
    }
    expect(await show(analyst.browser, id)).toMatchObject({ status: 200, body: { status: "canceled", sha256: null } });
    expect((await filesIn(exportsDir(orgId))).filter((f) => f.includes(id))).toEqual([]);
    // The first call's export was recorded before its bytes were written; the others never began.
    expect((await custodyOf(id)).map((e) => e.callId)).toEqual([calls[0]]);
    expect((await link(analyst.browser, id)).status).toBe(409);
    expect((await cancel(analyst.browser, id)).status).toBe(409);
  }, 60_000);

  it("a re-run after a crash starts over and records one custody event per call", async () => {
    const created = await create(analyst.browser, { callIds: [calls[1], calls[2]] });
    const id = created.body.id as string;
    // What a crashed attempt leaves: running, one call's export recorded, no archive.
    await asService(async (tx) => {
      await tx`update public.evidence_exports set status = 'running', done = 1, current_call_id = ${calls[2]!} where id = ${id}`;
      await appendCustodyEventOnce(tx, { orgId, actorUserId: analyst.userId, action: "evidence.exported", callId: calls[1]!, manifestId: null, sha256: null, requestId: `bulk-export:${id}` });
    });
    expect(await runBulkExport({ orgId, exportId: id }, { log, attempts: 2, maxAttempts: 3 })).toMatchObject({ outcome: "completed" });
    expect((await custodyOf(id)).map((e) => e.callId)).toEqual([calls[1], calls[2]]);
    expect(await runBulkExport({ orgId, exportId: id }, { log })).toEqual({ outcome: "skipped", status: "completed" });
    expect((await custodyOf(id)).map((e) => e.callId)).toEqual([calls[1], calls[2]]);
  }, 60_000);

  it("a call whose stored recording is gone fails the export, naming the call; no archive is left", async () => {
    const broken = await sealedCallWithRecording(orgId, analyst.userId);
    await rm(path.join(process.env.STORAGE_DIR!, broken.objectPath));
    const created = await create(analyst.browser, { callIds: [calls[0], broken.callId] });
    const id = created.body.id as string;
    const outcome = await runBulkExport({ orgId, exportId: id }, { log, attempts: 1, maxAttempts: 3 });
    expect(outcome).toMatchObject({ outcome: "failed", error: expect.stringContaining(broken.callId) });
    const shown = (await show(analyst.browser, id)).body;
    expect(shown).toMatchObject({ status: "failed", error: expect.stringMatching(new RegExp(`Call ${broken.callId} could not be exported: its recording .* is missing from storage`)) });
    expect((await filesIn(exportsDir(orgId))).filter((f) => f.includes(id))).toEqual([]);
  }, 60_000);
});

describe("row-level security on evidence_exports, as each role", () => {
  it("owners, admins and analysts read the organization's exports; operators, viewers and other organizations do not; nobody writes", async () => {
    const other = await createOrg("global");
    for (const role of ["owner", "admin", "analyst", "operator", "viewer"] as const) {
      const m = await member(orgId, role);
      const rows = await withUser(m.claims, (tx) => tx<{ id: string }[]>`select id from public.evidence_exports where id = ${completedId}`);
      expect(rows.length, role).toBe(["owner", "admin", "analyst"].includes(role) ? 1 : 0);
      await expect(withUser(m.claims, (tx) => tx`update public.evidence_exports set status = 'canceled' where id = ${completedId}`), role).rejects.toThrow(/permission denied/);
      await expect(withUser(m.claims, (tx) => tx`delete from public.evidence_exports where id = ${completedId}`), role).rejects.toThrow(/permission denied/);
      await expect(
        withUser(m.claims, (tx) => tx`insert into public.evidence_exports (organization_id, requested_by, call_ids, total) values (${orgId}, ${m.userId}, ${[calls[0]!]}::uuid[], 1)`),
        role,
      ).rejects.toThrow(/permission denied/);
    }
    const stranger = await member(other, "owner");
    expect(await withUser(stranger.claims, (tx) => tx`select id from public.evidence_exports where organization_id = ${orgId}`)).toHaveLength(0);
    // Even the service path cannot delete an export or move it backwards.
    await expect(asService((tx) => tx`delete from public.evidence_exports where id = ${completedId}`)).rejects.toThrow();
    await expect(asService((tx) => tx`update public.evidence_exports set status = 'running' where id = ${completedId}`)).rejects.toThrow(/cannot go from completed to running/);
  });
});

describe("expiry", () => {
  it("an expired link is 403; a link for someone else is 403; an archive past its expiry is 410", async () => {
    const l = await link(analyst.browser, completedId);
    const url = l.body.url as string;
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now + 11 * 60_000);
    try {
      const stale = await download(analyst.browser, completedId, url);
      expect(stale.status).toBe(403);
      expect(((await stale.json()) as { error: { message: string } }).error.message).toContain("expired");
    } finally {
      clock.mockRestore();
    }
    const tampered = url.replace(/sig=./, (m) => `sig=${m.endsWith("A") ? "B" : "A"}`);
    expect((await download(analyst.browser, completedId, tampered)).status).toBe(403);
    expect((await download(owner.browser, completedId, url)).status).toBe(403);
    expect((await download(operator.browser, completedId, url)).status).toBe(403);
    expect((await download(outsider.browser, completedId, url)).status).toBe(404);

    const later = vi.spyOn(Date, "now").mockReturnValue(now + 25 * 3600_000);
    try {
      const gone = await link(analyst.browser, completedId);
      expect(gone.status).toBe(410);
      expect(gone.body.error).toMatchObject({ code: "export_expired", message: expect.stringContaining("expired") });
    } finally {
      later.mockRestore();
    }
  });

  it("the cleanup deletes archives past their expiry; then the link and the download are 410", async () => {
    const id = randomUUID();
    const storagePath = `${orgId}/exports/${id}.zip`;
    await mkdir(exportsDir(orgId), { recursive: true });
    await copyFile(archiveFile, path.join(process.env.STORAGE_DIR!, storagePath));
    await asService((tx) => tx`
      insert into public.evidence_exports (id, organization_id, requested_by, filter, call_ids, total, done, status, bytes, sha256, storage_path, created_at, started_at, finished_at, expires_at)
      values (${id}, ${orgId}, ${analyst.userId}, '{}'::jsonb, ${[calls[0]!]}::uuid[], 1, 1, 'completed', 1, ${"a".repeat(64)}, ${storagePath},
              now() - interval '25 hours', now() - interval '25 hours', now() - interval '25 hours', now() - interval '1 hour')`);
    // A link minted before expiry (the clock moved back), used after it.
    const clock = vi.spyOn(Date, "now").mockReturnValue(Date.now() - 2 * 3600_000);
    let url: string;
    try {
      url = (await link(analyst.browser, id)).body.url as string;
    } finally {
      clock.mockRestore();
    }
    expect(url).toBeTruthy();
    expect(await expireEvidenceExports({ log })).toMatchObject({ expired: 1 });
    expect(await filesIn(exportsDir(orgId))).not.toContain(`${id}.zip`);
    expect((await show(analyst.browser, id)).body.status).toBe("expired");
    expect((await link(analyst.browser, id)).status).toBe(410);
    const gone = await download(analyst.browser, id, url);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe("export_expired");
    expect(await expireEvidenceExports({ log })).toMatchObject({ expired: 0 });
  });
});

describe("npm run verify on an archive", () => {
  it("passes the genuine archive (exit 0, one line per call), offline", async () => {
    const keys = path.join(dir, "issuer-jwks.json");
    const tsaFile = path.join(dir, "issuer-tsa.pem");
    await writeFile(keys, JSON.stringify(jwks(await evidenceKeyring())));
    await writeFile(tsaFile, (await timeStampAuthority()).trustedCertificates.join("\n"));
    const { stdout } = await run("node_modules/.bin/tsx", ["bin/verify.ts", archiveFile, "--jwks", keys, "--tsa-cert", tsaFile], { env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv });
    expect(stdout).toMatch(new RegExp(`^PASS  ${calls[0]} v1 `, "m"));
    expect(stdout).toMatch(new RegExp(`^PASS  ${calls[1]} v1 `, "m"));
    expect(stdout).toContain("VERIFIED: all 2 bundle(s) passed, against the keys and TSA certificates you pinned.");
    // Unpinned, the same archive is only self-consistent, in words and in the exit code.
    await expect(run("node_modules/.bin/tsx", ["bin/verify.ts", archiveFile], { env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv }))
      .rejects.toMatchObject({ code: 2, stdout: expect.stringContaining("SELF-CONSISTENT ONLY: all 2 bundle(s) passed") });
  }, 60_000);

  it("fails an archive with one altered inner bundle (exit 1), naming the call", async () => {
    const altered = new Map(archiveFiles);
    const inner = Buffer.from(altered.get(`${calls[1]}.zip`)!);
    inner[Math.floor(inner.length / 2)]! ^= 0x01;
    altered.set(`${calls[1]}.zip`, inner);
    const file = await zipOf(altered, path.join(dir, "altered.zip"));
    const result = run("node_modules/.bin/tsx", ["bin/verify.ts", file], { env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv });
    await expect(result).rejects.toMatchObject({ code: 1, stdout: expect.stringMatching(new RegExp(`^FAIL  ${calls[1]}.*SHA-256 is [0-9a-f]{64}, index.json lists`, "m")) });
    await expect(result).rejects.toMatchObject({ stdout: expect.stringMatching(new RegExp(`^PASS  ${calls[0]}`, "m")) });
  }, 60_000);

  it("fails an archive missing a listed bundle, and one with a bundle index.json does not list", async () => {
    const missing = new Map(archiveFiles);
    missing.delete(`${calls[0]}.zip`);
    const report = await verifyArchive(memoryBundle(missing));
    expect(report.ok).toBe(false);
    expect(report.calls.find((c) => c.callId === calls[0])).toMatchObject({ ok: false, problems: [expect.stringContaining("missing from the archive")] });
    expect(report.calls.find((c) => c.callId === calls[1])).toMatchObject({ ok: true });

    const extra = new Map(archiveFiles);
    extra.set(`${calls[2]}.zip`, archiveFiles.get(`${calls[0]}.zip`)!);
    const report2 = await verifyArchive(memoryBundle(extra));
    expect(report2.ok).toBe(false);
    expect(report2.problems).toEqual([`${calls[2]}.zip is in the archive but not listed in index.json.`]);
    expect(report2.calls.every((c) => c.ok)).toBe(true);

    // A listed bundle that is another call's genuine bundle under this call's name.
    const swapped = new Map(archiveFiles);
    const index: ArchiveIndex = indexOf(archiveFiles);
    swapped.set(`${calls[0]}.zip`, archiveFiles.get(`${calls[1]}.zip`)!);
    swapped.set("index.json", new TextEncoder().encode(JSON.stringify({ ...index, calls: index.calls.map((c) => (c.callId === calls[0] ? { ...index.calls[1]!, callId: c.callId, file: c.file } : c)) })));
    const report3 = await verifyArchive(memoryBundle(swapped));
    expect(report3.calls.find((c) => c.callId === calls[0])).toMatchObject({ ok: false, problems: [expect.stringContaining(`its manifest is for call ${calls[1]}`)] });
  }, 60_000);
});
