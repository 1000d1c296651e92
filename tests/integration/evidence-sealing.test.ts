import { createHash, randomBytes, randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getJwks } from "@/app/api/evidence/jwks/route";
import { appendCallEvent } from "@/lib/calls/timeline";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { brokenCustodyLink } from "@/lib/evidence/custody";
import { loadOrCreateLocalTsa } from "@/lib/evidence-sealing/local-tsa";
import { manifestLogEntry, verifyManifest } from "@/lib/evidence/manifest";
import { consistencyProof, hashLeaf, inclusionProof, verifyConsistency, verifyInclusion } from "@/lib/evidence/merkle";
import { signedTreeHeadBytes, verifyTreeHead } from "@/lib/evidence/tree-head";
import { verifyTimeStampToken } from "@/lib/evidence/timestamp";
import { custodyEvents } from "@/lib/evidence-sealing/custody";
import { leafOfManifest, logReader, treeHeads } from "@/lib/evidence-sealing/merkle-log";
import { manifestsOfCall } from "@/lib/evidence-sealing/manifests";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { storeArtifact } from "@/lib/intelligence/artifacts";
import { startWorker } from "@/lib/worker/runner";
import type { Role } from "@/lib/rbac/policy";
import { storage } from "@/lib/storage";
import { createOrg, createUser, member } from "@/tests/support/fixtures";
import { clearEvidenceDirs, useEvidenceDirs } from "@/tests/support/evidence-dirs";

/**
 * Sealing calls into their organization's evidence log (docs/adr/0016), against the real
 * database, the real local TSA (RFC 3161 over pkijs), real Ed25519 keys in a temporary
 * directory and filesystem storage in another.
 */
const log = pino({ level: "silent" });
let dir: string;

beforeAll(async () => {
  dir = await useEvidenceDirs("verbatim-seal-");
});

afterAll(() => clearEvidenceDirs(dir));

interface CallOptions {
  modulations?: Record<string, unknown>;
  status?: "completed" | "busy" | "in_progress";
}

async function newCall(orgId: string, createdBy: string, options: CallOptions = {}): Promise<string> {
  const status = options.status ?? "completed";
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status,
                              provider_call_sid, answered_at, ended_at, duration_seconds)
    values (${orgId}, ${createdBy}, 'direct', '+15550100000', '+15550100001', ${randomUUID()}, ${tx.json((options.modulations ?? { record: false, transcribe: false, disclosure: null }) as never)},
            'global', ${status}, ${`CA${randomUUID().replaceAll("-", "")}`},
            ${status === "busy" ? null : new Date(Date.now() - 60_000)}, ${status === "in_progress" ? null : new Date()}, ${status === "completed" ? 42 : null})
    returning id`);
  return row!.id;
}

async function storeRecording(orgId: string, callId: string, bytes: Buffer): Promise<{ id: string; path: string; sha256: string }> {
  const objectPath = `${orgId}/${callId}/${randomUUID()}.wav`;
  const put = await storage().put(objectPath, Readable.from([bytes]), { contentType: "audio/wav" });
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type, stored_at)
    values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${objectPath}, ${put.sha256}, ${put.bytes}, 3, 1, 'audio/wav', now())
    returning id`);
  return { id: row!.id, path: objectPath, sha256: put.sha256 };
}

async function storeTranscript(orgId: string, callId: string, recording: { id: string; sha256: string }): Promise<{ id: string; sha256: string }> {
  const body = { text: "Hello, front desk.", words: [{ text: "Hello", start: 0, end: 400 }] };
  const id = await asService((tx) =>
    storeArtifact(tx, {
      orgId, callId, kind: "transcript", language: "en", body,
      provenance: { vendor: "assemblyai", models: ["universal"], producedAt: new Date().toISOString() },
      inputs: { recording },
    }));
  const sha256 = createHash("sha256").update(JSON.stringify({ text: body.text, words: [{ end: 400, start: 0, text: "Hello" }] })).digest("hex");
  return { id: id!, sha256 };
}

