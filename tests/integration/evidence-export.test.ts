import { createHash, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { compactVerify, createLocalJWKSet, importJWK, type JSONWebKeySet } from "jose";
import pino from "pino";
import yauzl from "yauzl";
import yazlLib from "yazl";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as exportRoute } from "@/app/api/calls/[id]/evidence/route";
import { POST as verifyRoute } from "@/app/api/evidence/verify/route";
import { resetConfig } from "@/lib/config";
import { asService } from "@/lib/db";
import { memoryBundle } from "@/lib/evidence/bundle";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { loadOrCreateLocalTsa } from "@/lib/evidence/local-tsa";
import type { Manifest } from "@/lib/evidence/manifest";
import { signManifest } from "@/lib/evidence/manifest";
import { inclusionProof } from "@/lib/evidence/merkle";
import { createTimeStampRequest, parseTimeStampResponse } from "@/lib/evidence/timestamp";
import { signTreeHead } from "@/lib/evidence/tree-head";
import { verifyBundle, type VerificationReport } from "@/lib/evidence/verify-bundle";
import { evidenceKeyring } from "@/lib/evidence-sealing/authority";
import { custodyEvents } from "@/lib/evidence-sealing/custody";
import { logReader, treeHeadOfSize } from "@/lib/evidence-sealing/log";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { verifyOrganizationLog } from "@/lib/evidence-sealing/verify-log";
import { storeArtifact } from "@/lib/intelligence/artifacts";
import { storage } from "@/lib/storage";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { as, type Browser, signedInUser } from "@/tests/support/member-requests";
import { clearEvidenceDirs, unzip, useEvidenceDirs } from "@/tests/support/evidence-dirs";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Exporting a call's evidence bundle and verifying it (docs/adr/0017), against the real
 * database, real Ed25519 keys, the real local RFC 3161 TSA and filesystem storage, all in a
 * temporary directory. Each tampering test changes one thing in a genuine bundle and expects
 * the verifier to name it.
 */
const log = pino({ level: "silent" });
let dir: string;
let orgId: string;
let callId: string;
let unsealedCallId: string;
let analyst: Awaited<ReturnType<typeof signedInUser>>;
let operator: Awaited<ReturnType<typeof signedInUser>>;
let outsider: Awaited<ReturnType<typeof signedInUser>>;
let genuine: Map<string, Uint8Array>;
let genuineZip: string;
let recordingBytes: Buffer;

async function newCall(org: string, createdBy: string): Promise<string> {
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status,
                              provider_call_sid, answered_at, ended_at, duration_seconds)
    values (${org}, ${createdBy}, 'direct', '+15550100000', '+15550100001', ${randomUUID()}, ${tx.json({ record: true, transcribe: true, disclosure: "This call is recorded." } as never)},
            'global', 'completed', ${`CA${randomUUID().replaceAll("-", "")}`}, ${new Date(Date.now() - 60_000)}, ${new Date()}, 42)
    returning id`);
  return row!.id;
}

async function storeRecording(org: string, call: string, bytes: Buffer): Promise<{ id: string; sha256: string }> {
  const objectPath = `${org}/${call}/${randomUUID()}.wav`;
  const put = await storage().put(objectPath, Readable.from([bytes]), { contentType: "audio/wav" });
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type, stored_at)
    values (${org}, ${call}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${objectPath}, ${put.sha256}, ${put.bytes}, 3, 1, 'audio/wav', now())
    returning id`);
  return { id: row!.id, sha256: put.sha256 };
}

const seal = (org: string, call: string) => sealCall({ orgId: org, callId: call }, { log });

async function exportAs(browser: Browser, id: string, org?: string): Promise<Response> {
  const headers = new Headers({ "x-forwarded-for": "198.51.100.77" });
  if (org) headers.set("x-organization-id", org);
  return as(browser, () => exportRoute(new Request(`http://127.0.0.1/api/calls/${id}/evidence`, { headers }), { params: Promise.resolve({ id }) }));
}

