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
import { GET as jwksRoute } from "@/app/api/evidence/jwks/route";
import { GET as tsaRoute } from "@/app/api/evidence/tsa/route";
import { POST as verifyRoute } from "@/app/api/evidence/verify/route";
import { resetConfig } from "@/lib/config";
import { asService } from "@/lib/db";
import { documentFileName, memoryBundle, verifyInstructions } from "@/lib/evidence/bundle";
import { custodyEventHash } from "@/lib/evidence/custody";
import { signExportStatement, type ExportStatement } from "@/lib/evidence/export-statement";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { loadOrCreateLocalTsa } from "@/lib/evidence-sealing/local-tsa";
import type { Manifest } from "@/lib/evidence/manifest";
import { signManifest } from "@/lib/evidence/manifest";
import { consistencyProof, hashLeaf, inclusionProof, memoryLeafReader, merkleRoot } from "@/lib/evidence/merkle";
import { createTimeStampRequest, parseTimeStampResponse } from "@/lib/evidence/timestamp";
import { signedTreeHeadBytes, signTreeHead } from "@/lib/evidence/tree-head";
import { verifyBundle, type VerificationReport } from "@/lib/evidence/verify-bundle";
import { evidenceKeyring, timeStampAuthority } from "@/lib/evidence-sealing/authority";
import { custodyEvents } from "@/lib/evidence-sealing/custody";
import { logReader, treeHeadOfSize } from "@/lib/evidence-sealing/merkle-log";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { verifyOrganizationLog } from "@/lib/evidence-sealing/verify-log";
import { storeArtifact, storeScoreArtifact } from "@/lib/intelligence/artifacts";
import { storage } from "@/lib/storage";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { as, type Browser, signedInUser } from "@/tests/support/member-requests";
import { clearEvidenceDirs, unzip, useEvidenceDirs } from "@/tests/support/evidence-dirs";
import { publishScript, scriptDraft } from "@/tests/support/surveys";

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
let scored: { callId: string; rubricSha256: string; zip: string; files: Map<string, Uint8Array> };

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

  // A call scored twice: by version 1 of a script, then re-scored by version 2, whose document
  // only the bundle's documents/ can show.
  const scoredCall = await newCall(orgId, analyst.userId);
  const transcriptSha = "a".repeat(64);
  const transcriptId = await asService((tx) =>
    storeArtifact(tx, { orgId, callId: scoredCall, kind: "transcript", language: "en", body: { text: "Hello.", words: [] }, provenance: { vendor: "assemblyai", models: ["universal"], producedAt: new Date().toISOString() }, inputs: {} }));
  const script = await publishScript(orgId, analyst.userId, scriptDraft(["Do you take new patients?"]));
  const { publishNextVersion } = await import("@/lib/surveys/versions");
  const rescore = await asService((tx) => publishNextVersion(tx, "shopperScript", { orgId, userId: analyst.userId, id: script.id, basedOn: 1, draft: scriptDraft(["Do you take new patients this month?"]) }));
  for (const version of [script, rescore.version]) {
    await asService((tx) =>
      storeScoreArtifact(tx, {
        orgId, callId: scoredCall, body: { total: 80, rubric: { id: version.id, version: version.version } }, provenance: { vendor: "verbatim", models: ["scorer"], producedAt: new Date().toISOString() },
        inputs: { transcript: { id: transcriptId!, sha256: transcriptSha }, rubric: { scriptId: version.id, version: version.version, sha256: version.sha256 } },
      }));
  }
  expect(await seal(orgId, scoredCall)).toMatchObject({ outcome: "sealed" });
  const scoredResponse = await exportAs(analyst.browser, scoredCall);
  expect(scoredResponse.status).toBe(200);
  const scoredZip = path.join(dir, "scored.zip");
  await writeFile(scoredZip, Buffer.from(await scoredResponse.arrayBuffer()));
  scored = { callId: scoredCall, rubricSha256: rescore.version.sha256, zip: scoredZip, files: await unzip(scoredZip) };
}, 90_000);