const seal = (orgId: string, callId: string) => sealCall({ orgId, callId }, { log });

async function jwksOf(): Promise<{ keys: Array<Record<string, unknown>> }> {
  const response = await getJwks(new Request("http://127.0.0.1/api/evidence/jwks"), { params: Promise.resolve({}) });
  expect(response.status).toBe(200);
  return (await response.json()) as { keys: Array<Record<string, unknown>> };
}

describe("GET /api/evidence/jwks", () => {
  it("serves the public signing key by kid, cacheable, without private material", async () => {
    const response = await getJwks(new Request("http://127.0.0.1/api/evidence/jwks"), { params: Promise.resolve({}) });
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
    expect(response.headers.get("cache-control")).toContain("public");
    const body = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(typeof body.keys[0]!.kid).toBe("string");
    expect(body.keys[0]).not.toHaveProperty("d");
  });
});

describe("sealing a call", () => {
  it("seals a completed call with no artifacts as version 1, signed and logged", async () => {
    const orgId = await createOrg("global");
    const userId = await createUser();
    const callId = await newCall(orgId, userId, { status: "busy" });
    const result = await seal(orgId, callId);
    expect(result).toMatchObject({ outcome: "sealed", version: 1, leafIndex: 0, treeSize: 1 });
    const [v1] = await asService((tx) => manifestsOfCall(tx, { orgId, callId }));
    const { manifest, sha256 } = await verifyManifest(v1!.jws, await jwksOf());
    expect(sha256).toBe(v1!.manifestSha256);
    expect(manifest).toMatchObject({ version: 1, previousSha256: null, organizationId: orgId, call: { id: callId, status: "busy" }, artifacts: [], missing: [] });
    expect(v1!.previousSha256).toBeNull();
  });

  it("leaves a call that has not ended for later", async () => {
    const orgId = await createOrg("global");
    const callId = await newCall(orgId, await createUser(), { status: "in_progress" });
    expect(await seal(orgId, callId)).toEqual({ outcome: "not_final" });
    expect(await asService((tx) => manifestsOfCall(tx, { orgId, callId }))).toEqual([]);
  });

  it("adds a version per new artifact, chained, every version in the log with proofs against signed, timestamped heads", async () => {
    const orgId = await createOrg("global");
    const callId = await newCall(orgId, await createUser(), {
      modulations: { record: true, transcribe: true, translate: null, disclosure: "This call is recorded.", survey: null, shopperScript: null },
    });
    const audio = randomBytes(4096);
    const recording = await storeRecording(orgId, callId, audio);

    // v1: the recording, with both hashes of the exact stored bytes; the transcript is missing.
    expect(await seal(orgId, callId)).toMatchObject({ outcome: "sealed", version: 1 });
    // v2: the transcript arrives.
    const transcript = await storeTranscript(orgId, callId, recording);
    expect(await seal(orgId, callId)).toMatchObject({ outcome: "sealed", version: 2 });
    // v3: a score citing the transcript and the rubric by hash.
    const rubric = { scriptId: randomUUID(), version: 1, sha256: "a".repeat(64) };
    await asService((tx) =>
      storeArtifact(tx, {
        orgId, callId, kind: "score", body: { score: 1, criteria: [] },
        provenance: { vendor: "verbatim", models: ["rubric-scorer"], producedAt: new Date().toISOString() },
        inputs: { transcript, rubric },
      }));
    expect(await seal(orgId, callId)).toMatchObject({ outcome: "sealed", version: 3 });
    // Nothing new: nothing sealed.
    expect(await seal(orgId, callId)).toEqual({ outcome: "unchanged", version: 3 });

    const keys = await jwksOf();
    const versions = await asService((tx) => manifestsOfCall(tx, { orgId, callId }));
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3]);
    const manifests = await Promise.all(versions.map((v) => verifyManifest(v.jws, keys)));
    expect(manifests[0]!.manifest.artifacts.map((a) => a.kind)).toEqual(["recording"]);
    expect(manifests[0]!.manifest.artifacts[0]).toMatchObject({
      id: recording.id,
      sha256: createHash("sha256").update(audio).digest("hex"),
      sha512: createHash("sha512").update(audio).digest("hex"),
      bytes: audio.length,
      mediaType: "audio/wav",
      location: { store: "object", path: recording.path },
    });
    expect(manifests[0]!.manifest.disclosure).toEqual({ text: "This call is recorded.", played: true });
    expect(manifests[0]!.manifest.missing).toEqual([expect.objectContaining({ kind: "transcript", reason: "not_reported" })]);
    expect(manifests[1]!.manifest.previousSha256).toBe(versions[0]!.manifestSha256);
    expect(versions[1]!.supersedes).toBe(versions[0]!.id);
    expect(manifests[1]!.manifest.missing).toEqual([]);
    const transcriptEntry = manifests[1]!.manifest.artifacts.find((a) => a.kind === "transcript")!;
    expect(transcriptEntry).toMatchObject({ id: transcript.id, sha256: transcript.sha256, mediaType: "application/json", inputs: { recording } });
    expect(manifests[2]!.manifest.previousSha256).toBe(versions[1]!.manifestSha256);
    expect(manifests[2]!.manifest.artifacts.find((a) => a.kind === "score")!.inputs).toEqual({ transcript, rubric });

    const { heads, leaves, custody } = await asService(async (tx) => ({
      heads: await treeHeads(tx, orgId),
      leaves: await Promise.all(versions.map((v) => leafOfManifest(tx, { orgId, manifestId: v.id }))),
      custody: await custodyEvents(tx, orgId),
    }));
    expect(heads.map((h) => h.treeSize)).toEqual([1, 2, 3]);
    const tsa = await loadOrCreateLocalTsa(path.join(dir, "tsa"));
    for (const head of heads) {
      const verified = await verifyTreeHead(head.jws, keys);
      expect(verified).toMatchObject({ log: orgId, treeSize: head.treeSize, rootHash: Buffer.from(head.rootHash).toString("hex") });
      const stamp = await verifyTimeStampToken(head.timestampToken, { data: signedTreeHeadBytes(head.jws), trustedCertificates: [tsa.caCertificate] });
      expect(stamp.genTime.getTime()).toBeLessThanOrEqual(Date.now());
      expect(head.tsaName).toBe("local TSA");
    }
    // A token over another head does not verify against this one.
    await expect(verifyTimeStampToken(heads[0]!.timestampToken, { data: signedTreeHeadBytes(heads[1]!.jws), trustedCertificates: [tsa.caCertificate] })).rejects.toThrow();

    const latest = heads.at(-1)!;
    await asService(async (tx) => {
      const reader = logReader(tx, orgId);
      for (const [i, version] of versions.entries()) {
        const leaf = leaves[i]!;
        expect(leaf.leafIndex).toBe(i);
        expect(Buffer.from(leaf.leafHash)).toEqual(Buffer.from(hashLeaf(manifestLogEntry(version.jws))));
        const proof = await inclusionProof(reader, leaf.leafIndex, latest.treeSize);
        expect(verifyInclusion({ leafHash: leaf.leafHash, leafIndex: leaf.leafIndex, treeSize: latest.treeSize, proof, rootHash: latest.rootHash })).toBe(true);
      }
      for (let i = 1; i < heads.length; i++) {
        const proof = await consistencyProof(reader, heads[i - 1]!.treeSize, heads[i]!.treeSize);
        expect(verifyConsistency({ oldSize: heads[i - 1]!.treeSize, newSize: heads[i]!.treeSize, oldRoot: heads[i - 1]!.rootHash, newRoot: heads[i]!.rootHash, proof })).toBe(true);
      }
    });

    expect(custody.map((e) => [e.action, e.manifestId, e.sha256])).toEqual(versions.map((v) => ["manifest.sealed", v.id, v.manifestSha256]));
    expect(brokenCustodyLink(custody)).toBeNull();
  });

  it("does not seal a recording whose stored bytes changed as if intact", async () => {
    const orgId = await createOrg("global");
    const callId = await newCall(orgId, await createUser(), { modulations: { record: true, transcribe: false, disclosure: "Recorded." } });
    const recording = await storeRecording(orgId, callId, randomBytes(2048));
    await writeFile(path.join(dir, "storage", recording.path), randomBytes(2048));
    expect(await seal(orgId, callId)).toMatchObject({ outcome: "sealed", version: 1 });
    const [v1] = await asService((tx) => manifestsOfCall(tx, { orgId, callId }));
    expect(v1!.manifest.artifacts).toEqual([]);
    expect(v1!.manifest.missing).toEqual([
      expect.objectContaining({ kind: "recording", id: recording.id, reason: "integrity_mismatch", detail: expect.stringContaining(recording.sha256) }),
    ]);
  });

  it("names why an expected artifact is missing: a failed transcription and an untranslated language", async () => {
    const orgId = await createOrg("global");
    const callId = await newCall(orgId, await createUser(), {
      modulations: { record: true, transcribe: true, translate: { languages: ["es"] }, disclosure: "Recorded.", survey: null, shopperScript: null },
    });
    const recording = await storeRecording(orgId, callId, randomBytes(1024));
    await asService((tx) => tx`
      insert into public.transcriptions (organization_id, call_id, recording_id, status, error, redact)
      values (${orgId}, ${callId}, ${recording.id}, 'error', 'audio too short', false)`);
    await seal(orgId, callId);
    const [v1] = await asService((tx) => manifestsOfCall(tx, { orgId, callId }));
    expect(v1!.manifest.missing).toEqual([
      expect.objectContaining({ kind: "transcript", reason: "failed", detail: expect.stringContaining("audio too short") }),
      expect.objectContaining({ kind: "translation", language: "es", reason: "failed" }),
    ]);
  });

  it("keeps each organization's log independent", async () => {
    const [a, b] = [await createOrg("global"), await createOrg("global")];
    const user = await createUser();
    const results = [await seal(a, await newCall(a, user)), await seal(b, await newCall(b, user)), await seal(a, await newCall(a, user))];
    expect(results.map((r) => (r.outcome === "sealed" ? [r.leafIndex, r.treeSize] : r.outcome))).toEqual([[0, 1], [0, 1], [1, 2]]);
    const heads = await asService(async (tx) => ({ a: await treeHeads(tx, a), b: await treeHeads(tx, b) }));
    expect(heads.a.map((h) => h.treeSize)).toEqual([1, 2]);
    expect(heads.b.map((h) => h.treeSize)).toEqual([1]);
  });

  it("serializes concurrent seals of one organization into a gap-free log", async () => {
    const orgId = await createOrg("global");
    const user = await createUser();
    const calls = await Promise.all(Array.from({ length: 6 }, () => newCall(orgId, user)));
    const results = await Promise.all(calls.map((callId) => seal(orgId, callId)));
    expect(results.map((r) => (r.outcome === "sealed" ? r.leafIndex : -1)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const [indexes] = await asService((tx) => tx<{ indexes: number[] }[]>`
      select array_agg(leaf_index::int order by leaf_index) as indexes from public.evidence_log_entries where organization_id = ${orgId}`);
    expect(indexes!.indexes).toEqual([0, 1, 2, 3, 4, 5]);
    const heads = await asService((tx) => treeHeads(tx, orgId));
    expect(heads.map((h) => h.treeSize)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("sealing on the timeline", () => {
  it("a final status enqueues seal_call once per burst, and the worker seals the call", async () => {
    const orgId = await createOrg("global");
    const callId = await newCall(orgId, await createUser());
    const append = (status: string) =>
      asService((tx) => appendCallEvent(tx, { id: callId, orgId }, "provider.status", { CallSid: "CA1", CallStatus: status }, { dedupeKey: `status:${status}` }));
    await append("ringing");
    const jobs = () => sql()<{ n: number }[]>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'seal_call' and key = ${`seal_call:${callId}`}`;
    expect((await jobs())[0]!.n).toBe(0);
    await append("completed");
    await asService((tx) => appendCallEvent(tx, { id: callId, orgId }, "recording.absent", { recordingId: randomUUID(), RecordingSid: "RE1", Reason: "no audio" }, { dedupeKey: "absent" }));
    expect((await jobs())[0]!.n).toBe(1);

    const worker = await startWorker({ crontab: false, pollInterval: 100, concurrency: 1, log });
    try {
      const deadline = Date.now() + 15_000;
      let versions = await asService((tx) => manifestsOfCall(tx, { orgId, callId }));
      while (versions.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        versions = await asService((tx) => manifestsOfCall(tx, { orgId, callId }));
      }
      expect(versions.map((v) => v.version)).toEqual([1]);
    } finally {
      await worker.stop();
    }
  });
});

const TABLES = ["evidence_manifests", "evidence_log_entries", "evidence_tree_heads", "custody_events"] as const;

describe("immutability and access", () => {
  let orgId: string;
  let otherOrgId: string;
  beforeAll(async () => {
    orgId = await createOrg("global");
    otherOrgId = await createOrg("global");
    const callId = await newCall(orgId, await createUser());
    await seal(orgId, callId);
    await seal(otherOrgId, await newCall(otherOrgId, await createUser()));
  });

  it.each(TABLES)("refuses UPDATE and DELETE on %s for the service path, every member role and the table owner", async (table) => {
    const column = table === "evidence_log_entries" ? "created_at" : table === "custody_events" ? "occurred_at" : table === "evidence_manifests" ? "sealed_at" : "created_at";
    const statements = (tx: ReturnType<typeof sql>) => [
      () => tx.unsafe(`update public.${table} set ${column} = now() where organization_id = '${orgId}'`),
      () => tx.unsafe(`delete from public.${table} where organization_id = '${orgId}'`),
    ];
    // The table owner (the migrating superuser) and the service path: the trigger refuses.
    for (const run of statements(sql())) await expect(run()).rejects.toThrow(/append-only/);
    for (const index of [0, 1]) {
      await expect(asService((tx) => statements(tx as unknown as ReturnType<typeof sql>)[index]!())).rejects.toThrow(/append-only|permission denied/);
    }
    await expect(sql().unsafe(`truncate public.${table} cascade`)).rejects.toThrow(/append-only/);
    // Members: no grant, whatever the role.
    for (const role of ["owner", "admin", "operator", "analyst", "viewer"] as Role[]) {
      const { claims } = await member(orgId, role);
      for (const index of [0, 1]) {
        await expect(withUser(claims, (tx) => statements(tx as unknown as ReturnType<typeof sql>)[index]!())).rejects.toThrow(/permission denied|append-only/);
      }
    }
    const [{ n }] = (await sql().unsafe(`select count(*)::int as n from public.${table} where organization_id = '${orgId}'`)) as unknown as [{ n: number }];
    expect(n).toBeGreaterThan(0);
  });

  it.each(TABLES)("lets owners, admins and analysts read %s, not operators, viewers or another organization", async (table) => {
    const count = async (role: Role, org = orgId) => {
      const { claims } = await member(org, role);
      return withUser(claims, async (tx) => ((await tx.unsafe(`select count(*)::int as n from public.${table}`)) as unknown as [{ n: number }])[0].n);
    };
    for (const role of ["owner", "admin", "analyst"] as Role[]) expect(await count(role), role).toBeGreaterThan(0);
    for (const role of ["operator", "viewer"] as Role[]) expect(await count(role), role).toBe(0);
    // An analyst of the other organization sees only that organization's rows.
    const { claims } = await member(otherOrgId, "analyst");
    const mine = await withUser(claims, async (tx) => ((await tx.unsafe(`select count(*)::int as n from public.${table} where organization_id = '${orgId}'`)) as unknown as [{ n: number }])[0].n);
    expect(mine).toBe(0);
  });
});