const tampered = (changes: Record<string, Uint8Array | string | undefined>) => {
  const files = new Map(genuine);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) files.delete(name);
    else files.set(name, typeof value === "string" ? new TextEncoder().encode(value) : value);
  }
  return memoryBundle(files);
};
const text = (name: string) => new TextDecoder().decode(genuine.get(name)!);
const failed = (report: VerificationReport) => report.failures.map((f) => ({ check: f.check, subject: f.subject, field: f.field, reason: f.reason }));
const latestManifest = () => JSON.parse(text("manifest.json")) as Manifest;

beforeAll(async () => {
  dir = await useEvidenceDirs("verbatim-export-");

  orgId = await createOrg("global");
  analyst = await signedInUser();
  operator = await signedInUser();
  outsider = await signedInUser();
  await addMembership(orgId, analyst.userId, "analyst");
  await addMembership(orgId, operator.userId, "operator");
  await addMembership(await createOrg("global"), outsider.userId, "owner");

  // An earlier call in the log, so the bundle's head has an earlier one to be consistent with.
  const earlier = await newCall(orgId, analyst.userId);
  await seal(orgId, earlier);
  // The call: version 1 with its recording, version 2 when the transcript arrives.
  callId = await newCall(orgId, analyst.userId);
  recordingBytes = randomBytes(300_000);
  const recording = await storeRecording(orgId, callId, recordingBytes);
  expect(await seal(orgId, callId)).toMatchObject({ outcome: "sealed", version: 1 });
  await asService((tx) =>
    storeArtifact(tx, {
      orgId, callId, kind: "transcript", language: "en", body: { text: "Hello, front desk.", words: [{ text: "Hello", start: 0, end: 400 }] },
      provenance: { vendor: "assemblyai", models: ["universal"], producedAt: new Date().toISOString() }, inputs: { recording },
    }));
  expect(await seal(orgId, callId)).toMatchObject({ outcome: "sealed", version: 2 });
  unsealedCallId = await newCall(orgId, analyst.userId);

  const response = await exportAs(analyst.browser, callId);
  expect(response.status).toBe(200);
  genuineZip = path.join(dir, "bundle.zip");
  await writeFile(genuineZip, Buffer.from(await response.arrayBuffer()));
  genuine = await unzip(genuineZip);
}, 60_000);

afterAll(() => clearEvidenceDirs(dir, ["EVIDENCE_VERIFY_MAX_BYTES"]));

