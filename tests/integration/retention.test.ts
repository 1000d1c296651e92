import { randomBytes, randomUUID } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, stat, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import path from "node:path";
import { Readable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as exportRoute } from "@/app/api/calls/[id]/evidence/route";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { memoryBundle } from "@/lib/evidence/bundle";
import { signManifest, type Manifest } from "@/lib/evidence/manifest";
import { verifyBundle } from "@/lib/evidence/verify-bundle";
import { evidenceKeyring } from "@/lib/evidence-sealing/authority";
import { latestManifest, manifestsOfCall } from "@/lib/evidence-sealing/manifests";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { storeArtifact } from "@/lib/intelligence/artifacts";
import { createEndpoint } from "@/lib/outbound/endpoints";
import type { Membership } from "@/lib/rbac/authorize";
import { applyRetention, sweepRetention } from "@/lib/retention/deletions";
import { requestErasure } from "@/lib/retention/erasure";
import { releaseHold, setHold } from "@/lib/retention/holds";
import { applyPolicies, previewPolicies } from "@/lib/retention/policies";
import { storage } from "@/lib/storage";
import { clearEvidenceDirs, unzip, useEvidenceDirs } from "@/tests/support/evidence-dirs";
import { addMembership, claimsFor, createOrg } from "@/tests/support/fixtures";
import { as, signedInUser } from "@/tests/support/member-requests";
import { withWebhookKeysDir } from "@/tests/support/outbound";
import { callNumberColumns } from "@/lib/calls/numbers";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Issue 21's first done-when, against the real database, the filesystem storage adapter, real
 * Ed25519 keys and the local RFC 3161 TSA: a call past retention loses its bytes and rows, its
 * newest manifest lists them as deleted, and its exported bundle verifies offline; a call under
 * hold keeps everything until the hold is lifted, and is then deleted the same way. Erasure
 * deletes a number's calls with the reason "erasure_request" and reports the held ones.
 */
const log = pino({ level: "silent" });
let dir: string;
let orgId: string;
let owner: Awaited<ReturnType<typeof signedInUser>>;
let membership: Membership;

async function oldCall(daysAgo: number, to = "+15550100001"): Promise<string> {
  // The numbers as the app writes them: sealed, with their hashes (an erasure finds calls by hash).
  const [row] = await asService(async (tx) => {
    const n = await callNumberColumns(tx, orgId, { from: "+15550100000", to });
    return tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, from_number_hash, to_number_hash, from_number_mask, to_number_mask,
                              idempotency_key, modulations, plan_tier, status, provider_call_sid, answered_at, ended_at, duration_seconds, created_at)
    values (${orgId}, ${owner.userId}, 'direct', ${n.from_number}, ${n.to_number}, ${n.from_number_hash}, ${n.to_number_hash}, ${n.from_number_mask}, ${n.to_number_mask},
            ${randomUUID()},
            ${tx.json({ record: true, transcribe: true, translate: { languages: ["es"] }, disclosure: "This call is recorded." } as never)},
            'global', 'completed', ${`CA${randomUUID().replaceAll("-", "")}`}, now() - make_interval(days => ${daysAgo}),
            now() - make_interval(days => ${daysAgo}) + interval '1 minute', 60, now() - make_interval(days => ${daysAgo}))
    returning id`;
  });
  return row!.id;
}

/** A recording (bytes in storage), its transcript and a Spanish translation, sealed as versions 1 and 2. */
async function withContent(callId: string): Promise<{ objectPath: string; recordingId: string }> {
  const objectPath = `${orgId}/${callId}/${randomUUID()}.wav`;
  const put = await storage().put(objectPath, Readable.from([randomBytes(50_000)]), { contentType: "audio/wav" });
  const [rec] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type, stored_at)
    values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${objectPath}, ${put.sha256}, ${put.bytes}, 3, 1, 'audio/wav', now())
    returning id`);
  expect(await sealCall({ orgId, callId }, { log })).toMatchObject({ outcome: "sealed", version: 1 });
  const provenance = { vendor: "assemblyai", models: ["universal"], producedAt: new Date().toISOString() };
  await asService(async (tx) => {
    await storeArtifact(tx, { orgId, callId, kind: "transcript", language: "en", body: { text: "My card ends 4242.", words: [] }, provenance, inputs: { recording: { id: rec!.id, sha256: put.sha256 } } });
    await storeArtifact(tx, { orgId, callId, kind: "translation", language: "es", body: { text: "Mi tarjeta termina en 4242." }, provenance, inputs: {} });
  });
  expect(await sealCall({ orgId, callId }, { log })).toMatchObject({ outcome: "sealed", version: 2 });
  return { objectPath, recordingId: rec!.id };
}