/** The issuer's published keys and TSA certificate, fetched from its endpoints and kept as files. */
async function pinnedTrust(): Promise<{ jwksFile: string; tsaFile: string; jwks: JSONWebKeySet; tsa: string }> {
  const jwks = (await (await jwksRoute(new Request("http://127.0.0.1/api/evidence/jwks"), { params: Promise.resolve({}) })).json()) as JSONWebKeySet;
  const tsaResponse = await tsaRoute(new Request("http://127.0.0.1/api/evidence/tsa"), { params: Promise.resolve({}) });
  expect(tsaResponse.headers.get("content-type")).toBe("application/pem-certificate-chain");
  const tsa = await tsaResponse.text();
  const jwksFile = path.join(dir, "issuer-jwks.json");
  const tsaFile = path.join(dir, "issuer-tsa.pem");
  await writeFile(jwksFile, JSON.stringify(jwks));
  await writeFile(tsaFile, tsa);
  return { jwksFile, tsaFile, jwks, tsa };
}

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

  it("passes the genuine bundle through the CLI offline: VERIFIED (exit 0) with pinned keys and TSA, SELF-CONSISTENT ONLY (exit 2) without", async () => {
    const cli = (...args: string[]) => promisify(execFile)("node_modules/.bin/tsx", ["bin/verify.ts", ...args], { env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv });
    const { jwksFile, tsaFile } = await pinnedTrust();
    const { stdout } = await cli(genuineZip, "--jwks", jwksFile, "--tsa-cert", tsaFile);
    expect(stdout).toMatch(/^VERIFIED: every check passed, against the keys and TSA certificates you pinned\./);
    await expect(cli(genuineZip)).rejects.toMatchObject({ code: 2, stdout: expect.stringMatching(/^SELF-CONSISTENT ONLY: every check passed, but against the keys \(jwks\.json\) and the TSA certificate \(tsa\.pem\) the bundle carries itself/) });
    await expect(cli(genuineZip, "--jwks", jwksFile)).rejects.toMatchObject({ code: 2, stdout: expect.stringMatching(/^SELF-CONSISTENT ONLY: .* against the TSA certificate \(tsa\.pem\) the bundle carries itself/) });
  }, 60_000);

  it("documents pinning in --help (exit 0) and answers a wrong command line with the usage (exit 64), never a stack trace", async () => {
    const cli = (...args: string[]) => promisify(execFile)("node_modules/.bin/tsx", ["bin/verify.ts", ...args], { env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv });
    const help = await cli("--help");
    expect(help.stdout).toContain("--jwks <file>");
    expect(help.stdout).toContain("/api/evidence/tsa");
    expect(help.stdout).toMatch(/2 +SELF-CONSISTENT ONLY/);
    for (const args of [["--frobnicate"], [], ["a.zip", "b.zip"]]) {
      const run = cli(...args);
      await expect(run).rejects.toMatchObject({ code: 64, stderr: expect.stringContaining("Usage:") });
      await expect(run).rejects.toMatchObject({ stderr: expect.not.stringMatching(/\n\s+at /) });
    }
  }, 60_000);

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
    const run = promisify(execFile)("node_modules/.bin/tsx", ["bin/verify.ts", file], { env: { PATH: process.env.PATH } as unknown as NodeJS.ProcessEnv });
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
        { check: "bundle.inventory", subject: name, field: "sha256", reason: "mismatch" },
        { check: "artifact.sha256", subject: `artifact ${artifact.kind} ${artifact.id} (${name})`, field: "sha256", reason: "mismatch" },
        { check: "artifact.sha512", subject: `artifact ${artifact.kind} ${artifact.id} (${name})`, field: "sha512", reason: "mismatch" },
      ]);
    }
  });

  it("fails for an edited manifest field, naming the field", async () => {
    const edited = { ...latestManifest(), call: { ...latestManifest().call, to: "+15550109999" } };
    const report = await verifyBundle(tampered({ "manifest.json": canonicalJson(edited) }));
    expect(failed(report)).toEqual([
      { check: "manifest.json", subject: "manifest.json", field: "call.to", reason: "differs_from_signed" },
      { check: "bundle.inventory", subject: "manifest.json", field: "sha256", reason: "mismatch" },
    ]);
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
    expect(failed(report)).toEqual([
      { check: "bundle.inventory", subject: `artifacts/transcript-${transcript.id}.json`, field: undefined, reason: "missing" },
      { check: "artifact.present", subject: `artifact transcript ${transcript.id} (artifacts/transcript-${transcript.id}.json)`, field: undefined, reason: "missing" },
    ]);
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

describe("a bundle nobody can quietly trim or pad", () => {
  type Custody = { organizationId: string; callId: string; events: Array<Record<string, unknown> & { sequence: number; hash: string; action: string }> };
  const custody = () => JSON.parse(text("custody.json")) as Custody;
  const withCustody = (events: Custody["events"]) => `${JSON.stringify({ ...custody(), events }, null, 2)}\n`;

  it("carries an export statement, signed and logged, that lists every file but the five that prove it", async () => {
    const statement = JSON.parse(text("export.json")) as ExportStatement;
    const listed = statement.files.map((f) => f.name);
    expect([...genuine.keys()].filter((n) => !listed.includes(n)).sort()).toEqual(["export.json", "export.jws", "proof.json", "timestamp.tsr", "tree-head.jws"]);
    expect(listed).toEqual(expect.arrayContaining(["custody.json", "jwks.json", "tsa.pem", "VERIFY.md", "manifest.json", "manifest.jws", "versions/v1.jws"]));
    const proof = JSON.parse(text("proof.json")) as { treeSize: number; export: { leafIndex: number } };
    expect(proof.export.leafIndex).toBe(proof.treeSize - 1);
    expect(statement.exportId).toBe(custody().events.at(-1)!.requestId);
  });

  it("fails a bundle carrying a file the statement does not list (a second recording riding along)", async () => {
    const recording = latestManifest().artifacts.find((a) => a.kind === "recording")!;
    const report = await verifyBundle(tampered({ "artifacts/recording-second.wav": genuine.get(`artifacts/recording-${recording.id}.wav`)! }));
    expect(failed(report)).toEqual([{ check: "bundle.inventory", subject: "artifacts/recording-second.wav", field: undefined, reason: "unlisted" }]);
    expect(report.verdict).toBe("failed");
  });

  it("fails a bundle whose proof drops the consistency proof although the log had earlier heads", async () => {
    const proof = JSON.parse(text("proof.json")) as Record<string, unknown>;
    const report = await verifyBundle(tampered({ "proof.json": JSON.stringify({ ...proof, consistency: null }) }));
    expect(failed(report)).toEqual([{ check: "log.consistency", subject: "proof.json", field: "consistency", reason: "missing" }]);
  });

  it("fails a custody record missing a manifest.sealed event in the middle, or the bundle's own export event", async () => {
    const events = custody().events;
    const middle = events.findIndex((e) => e.action === "manifest.sealed");
    const withoutSealed = await verifyBundle(tampered({ "custody.json": withCustody(events.filter((_, i) => i !== middle)) }));
    expect(failed(withoutSealed)).toEqual(expect.arrayContaining([
      { check: "bundle.inventory", subject: "custody.json", field: "bytes", reason: "mismatch" },
      { check: "custody.chain", subject: "version 1", field: undefined, reason: "missing_sealing" },
    ]));
    const withoutExport = await verifyBundle(tampered({ "custody.json": withCustody(events.slice(0, -1)) }));
    expect(failed(withoutExport)).toEqual(expect.arrayContaining([
      { check: "bundle.inventory", subject: "custody.json", field: "bytes", reason: "mismatch" },
      { check: "custody.chain", subject: "custody.json", field: undefined, reason: "no_export_event" },
    ]));
  });

  it("fails a custody record whose last event was edited and its hash recomputed, or whose events were reordered", async () => {
    const events = custody().events;
    const last = { ...events.at(-1)!, actorUserId: operator.userId };
    const { hash: _old, ...fields } = last;
    const rewritten = [...events.slice(0, -1), { ...last, hash: custodyEventHash(fields as never) }];
    const edited = await verifyBundle(tampered({ "custody.json": withCustody(rewritten) }));
    expect(failed(edited)).toEqual([{ check: "bundle.inventory", subject: "custody.json", field: "sha256", reason: "mismatch" }]);
    const reordered = await verifyBundle(tampered({ "custody.json": withCustody([events[1]!, events[0]!, ...events.slice(2)]) }));
    expect(failed(reordered)).toContainEqual({ check: "bundle.inventory", subject: "custody.json", field: "sha256", reason: "mismatch" });
  });

  it("fails a statement re-signed to cover an edit: unknown key when pinned, not in the log when not", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const key = (await importJWK({ ...(privateKey.export({ format: "jwk" }) as object), alg: "EdDSA" }, "EdDSA")) as CryptoKey;
    const attackerJwk = { ...(publicKey.export({ format: "jwk" }) as object), kid: "attacker", alg: "EdDSA", use: "sig" };
    const keys = JSON.parse(text("jwks.json")) as JSONWebKeySet;
    const jwksText = `${JSON.stringify({ keys: [...keys.keys, attackerJwk] }, null, 2)}\n`;
    const edited = [...custody().events.slice(0, -1), custody().events.at(-1)!];
    edited.splice(0, 1);
    const custodyText = withCustody(edited);
    const statement = JSON.parse(text("export.json")) as ExportStatement;
    const facts = (name: string, value: string) => {
      const bytes = Buffer.from(value);
      return { name, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex"), sha512: createHash("sha512").update(bytes).digest("hex") };
    };
    const files = statement.files.map((f) => (f.name === "custody.json" ? facts(f.name, custodyText) : f.name === "jwks.json" ? facts(f.name, jwksText) : f));
    const forged = { ...statement, kid: "attacker", files };
    const forgedJws = await signExportStatement(forged, { kid: "attacker", privateKey: key });
    const changes = { "custody.json": custodyText, "jwks.json": jwksText, "export.json": canonicalJson(forged), "export.jws": forgedJws };
    const unpinned = await verifyBundle(tampered(changes));
    expect(failed(unpinned)).toContainEqual({ check: "log.export", subject: expect.stringContaining("export statement"), field: "statementSha256", reason: "mismatch" });
    const { jwks, tsa } = await pinnedTrust();
    const pinned = await verifyBundle(tampered(changes), { jwks, trustedTsaCertificates: [tsa] });
    expect(failed(pinned)).toContainEqual({ check: "export.signature", subject: "export.jws", field: undefined, reason: "unknown_key" });
  });

  it("says a full forgery (another issuer's keys, log and TSA) is only self-consistent unless keys are pinned, and fails it when they are", async () => {
    // The attacker runs their own Verbatim: their own key, TSA and log, a call that looks like ours.
    const saved = { keys: process.env.EVIDENCE_KEYS_DIR, tsa: process.env.EVIDENCE_TSA_DIR };
    process.env.EVIDENCE_KEYS_DIR = path.join(dir, "attacker-keys");
    process.env.EVIDENCE_TSA_DIR = path.join(dir, "attacker-tsa");
    resetConfig();
    (await import("@/lib/evidence-sealing/authority")).resetEvidenceAuthority();
    let forgedZip: string;
    try {
      const attackerOrg = await createOrg("global");
      const attacker = await signedInUser();
      await addMembership(attackerOrg, attacker.userId, "analyst");
      const call = await newCall(attackerOrg, attacker.userId);
      await seal(attackerOrg, call);
      const response = await exportAs(attacker.browser, call, attackerOrg);
      expect(response.status).toBe(200);
      forgedZip = path.join(dir, "forged.zip");
      await writeFile(forgedZip, Buffer.from(await response.arrayBuffer()));
    } finally {
      process.env.EVIDENCE_KEYS_DIR = saved.keys;
      process.env.EVIDENCE_TSA_DIR = saved.tsa;
      resetConfig();
      (await import("@/lib/evidence-sealing/authority")).resetEvidenceAuthority();
    }
    const forged = memoryBundle(await unzip(forgedZip));
    const selfChecked = await verifyBundle(forged);
    expect(selfChecked).toMatchObject({ ok: true, verdict: "self_consistent", trust: { jwks: "bundle", tsa: "bundle" } });
    const { jwks, tsa } = await pinnedTrust();
    const pinned = await verifyBundle(forged, { jwks, trustedTsaCertificates: [tsa] });
    expect(pinned.verdict).toBe("failed");
    expect(failed(pinned)).toContainEqual({ check: "manifest.signature", subject: "manifest.jws", field: undefined, reason: "unknown_key" });
    const genuineReport = await verifyBundle(memoryBundle(genuine), { jwks, trustedTsaCertificates: [tsa] });
    expect(genuineReport).toMatchObject({ ok: true, verdict: "verified" });
  }, 60_000);

  it("carries every document the artifacts cite by hash: the re-score's rubric version, checkable offline", async () => {
    const name = documentFileName(scored.rubricSha256);
    expect(createHash("sha256").update(scored.files.get(name)!).digest("hex")).toBe(scored.rubricSha256);
    const report = await verifyBundle(memoryBundle(scored.files));
    expect(failed(report)).toEqual([]);
    expect(report.checks.filter((c) => c.check === "document.cited").map((c) => c.subject)).toContain(name);
    const without = new Map(scored.files);
    without.delete(name);
    expect(failed(await verifyBundle(memoryBundle(without)))).toEqual(expect.arrayContaining([
      { check: "bundle.inventory", subject: name, field: undefined, reason: "missing" },
      { check: "document.cited", subject: name, field: undefined, reason: "missing" },
    ]));
  });
});

describe("VERIFY.md, followed by hand", () => {
  /** Unzips a bundle into a fresh directory and runs VERIFY.md's bash blocks there as one script. */
  async function byHand(files: Map<string, Uint8Array>, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const { mkdtemp, mkdir } = await import("node:fs/promises");
    const where = await mkdtemp(path.join(dir, "by-hand-"));
    for (const [name, bytes] of files) {
      await mkdir(path.dirname(path.join(where, name)), { recursive: true });
      await writeFile(path.join(where, name), bytes);
    }
    const readme = new TextDecoder().decode(files.get("VERIFY.md") ?? genuine.get("VERIFY.md")!);
    const script = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n");
    try {
      const { stdout, stderr } = await promisify(execFile)("bash", ["--norc", "--noprofile", "-c", script], { cwd: where, env: { PATH: process.env.PATH, ...env } as unknown as NodeJS.ProcessEnv });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  /** OpenSSL names its configuration file on stderr; anything else there is a problem. */
  const quiet = (stderr: string) => stderr.replace(/^Using configuration from .*\n/gm, "");

  it("passes every step on the genuine bundle and on the scored one, with the bundle's own or the issuer's pinned keys", async () => {
    const steps = ["0. tools: ok", "1. export statement: ok", "2. inventory: ok", "3. manifest and artifacts: ok", "4. versions and documents: ok", "5. custody: ok", "6. log: ok", "7. timestamp: ok"];
    const genuineRun = await byHand(genuine);
    expect(quiet(genuineRun.stderr)).toBe("");
    expect(genuineRun.stdout.trim().split("\n")).toEqual(steps);
    expect((await byHand(scored.files)).stdout.trim().split("\n")).toEqual(steps);
    const { jwksFile, tsaFile } = await pinnedTrust();
    expect((await byHand(genuine, { KEYS: jwksFile, TSA: tsaFile })).stdout.trim().split("\n")).toEqual(steps);
  }, 120_000);

  it("passes a bundle with no artifacts and one version (the commands never need a file that is not there)", async () => {
    const call = await newCall(orgId, analyst.userId);
    await seal(orgId, call);
    const response = await exportAs(analyst.browser, call);
    const file = path.join(dir, "empty.zip");
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
    const files = await unzip(file);
    expect([...files.keys()].some((n) => n.startsWith("artifacts/") || n.startsWith("versions/"))).toBe(false);
    const run = await byHand(files);
    expect(quiet(run.stderr)).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("7. timestamp: ok");
  }, 60_000);

  it("stops at the step that fails for each tampered copy", async () => {
    const recording = latestManifest().artifacts.find((a) => a.kind === "recording")!;
    const name = `artifacts/recording-${recording.id}.wav`;
    const flipped = new Uint8Array(genuine.get(name)!);
    flipped[100]! ^= 1;
    const cases: Array<[string, Record<string, Uint8Array | string | undefined>, string]> = [
      ["an extra file", { "artifacts/recording-second.wav": genuine.get(name)! }, "1. export statement: ok"],
      ["a changed artifact", { [name]: flipped }, "1. export statement: ok"],
      ["an edited export.json", { "export.json": text("export.json").replace('"exportId":"', '"exportId":"x') }, "0. tools: ok"],
      ["a custody event removed", { "custody.json": `${JSON.stringify({ ...JSON.parse(text("custody.json")), events: JSON.parse(text("custody.json")).events.slice(1) }, null, 2)}\n` }, "1. export statement: ok"],
      ["consistency dropped", { "proof.json": JSON.stringify({ ...JSON.parse(text("proof.json")), consistency: null }) }, "5. custody: ok"],
      ["a timestamp of another head", { "timestamp.tsr": (await asService((tx) => treeHeadOfSize(tx, { orgId, treeSize: JSON.parse(text("proof.json")).consistency.fromTreeSize })))!.timestampToken }, "6. log: ok"],
    ];
    for (const [what, changes, lastOk] of cases) {
      const files = new Map(genuine);
      for (const [n, v] of Object.entries(changes)) {
        if (v === undefined) files.delete(n);
        else files.set(n, typeof v === "string" ? new TextEncoder().encode(v) : v);
      }
      const run = await byHand(files);
      expect(run.code, what).not.toBe(0);
      expect(run.stdout.trim().split("\n").filter((l) => /^\d\. .*: ok$/.test(l)).at(-1), what).toBe(lastOk);
    }
  }, 180_000);

  it("is generated from signed facts only: no artifact hash or file list appears in it", () => {
    const readme = verifyInstructions({ callId: "c", version: 1, issuer: "https://verbatim.example" });
    expect(readme).toContain("https://verbatim.example/api/evidence/jwks");
    expect(readme).toContain("https://verbatim.example/api/evidence/tsa");
    expect(readme).not.toMatch(/[0-9a-f]{64}/);
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

  it("checks the bundle against the organization's own log and custody: a fork built with a leaked key fails, another organization's bundle cannot pass", async () => {
    const { readFile } = await import("node:fs/promises");
    const zipOf = async (files: Map<string, Uint8Array>) => {
      const out = new yazlLib.ZipFile();
      for (const [n, b] of files) out.addBuffer(Buffer.from(b), n);
      out.end();
      const chunks: Buffer[] = [];
      for await (const c of out.outputStream as AsyncIterable<Buffer>) chunks.push(c);
      return Buffer.concat(chunks);
    };
    const genuineReport = await post(analyst.browser, await readFile(genuineZip), "application/zip");
    expect((genuineReport.body.checks as Array<{ check: string; ok: boolean }>).filter((c) => c.check.startsWith("organization."))).toEqual(
      expect.arrayContaining([expect.objectContaining({ check: "organization.log", ok: true }), expect.objectContaining({ check: "organization.custody", ok: true })]),
    );

    // With the real key (leaked) and TSA: the export event blamed on someone else, the statement
    // re-signed, the log forked at the statement's leaf, a new head signed and timestamped.
    const keyring = await evidenceKeyring();
    const tsa = await timeStampAuthority();
    const proof = JSON.parse(text("proof.json")) as { treeSize: number; versions: Array<{ version: number; leafIndex: number; inclusionProof: string[] }>; export: { leafIndex: number; statementSha256: string; inclusionProof: string[] }; consistency: { fromTreeHead: string; fromTreeSize: number; proof: string[] } };
    const custody = JSON.parse(text("custody.json")) as { events: Array<Record<string, unknown> & { hash: string }> };
    const { hash: _h, ...lastFields } = { ...custody.events.at(-1)!, actorUserId: operator.userId };
    const events = [...custody.events.slice(0, -1), { ...lastFields, hash: custodyEventHash(lastFields as never) }];
    const custodyText = `${JSON.stringify({ ...custody, events }, null, 2)}\n`;
    const statement = JSON.parse(text("export.json")) as ExportStatement;
    const cBytes = Buffer.from(custodyText);
    const forged: ExportStatement = { ...statement, files: statement.files.map((f) => (f.name === "custody.json" ? { ...f, bytes: cBytes.length, sha256: createHash("sha256").update(cBytes).digest("hex"), sha512: createHash("sha512").update(cBytes).digest("hex") } : f)) };
    const forgedJws = await signExportStatement(forged, keyring.signing);
    const leaves = [...(await asService((tx) => logReader(tx, orgId).leafHashes(0, proof.treeSize)))];
    leaves[proof.export.leafIndex] = hashLeaf(new TextEncoder().encode(forgedJws));
    const reader = memoryLeafReader(leaves);
    const hex = (hs: Uint8Array[]) => hs.map((h) => Buffer.from(h).toString("hex"));
    const head = await signTreeHead({ log: orgId, treeSize: proof.treeSize, rootHash: Buffer.from(merkleRoot(leaves)).toString("hex"), timestamp: new Date().toISOString() }, keyring.signing);
    const stamp = await tsa.stamp(signedTreeHeadBytes(head.jws));
    const forgedProof = {
      ...proof,
      inclusionProof: hex(await inclusionProof(reader, proof.versions.at(-1)!.leafIndex, proof.treeSize)),
      versions: await Promise.all(proof.versions.map(async (v) => ({ ...v, inclusionProof: hex(await inclusionProof(reader, v.leafIndex, proof.treeSize)) }))),
      export: { ...proof.export, statementSha256: createHash("sha256").update(canonicalJson(forged)).digest("hex"), inclusionProof: hex(await inclusionProof(reader, proof.export.leafIndex, proof.treeSize)) },
      consistency: { ...proof.consistency, proof: hex(await consistencyProof(reader, proof.consistency.fromTreeSize, proof.treeSize)) },
    };
    const files = new Map(genuine);
    files.set("custody.json", cBytes);
    files.set("export.json", new TextEncoder().encode(canonicalJson(forged)));
    files.set("export.jws", new TextEncoder().encode(forgedJws));
    files.set("proof.json", new TextEncoder().encode(JSON.stringify(forgedProof)));
    files.set("tree-head.jws", new TextEncoder().encode(head.jws));
    files.set("timestamp.tsr", stamp.token);
    // Offline, with the real keys, the fork is indistinguishable…
    const { jwks, tsa: tsaPem } = await pinnedTrust();
    expect(failed(await verifyBundle(memoryBundle(files), { jwks, trustedTsaCertificates: [tsaPem] }))).toEqual([]);
    // …and the organization's own log and custody record tell it apart.
    const fork = await post(analyst.browser, await zipOf(files), "application/zip");
    expect(fork.body).toMatchObject({ ok: false, verdict: "failed" });
    expect((fork.body.failures as VerificationReport["failures"]).map((f) => ({ check: f.check, reason: f.reason }))).toEqual(
      expect.arrayContaining([
        { check: "organization.log", reason: "fork" },
        { check: "organization.log", reason: "not_in_log" },
        { check: "organization.custody", reason: "rewritten" },
      ]),
    );

    const other = await post(outsider.browser, await readFile(genuineZip), "application/zip");
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ ok: false });
    expect(other.body.failures).toContainEqual(expect.objectContaining({ check: "organization.log", reason: "other_organization" }));

    // A manifest JWS alone: it must be one this organization sealed and logged.
    const otherJws = await post(outsider.browser, text("manifest.jws"), "application/jose");
    expect(otherJws.body.failures).toContainEqual(expect.objectContaining({ check: "organization.log", reason: "other_organization" }));
    const unlogged = await signManifest({ ...latestManifest(), issuedAt: new Date().toISOString() }, keyring.signing);
    const notInLog = await post(analyst.browser, unlogged, "application/jose");
    expect(notInLog.body).toMatchObject({ ok: false });
    expect(notInLog.body.failures).toContainEqual(expect.objectContaining({ check: "organization.log", reason: "not_in_log" }));
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