describe("GET /api/calls/:id/evidence", () => {
  it("streams a ZIP to an analyst with every part of the bundle, and records the export in the custody chain", async () => {
    const response = await exportAs(analyst.browser, callId);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-disposition")).toMatch(/attachment; filename="verbatim-evidence-.+-v2\.zip"/);
    expect(response.body).toBeInstanceOf(ReadableStream);
    await response.body!.cancel();
    const names = [...genuine.keys()].sort();
    expect(names).toEqual(expect.arrayContaining(["manifest.json", "manifest.jws", "versions/v1.jws", "proof.json", "tree-head.jws", "timestamp.tsr", "tsa.pem", "jwks.json", "custody.json", "VERIFY.md"]));
    const manifest = latestManifest();
    expect(manifest.version).toBe(2);
    expect(manifest.artifacts.map((a) => a.kind).sort()).toEqual(["recording", "transcript"]);
    expect(Buffer.compare(Buffer.from(genuine.get(`artifacts/recording-${manifest.artifacts.find((a) => a.kind === "recording")!.id}.wav`)!), recordingBytes)).toBe(0);

    const events = await asService((tx) => custodyEvents(tx, orgId));
    const exports = events.filter((e) => e.action === "evidence.exported" && e.callId === callId);
    expect(exports).toHaveLength(2);
    expect(exports[0]).toMatchObject({ actorUserId: analyst.userId, sha256: response.headers.get("x-manifest-sha256") });
    expect(exports[0]!.requestId).toBeTruthy();
    const custody = JSON.parse(text("custody.json")) as { events: Array<{ action: string }> };
    expect(custody.events.map((e) => e.action)).toEqual(["manifest.sealed", "manifest.sealed", "evidence.exported"]);
  });

  it("refuses an operator (403), another organization's member (404) and a call not sealed yet (409)", async () => {
    expect((await exportAs(operator.browser, callId)).status).toBe(403);
    expect((await exportAs(outsider.browser, callId, orgId)).status).toBe(404);
    const unsealed = await exportAs(analyst.browser, unsealedCallId);
    expect(unsealed.status).toBe(409);
    expect(((await unsealed.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "not_sealed", message: expect.stringContaining("no sealed manifest") });
  });
});

describe("the offline verifier", () => {
  it("passes the genuine bundle: artifacts, signatures, version chain, inclusion, head, consistency, timestamp, custody", async () => {
    const report = await verifyBundle(memoryBundle(genuine));
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
    const passed = new Set(report.checks.map((c) => c.check));
    for (const check of ["manifest.signature", "manifest.json", "artifact.sha256", "artifact.sha512", "artifact.bytes", "versions.chain", "log.inclusion", "tree_head.signature", "timestamp.token", "log.consistency", "custody.chain"]) {
      expect(passed, check).toContain(check);
    }
  });

  it("passes the genuine bundle through the CLI (exit 0), offline", async () => {
    const { stdout } = await promisify(execFile)("node_modules/.bin/tsx", ["scripts/verify.ts", genuineZip], { env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv });
    expect(stdout).toContain("VERIFIED: every check passed.");
  }, 30_000);

  it("fails a tampered bundle through the CLI (exit 1), naming the artifact", async () => {
    const recording = latestManifest().artifacts.find((a) => a.kind === "recording")!;
    const name = `artifacts/recording-${recording.id}.wav`;
    const zip = new yazlLib.ZipFile();
    for (const [n, b] of genuine) {
      const bytes = Buffer.from(b);
      if (n === name) bytes[10]! ^= 0x01;
      zip.addBuffer(bytes, n);
    }
    zip.end();
    const chunks: Buffer[] = [];
    for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
    const file = path.join(dir, "tampered.zip");
    await writeFile(file, Buffer.concat(chunks));
    const run = promisify(execFile)("node_modules/.bin/tsx", ["scripts/verify.ts", file], { env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv });
    await expect(run).rejects.toMatchObject({ code: 1, stdout: expect.stringMatching(new RegExp(`^FAIL +artifact\\.sha256 +artifact recording ${recording.id} \\(${name.replaceAll(".", "\\.")}\\) \\[sha256\\]`, "m")) });
  }, 30_000);

  it("fails when one byte changes in any artifact, naming that artifact and its hashes", async () => {
    for (const artifact of latestManifest().artifacts) {
      const name = [...genuine.keys()].find((n) => n.startsWith(`artifacts/${artifact.kind}-${artifact.id}`))!;
      const bytes = new Uint8Array(genuine.get(name)!);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      const report = await verifyBundle(tampered({ [name]: bytes }));
      expect(report.ok).toBe(false);
      expect(failed(report)).toEqual([
        { check: "artifact.sha256", subject: `artifact ${artifact.kind} ${artifact.id} (${name})`, field: "sha256", reason: "mismatch" },
        { check: "artifact.sha512", subject: `artifact ${artifact.kind} ${artifact.id} (${name})`, field: "sha512", reason: "mismatch" },
      ]);
    }
  });

  it("fails for an edited manifest field, naming the field", async () => {
    const edited = { ...latestManifest(), call: { ...latestManifest().call, to: "+15550109999" } };
    const report = await verifyBundle(tampered({ "manifest.json": canonicalJson(edited) }));
    expect(failed(report)).toEqual([{ check: "manifest.json", subject: "manifest.json", field: "call.to", reason: "differs_from_signed" }]);
  });

  it("fails for a manifest signed by another key", async () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const key = (await importJWK({ ...(privateKey.export({ format: "jwk" }) as object), alg: "EdDSA" }, "EdDSA")) as CryptoKey;
    const manifest = latestManifest();
    const forged = await signManifest(manifest, { kid: manifest.kid, privateKey: key });
    const report = await verifyBundle(tampered({ "manifest.jws": forged }));
    expect(failed(report)).toEqual([{ check: "manifest.signature", subject: "manifest.jws", field: undefined, reason: "bad_signature" }]);
  });

  it("fails for a removed artifact, naming it", async () => {
    const transcript = latestManifest().artifacts.find((a) => a.kind === "transcript")!;
    const report = await verifyBundle(tampered({ [`artifacts/transcript-${transcript.id}.json`]: undefined }));
    expect(failed(report)).toEqual([{ check: "artifact.present", subject: `artifact transcript ${transcript.id} (artifacts/transcript-${transcript.id}.json)`, field: undefined, reason: "missing" }]);
  });

  it("fails for a broken version chain: an earlier version that is not the one the next names", async () => {
    const { signing } = await evidenceKeyring();
    const v1 = JSON.parse(Buffer.from(text("versions/v1.jws").split(".")[1]!, "base64url").toString("utf8")) as Manifest;
    const other = await signManifest({ ...v1, issuedAt: new Date(Date.parse(v1.issuedAt) + 1000).toISOString() }, signing);
    const report = await verifyBundle(tampered({ "versions/v1.jws": other }));
    expect(failed(report)).toContainEqual({ check: "versions.chain", subject: "version 2", field: "previousSha256", reason: "broken_link" });
    expect(report.ok).toBe(false);
  });

  it("fails for an inclusion proof of another tree", async () => {
    const proof = JSON.parse(text("proof.json")) as { leafIndex: number; treeSize: number; inclusionProof: string[]; versions: Array<{ version: number; inclusionProof: string[] }> };
    // Another tree: the log after one more call was sealed (its path for this leaf is one node longer).
    await seal(orgId, await newCall(orgId, analyst.userId));
    const other = (await asService((tx) => inclusionProof(logReader(tx, orgId), proof.leafIndex, proof.treeSize + 1))).map((h) => Buffer.from(h).toString("hex"));
    expect(other).not.toEqual(proof.inclusionProof);
    const edited = { ...proof, inclusionProof: other, versions: proof.versions.map((v) => (v.version === 2 ? { ...v, inclusionProof: other } : v)) };
    const report = await verifyBundle(tampered({ "proof.json": JSON.stringify(edited) }));
    expect(failed(report)).toEqual([{ check: "log.inclusion", subject: `version 2 (leaf ${proof.leafIndex})`, field: "inclusionProof", reason: "malformed" }]);
  });

  it("fails for a tree head that is not consistent with an earlier one", async () => {
    const { signing } = await evidenceKeyring();
    const proof = JSON.parse(text("proof.json")) as { consistency: { fromTreeHead: string; fromTreeSize: number; proof: string[] } };
    expect(proof.consistency).not.toBeNull();
    // A validly signed earlier head of the same size whose root the later head does not extend.
    const rewritten = await signTreeHead({ log: orgId, treeSize: proof.consistency.fromTreeSize, rootHash: randomBytes(32).toString("hex"), timestamp: new Date().toISOString() }, signing);
    const report = await verifyBundle(tampered({ "proof.json": JSON.stringify({ ...proof, consistency: { ...proof.consistency, fromTreeHead: rewritten.jws } }) }));
    expect(failed(report)).toEqual([{ check: "log.consistency", subject: `consistency ${proof.consistency.fromTreeSize} → ${latestManifest() && JSON.parse(text("proof.json")).treeSize}`, field: "proof", reason: "inconsistent" }]);
  });

  it("fails for a timestamp token over another head", async () => {
    const proof = JSON.parse(text("proof.json")) as { consistency: { fromTreeSize: number } };
    const earlier = await asService((tx) => treeHeadOfSize(tx, { orgId, treeSize: proof.consistency.fromTreeSize }));
    const report = await verifyBundle(tampered({ "timestamp.tsr": earlier!.timestampToken }));
    expect(failed(report)).toEqual([{ check: "timestamp.token", subject: "timestamp.tsr", field: undefined, reason: "imprint_mismatch" }]);
  });

  it("fails for a timestamp token from another TSA", async () => {
    const other = await loadOrCreateLocalTsa(path.join(dir, "other-tsa"));
    const reply = parseTimeStampResponse(await other.respond(createTimeStampRequest(new TextEncoder().encode(text("tree-head.jws"))).der));
    const report = await verifyBundle(tampered({ "timestamp.tsr": reply.token! }));
    expect(report.ok).toBe(false);
    expect(failed(report)).toEqual([{ check: "timestamp.token", subject: "timestamp.tsr", field: undefined, reason: "untrusted_tsa" }]);
  });
});