const rows = async (callId: string) =>
  asService(async (tx) => ({
    recordings: (await tx<{ id: string }[]>`select id from public.recordings where organization_id = ${orgId} and call_id = ${callId}`).length,
    artifacts: (await tx<{ kind: string }[]>`select kind from public.call_artifacts where organization_id = ${orgId} and call_id = ${callId} order by kind`).map((r) => r.kind),
  }));

const gone = async (objectPath: string) => stat(path.join(process.env.STORAGE_DIR!, objectPath)).then(() => false, (e: NodeJS.ErrnoException) => e.code === "ENOENT");

async function exported(callId: string): Promise<Map<string, Uint8Array>> {
  const response = await as(owner.browser, () =>
    exportRoute(new Request(`http://127.0.0.1/api/calls/${callId}/evidence`, { headers: { "x-forwarded-for": "198.51.100.9" } }), { params: Promise.resolve({ id: callId }) }));
  expect(response.status).toBe(200);
  const zip = path.join(dir, `${callId}.zip`);
  await writeFile(zip, Buffer.from(await response.arrayBuffer()));
  return unzip(zip);
}

/** Unzips a bundle into a fresh directory and runs VERIFY.md's bash blocks there as one script. */
async function byHand(files: Map<string, Uint8Array>): Promise<{ code: number; stdout: string; stderr: string }> {
  const where = await mkdtemp(path.join(dir, "by-hand-"));
  for (const [name, bytes] of files) {
    await mkdir(path.dirname(path.join(where, name)), { recursive: true });
    await writeFile(path.join(where, name), bytes);
  }
  const readme = new TextDecoder().decode(files.get("VERIFY.md")!);
  const script = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n");
  try {
    const { stdout, stderr } = await promisify(execFile)("bash", ["--norc", "--noprofile", "-c", script], { cwd: where, env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

withWebhookKeysDir();

beforeAll(async () => {
  dir = await useEvidenceDirs("verbatim-retention-");
  orgId = await createOrg("global");
  owner = await signedInUser();
  await addMembership(orgId, owner.userId, "owner");
  membership = { orgId, orgName: "Org", plan: "global", role: "owner", userId: owner.userId };
  // An integrator listening for deletions (a loopback receiver, allowed in the embedded default).
  await withUser(claimsFor(owner.userId), (tx) => createEndpoint(tx, { membership, input: { url: "http://127.0.0.1:9/deletions", description: "", eventTypes: ["retention.deleted"] } }));
}, 30_000);

afterAll(() => clearEvidenceDirs(dir));

describe("retention", () => {
  let expired: { callId: string; objectPath: string; recordingId: string };
  let held: { callId: string; objectPath: string };
  let fresh: string;
  let holdId: string;

  beforeAll(async () => {
    const callId = await oldCall(40);
    expired = { callId, ...(await withContent(callId)) };
    const heldCall = await oldCall(45);
    held = { callId: heldCall, objectPath: (await withContent(heldCall)).objectPath };
    fresh = await oldCall(5);
    await withContent(fresh);
    const hold = await withUser(claimsFor(owner.userId), (tx) => setHold(tx, { membership, requestId: "req-hold", request: { scope: "call", callId: heldCall, reason: "Litigation: Doe v. Acme" } }));
    holdId = hold.id;
  }, 60_000);

  it("previews what a policy would delete, and applies only what was previewed", async () => {
    const policies = [{ kind: "recording" as const, keepDays: 30 }, { kind: "transcript" as const, keepDays: 30 }];
    const preview = await previewPolicies({ orgId, policies });
    expect(preview.kinds.find((k) => k.kind === "recording")).toMatchObject({ keepDays: 30, artifacts: 1, calls: 1 });
    expect(preview.kinds.find((k) => k.kind === "transcript")).toMatchObject({ artifacts: 1, calls: 1 });
    expect(preview.kinds.find((k) => k.kind === "translation")).toMatchObject({ keepDays: null, artifacts: 0 });
    expect(preview.calls.map((c) => c.id)).toEqual([expired.callId]);
    expect(preview.heldCalls).toBe(1);

    // Another policy than the one previewed, or an expired token, changes nothing.
    await expect(applyPolicies({ membership, policies: [{ kind: "recording", keepDays: 1 }], token: preview.token })).rejects.toMatchObject({ code: "preview_stale" });
    await expect(applyPolicies({ membership, policies, token: `${Date.now() - 1}.${preview.token.split(".")[1]}` })).rejects.toMatchObject({ code: "preview_expired" });
    const none = await asService((tx) => tx`select 1 from public.retention_policies where organization_id = ${orgId}`);
    expect(none).toHaveLength(0);

    const applied = await applyPolicies({ membership, policies, token: preview.token });
    expect(applied.find((p) => p.kind === "recording")).toMatchObject({ keepDays: 30, updatedBy: owner.userId });
  });

  it("deletes an expired call's bytes and rows, seals its tombstones, and the exported bundle verifies offline", async () => {
    const before = await asService((tx) => latestManifest(tx, { orgId, callId: expired.callId }));
    const sweep = await sweepRetention({ log });
    expect(sweep.enqueued).toBeGreaterThanOrEqual(1);
    const queued = await sql()<{ key: string }[]>`select key from graphile_worker.jobs where key = ${`retention:${expired.callId}`}`;
    expect(queued).toHaveLength(1);
    // The held and the fresh call are not queued.
    const others = await sql()`select 1 from graphile_worker.jobs where key = any(${[`retention:${held.callId}`, `retention:${fresh}`]}::text[])`;
    expect(others).toHaveLength(0);

    const result = await applyRetention({ orgId, callId: expired.callId }, { log });
    expect(result.outcome).toBe("deleted");
    expect(await rows(expired.callId)).toEqual({ recordings: 0, artifacts: ["translation"] });
    expect(await gone(expired.objectPath)).toBe(true);
    expect(await storage().exists(expired.objectPath)).toBe(false);

    const versions = await asService((tx) => manifestsOfCall(tx, { orgId, callId: expired.callId }));
    const latest = versions.at(-1)!.manifest;
    expect(latest.version).toBe(3);
    expect(latest.schemaVersion).toBe(2);
    expect(latest.artifacts.map((a) => a.kind)).toEqual(["translation"]);
    expect(latest.missing).toEqual([]);
    const v2 = versions[1]!;
    const listed = (kind: string) => v2.manifest.artifacts.find((a) => a.kind === kind)!;
    expect(latest.deleted).toHaveLength(2);
    for (const kind of ["recording", "transcript"]) {
      const tomb = latest.deleted!.find((d) => d.kind === kind)!;
      expect(tomb).toMatchObject({ id: listed(kind).id, sha256: listed(kind).sha256, sha512: listed(kind).sha512, bytes: listed(kind).bytes, reason: "retention_policy", erasureRequestId: null });
      expect(tomb.listedIn).toEqual({ version: 2, manifestSha256: v2.manifestSha256 });
      expect(tomb.policy).toMatchObject({ kind, keepDays: 30, updatedBy: owner.userId });
    }
    expect(before?.version).toBe(2);

    // The integrator's event, emitted in the deleting transaction: what went, by hash, and the version holding its tombstones.
    const events = await sql()<{ data: Record<string, unknown> }[]>`select data from public.webhook_events where organization_id = ${orgId} and type = 'retention.deleted'`;
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({
      callId: expired.callId, reason: "retention_policy", erasureRequestId: null,
      manifest: { id: versions.at(-1)!.id, version: 3, sha256: versions.at(-1)!.manifestSha256 },
    });
    expect(new Set((events[0]!.data.deleted as { artifactId: string; kind: string; sha256: string }[]).map((d) => `${d.kind}:${d.artifactId}:${d.sha256}`)))
      .toEqual(new Set(latest.deleted!.map((d) => `${d.kind}:${d.id}:${d.sha256}`)));

    // Running it again (a second worker, a retried job) deletes and seals nothing more.
    expect((await applyRetention({ orgId, callId: expired.callId }, { log })).outcome).toBe("nothing_due");
    expect(await asService((tx) => manifestsOfCall(tx, { orgId, callId: expired.callId }))).toHaveLength(3);
    expect(await sql()`select 1 from public.webhook_events where organization_id = ${orgId} and type = 'retention.deleted'`).toHaveLength(1);

    const files = await exported(expired.callId);
    expect([...files.keys()].some((n) => n.startsWith("artifacts/recording-"))).toBe(false);
    const report = await verifyBundle(memoryBundle(files));
    expect(report.failures).toEqual([]);
    expect(report.verdict).toBe("self_consistent");
    expect(report.checks.filter((c) => c.check === "tombstone.listed" && c.ok)).toHaveLength(2);

    // VERIFY.md's script, run with standard tools only, checks the tombstones the same way.
    expect(await byHand(files)).toMatchObject({ code: 0, stdout: expect.stringContaining("4. versions and documents: ok") });

    // A bundle trimmed of an artifact the manifest still lists never verifies.
    const translation = [...files.keys()].find((n) => n.startsWith("artifacts/translation-"))!;
    const trimmed = new Map(files);
    trimmed.delete(translation);
    const trimmedReport = await verifyBundle(memoryBundle(trimmed));
    expect(trimmedReport.ok).toBe(false);
    expect(trimmedReport.failures.map((f) => f.check)).toEqual(expect.arrayContaining(["bundle.inventory", "artifact.present"]));
  }, 60_000);

  it("refuses a tombstone whose hashes are not the ones an earlier version listed, even signed by the issuer", async () => {
    const versions = await asService((tx) => manifestsOfCall(tx, { orgId, callId: expired.callId }));
    const latest = versions.at(-1)!.manifest;
    const forged: Manifest = { ...latest, deleted: latest.deleted!.map((d, i) => (i === 0 ? { ...d, sha256: "0".repeat(64) } : d)) };
    const keyring = await evidenceKeyring();
    const files = new Map<string, Uint8Array>([
      ["manifest.jws", new TextEncoder().encode(await signManifest(forged, keyring.signing))],
      ...versions.slice(0, -1).map((v) => [`versions/v${v.version}.jws`, new TextEncoder().encode(v.jws)] as [string, Uint8Array]),
    ]);
    const report = await verifyBundle(memoryBundle(files), { jwks: { keys: [keyring.signing.publicJwk] } as never });
    expect(report.failures).toEqual(expect.arrayContaining([expect.objectContaining({ check: "tombstone.listed", field: "sha256", reason: "mismatch" })]));
    // A later version that drops a tombstone fails too.
    const dropped: Manifest = { ...latest, version: latest.version + 1, previousSha256: versions.at(-1)!.manifestSha256, schemaVersion: 1, deleted: undefined };
    delete (dropped as { deleted?: unknown }).deleted;
    const files2 = new Map<string, Uint8Array>([
      ["manifest.jws", new TextEncoder().encode(await signManifest(dropped, keyring.signing))],
      ...versions.map((v) => [`versions/v${v.version}.jws`, new TextEncoder().encode(v.jws)] as [string, Uint8Array]),
    ]);
    const report2 = await verifyBundle(memoryBundle(files2), { jwks: { keys: [keyring.signing.publicJwk] } as never });
    expect(report2.failures).toEqual(expect.arrayContaining([expect.objectContaining({ check: "tombstone.kept", reason: "dropped" })]));
  });

  it("keeps everything of a held call past retention, in SQL too, and deletes it the same way once the hold is lifted", async () => {
    expect((await applyRetention({ orgId, callId: held.callId }, { log })).outcome).toBe("held");
    expect(await rows(held.callId)).toEqual({ recordings: 1, artifacts: ["transcript", "translation"] });
    expect(await gone(held.objectPath)).toBe(false);
    // No path around it: the tables refuse a tombstone or a delete for a held call.
    await expect(asService((tx) => tx`delete from public.recordings where organization_id = ${orgId} and call_id = ${held.callId}`)).rejects.toThrow(/append-only/);
    await expect(asService((tx) => tx`
      insert into public.retention_deletions (organization_id, call_id, artifact_id, kind, policy_kind, sha256, sha512, bytes, media_type, location, listed_version, listed_manifest_sha256, reason, policy)
      select organization_id, call_id, id, 'recording', 'recording', sha256, ${"0".repeat(128)}, bytes, media_type, '{}'::jsonb, 1, sha256, 'retention_policy', '{}'::jsonb
      from public.recordings where call_id = ${held.callId}`)).rejects.toThrow(/legal hold/);
    // Nor for a call without a tombstone.
    await expect(asService((tx) => tx`delete from public.call_artifacts where organization_id = ${orgId} and call_id = ${fresh}`)).rejects.toThrow(/append-only/);

    const custody = await asService((tx) => tx<{ action: string; actor: string }[]>`
      select action, actor_user_id as actor from public.custody_events where organization_id = ${orgId} and action like 'hold.%' order by sequence`);
    expect(custody).toEqual([{ action: "hold.set", actor: owner.userId }]);

    const released = await releaseHold({ membership, requestId: "req-release", holdId, reason: "Case settled" });
    expect(released.releasedAt).not.toBeNull();
    await expect(releaseHold({ membership, requestId: "req-release-2", holdId, reason: "again" })).rejects.toMatchObject({ code: "already_released" });
    const result = await applyRetention({ orgId, callId: held.callId }, { log });
    expect(result.outcome).toBe("deleted");
    expect(await rows(held.callId)).toEqual({ recordings: 0, artifacts: ["translation"] });
    expect(await gone(held.objectPath)).toBe(true);
    const report = await verifyBundle(memoryBundle(await exported(held.callId)));
    expect(report.failures).toEqual([]);
    const actions = await asService((tx) => tx<{ action: string }[]>`
      select action from public.custody_events where organization_id = ${orgId} and action like 'hold.%' order by sequence`);
    expect(actions.map((a) => a.action)).toEqual(["hold.set", "hold.released"]);
  }, 60_000);

  it("erases every call with a number, holds respected and reported, with the reason erasure_request", async () => {
    const subject = "+15550177001";
    const b = await oldCall(2, subject);
    const a = await oldCall(1, subject);
    const aContent = await withContent(a);
    const bContent = await withContent(b);
    // A saved search holds b only: the number, placed before a day and a half ago.
    const cutoff = new Date(Date.now() - 1.5 * 86_400_000).toISOString();
    const hold = await withUser(claimsFor(owner.userId), (tx) =>
      setHold(tx, { membership, requestId: "req-hold-b", request: { scope: "filter", filter: `number=${subject.slice(1)}&to=${encodeURIComponent(cutoff)}`, reason: "Regulator inquiry" } }));
    expect(hold).toMatchObject({ scope: "filter", calls: 1 });

    const erasure = await requestErasure({ membership, phoneNumber: subject, reason: "GDPR art. 17 request" });
    expect(erasure).toMatchObject({ erasing: [a], held: [b] });
    const queued = await sql()<{ key: string }[]>`select key from graphile_worker.jobs where key like ${`erasure:${erasure.id}:%`}`;
    expect(queued.map((q) => q.key)).toEqual([`erasure:${erasure.id}:${a}`]);

    expect((await applyRetention({ orgId, callId: a, erasureRequestId: erasure.id }, { log })).outcome).toBe("deleted");
    expect(await rows(a)).toEqual({ recordings: 0, artifacts: [] });
    expect(await gone(aContent.objectPath)).toBe(true);
    const latest = (await asService((tx) => latestManifest(tx, { orgId, callId: a })))!.manifest;
    expect(latest.artifacts).toEqual([]);
    expect(latest.deleted!.map((d) => d.kind).sort()).toEqual(["recording", "transcript", "translation"]);
    expect(latest.deleted!.every((d) => d.reason === "erasure_request" && d.erasureRequestId === erasure.id && d.policy === null)).toBe(true);
    expect((await verifyBundle(memoryBundle(await exported(a)))).failures).toEqual([]);

    // The held call keeps everything; lifting the hold carries out the erasure it held back.
    expect((await applyRetention({ orgId, callId: b, erasureRequestId: erasure.id }, { log })).outcome).toBe("held");
    expect(await gone(bContent.objectPath)).toBe(false);
    await releaseHold({ membership, requestId: "req-release-b", holdId: hold.id, reason: "Inquiry closed" });
    const requeued = await sql()<{ key: string }[]>`select key from graphile_worker.jobs where key = ${`erasure:${erasure.id}:${b}`}`;
    expect(requeued).toHaveLength(1);
    expect((await applyRetention({ orgId, callId: b, erasureRequestId: erasure.id }, { log })).outcome).toBe("deleted");
    expect(await gone(bContent.objectPath)).toBe(true);
  }, 60_000);
});

describe("confirming policies", () => {
  it("serializes two confirmations: the second, previewed before the first applied, is stale and changes nothing", async () => {
    const first = [{ kind: "survey_answer" as const, keepDays: 3650 }];
    const second = [{ kind: "score" as const, keepDays: 3650 }];
    const [a, b] = await Promise.all([previewPolicies({ orgId, policies: first }), previewPolicies({ orgId, policies: second })]);
    const outcomes = await Promise.allSettled([
      applyPolicies({ membership, policies: first, token: a.token }),
      applyPolicies({ membership, policies: second, token: b.token }),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: "preview_stale" });
    const stored = await asService((tx) => tx<{ kind: string }[]>`
      select kind from public.retention_policies where organization_id = ${orgId} and kind in ('survey_answer', 'score')`);
    expect(stored).toHaveLength(1);
  });
});