describe("a bundle checked without Verbatim's code", () => {
  /** RFC 9162 §2.1.1: MTH. */
  const sha = (...parts: Uint8Array[]) => { const h = createHash("sha256"); for (const p of parts) h.update(p); return new Uint8Array(h.digest()); };
  /** RFC 9162 §2.1.3.2, written out: the root an inclusion proof leads to. */
  function rootFromPath(leafIndex: number, treeSize: number, leafHash: Uint8Array, path: Uint8Array[]): Uint8Array {
    let fn = leafIndex;
    let sn = treeSize - 1;
    let r = leafHash;
    for (const p of path) {
      if (sn === 0) throw new Error("proof too long");
      if (fn % 2 === 1 || fn === sn) {
        r = sha(Uint8Array.of(1), p, r);
        while (fn % 2 === 0 && fn !== 0) { fn /= 2; sn = Math.floor(sn / 2); }
      } else {
        r = sha(Uint8Array.of(1), r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("proof too short");
    return r;
  }

  it("recomputes every hash with node:crypto, verifies the JWS with jose and the bundled JWKS, and recomputes the inclusion proof", async () => {
    const files = new Map<string, Buffer>();
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(genuineZip, { lazyEntries: false }, (err, z) => (err ? reject(err) : resolve(z))));
    await new Promise<void>((resolve, reject) => {
      zip.on("entry", (entry: yauzl.Entry) => zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c)).on("end", () => files.set(entry.fileName, Buffer.concat(chunks)));
      }));
      zip.on("end", () => setTimeout(resolve, 50));
      zip.on("error", reject);
    });
    const keys = JSON.parse(files.get("jwks.json")!.toString("utf8")) as JSONWebKeySet;
    const jws = files.get("manifest.jws")!.toString("utf8");
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(keys), { algorithms: ["EdDSA"] });
    expect(protectedHeader.typ).toBe("verbatim-manifest+jws");
    expect(Buffer.compare(Buffer.from(payload), files.get("manifest.json")!)).toBe(0);
    const manifest = JSON.parse(Buffer.from(payload).toString("utf8")) as { previousSha256: string; artifacts: Array<{ kind: string; id: string; sha256: string; sha512: string; bytes: number }> };
    for (const a of manifest.artifacts) {
      const [name, bytes] = [...files].find(([n]) => n.startsWith(`artifacts/${a.kind}-${a.id}`))!;
      expect(createHash("sha256").update(bytes).digest("hex"), name).toBe(a.sha256);
      expect(createHash("sha512").update(bytes).digest("hex"), name).toBe(a.sha512);
      expect(bytes.length, name).toBe(a.bytes);
    }
    const v1 = await compactVerify(files.get("versions/v1.jws")!.toString("utf8"), createLocalJWKSet(keys), { algorithms: ["EdDSA"] });
    expect(createHash("sha256").update(v1.payload).digest("hex")).toBe(manifest.previousSha256);

    const head = JSON.parse(Buffer.from((await compactVerify(files.get("tree-head.jws")!.toString("utf8"), createLocalJWKSet(keys))).payload).toString("utf8")) as { treeSize: number; rootHash: string };
    const proof = JSON.parse(files.get("proof.json")!.toString("utf8")) as { leafIndex: number; treeSize: number; inclusionProof: string[] };
    expect(proof.treeSize).toBe(head.treeSize);
    const leaf = sha(Uint8Array.of(0), new TextEncoder().encode(jws));
    const root = rootFromPath(proof.leafIndex, proof.treeSize, leaf, proof.inclusionProof.map((h) => new Uint8Array(Buffer.from(h, "hex"))));
    expect(Buffer.from(root).toString("hex")).toBe(head.rootHash);
  });
});

describe("POST /api/evidence/verify", () => {
  async function post(browser: Browser, body: Uint8Array | string, type: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const req = new Request("http://127.0.0.1/api/evidence/verify", { method: "POST", headers: { "content-type": type, "x-forwarded-for": "198.51.100.78" }, body: body as BodyInit });
    const res = await as(browser, () => verifyRoute(req, { params: Promise.resolve({}) }));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("verifies a genuine bundle and a manifest JWS, fails a tampered one naming the artifact, and records each in the custody chain", async () => {
    const { readFile } = await import("node:fs/promises");
    const zip = await readFile(genuineZip);
    const ok = await post(analyst.browser, zip, "application/zip");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, failures: [], trust: { jwks: "caller", tsa: "caller" } });
    const jws = await post(analyst.browser, text("manifest.jws"), "application/jose");
    expect(jws.body).toMatchObject({ ok: true, manifest: { callId, version: 2 } });

    const bad = new Map(genuine);
    const recording = latestManifest().artifacts.find((a) => a.kind === "recording")!;
    const name = `artifacts/recording-${recording.id}.wav`;
    const bytes = new Uint8Array(bad.get(name)!);
    bytes[0]! ^= 0xff;
    bad.set(name, bytes);
    const yazl = (await import("yazl")).default;
    const out = new yazl.ZipFile();
    for (const [n, b] of bad) out.addBuffer(Buffer.from(b), n);
    out.end();
    const chunks: Buffer[] = [];
    for await (const c of out.outputStream as AsyncIterable<Buffer>) chunks.push(c);
    const failedReport = await post(analyst.browser, Buffer.concat(chunks), "application/zip");
    expect(failedReport.body.ok).toBe(false);
    expect(failedReport.body.failures).toContainEqual(expect.objectContaining({ check: "artifact.sha256", subject: `artifact recording ${recording.id} (${name})` }));

    const verified = (await asService((tx) => custodyEvents(tx, orgId))).filter((e) => e.action === "evidence.verified" && e.actorUserId === analyst.userId);
    expect(verified.length).toBeGreaterThanOrEqual(3);
    expect(verified.at(-1)).toMatchObject({ callId, sha256: JSON.parse(text("proof.json")).versions.at(-1).manifestSha256 });
  });

  it("answers 403 to an operator and 413 above the size limit", async () => {
    expect((await post(operator.browser, text("manifest.jws"), "application/jose")).status).toBe(403);
    process.env.EVIDENCE_VERIFY_MAX_BYTES = "1000";
    resetConfig();
    try {
      const { readFile } = await import("node:fs/promises");
      const tooBig = await post(analyst.browser, await readFile(genuineZip), "application/zip");
      expect(tooBig.status).toBe(413);
      expect(tooBig.body).toMatchObject({ error: { code: "payload_too_large" } });
    } finally {
      delete process.env.EVIDENCE_VERIFY_MAX_BYTES;
      resetConfig();
    }
  });
});

describe("npm run verify -- --log", () => {
  it("checks the organization's whole log, its heads, their tokens and the custody chain", async () => {
    const report = await verifyOrganizationLog(orgId);
    expect(report.failures).toEqual([]);
    expect(report.leaves).toBeGreaterThanOrEqual(3);
    expect(report.heads).toBe(report.leaves);
  });
});

describe("the custody chain past nine events", () => {
  it("appends and reads events in numeric order (a text sort would put 10 before 9 and fork the chain)", async () => {
    const { appendCustodyEvent } = await import("@/lib/evidence-sealing/custody");
    const { brokenCustodyLink } = await import("@/lib/evidence/custody");
    const org = await createOrg("global");
    for (let i = 0; i < 12; i++) {
      await asService((tx) => appendCustodyEvent(tx, { orgId: org, actorUserId: null, action: "evidence.viewed", callId: null, manifestId: null, sha256: null, requestId: `r${i}` }));
    }
    const events = await asService((tx) => custodyEvents(tx, org));
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(brokenCustodyLink(events)).toBeNull();
  });
});
