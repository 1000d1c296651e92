import { randomBytes, randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import type { GeneralJWS, JSONWebKeySet } from "jose";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as exportRoute } from "@/app/api/calls/[id]/evidence/route";
import { GET as vconRoute } from "@/app/api/calls/[id]/vcon/route";
import { GET as jwksRoute } from "@/app/api/evidence/jwks/route";
import { asService } from "@/lib/db";
import { memoryBundle } from "@/lib/evidence/bundle";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import type { ExportStatement } from "@/lib/evidence/export-statement";
import { sha256HexOf, type Manifest } from "@/lib/evidence/manifest";
import { contentHashOf, verifyVcon, type Vcon } from "@/lib/evidence/vcon";
import { verifyBundle } from "@/lib/evidence/verify-bundle";
import { custodyEvents } from "@/lib/evidence-sealing/custody";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { storeArtifact, storeScoreArtifact } from "@/lib/intelligence/artifacts";
import { storage } from "@/lib/storage";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { as, type Browser, signedInUser } from "@/tests/support/member-requests";
import { clearEvidenceDirs, unzip, useEvidenceDirs } from "@/tests/support/evidence-dirs";
import { publishScript, scriptDraft } from "@/tests/support/surveys";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * A shopper call as a vCon (docs/adr/0038), against the real database, keys, TSA and storage:
 * the vCon validates with the vCon working group's JSON Schema through Ajv (an implementation
 * that is not ours), its hashes are the bundle's files', the bundle carries it under its signed
 * statement, and the roles that may export evidence are the ones that may export it.
 */
const log = pino({ level: "silent" });
const schema = JSON.parse(readFileSync(path.join(__dirname, "../unit/fixtures/vcon/vcon-json-schema.json"), "utf8")) as object;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const validate = ajv.compile(schema);

let dir: string;
let orgId: string;
let callId: string;
let analyst: Awaited<ReturnType<typeof signedInUser>>;
let owner: Awaited<ReturnType<typeof signedInUser>>;
let operator: Awaited<ReturnType<typeof signedInUser>>;
let outsider: Awaited<ReturnType<typeof signedInUser>>;
let bundle: Map<string, Uint8Array>;
let recordingBytes: Buffer;

async function getVcon(browser: Browser, id: string, query = "", org?: string): Promise<Response> {
  const headers = new Headers({ "x-forwarded-for": "198.51.100.78" });
  if (org) headers.set("x-organization-id", org);
  return as(browser, () => vconRoute(new Request(`http://127.0.0.1/api/calls/${id}/vcon${query}`, { headers }), { params: Promise.resolve({ id }) }));
}
const file = (name: string) => new TextDecoder().decode(bundle.get(name)!);

beforeAll(async () => {
  dir = await useEvidenceDirs("verbatim-vcon-");
  orgId = await createOrg("insights");
  [analyst, owner, operator, outsider] = await Promise.all([signedInUser(), signedInUser(), signedInUser(), signedInUser()]);
  await addMembership(orgId, analyst.userId, "analyst");
  await addMembership(orgId, owner.userId, "owner");
  await addMembership(orgId, operator.userId, "operator");
  await addMembership(await createOrg("insights"), outsider.userId, "owner");

  // The shopper call: its script, the recording, the transcript and the score against the script.
  const script = await publishScript(orgId, owner.userId, scriptDraft(["Do you take new patients?", "What does a first visit cost?"]));
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status,
                              provider_call_sid, answered_at, ended_at, duration_seconds)
    values (${orgId}, ${owner.userId}, 'direct', '+15550100000', '+15550100001', ${randomUUID()},
            ${tx.json({ record: true, transcribe: true, disclosure: "This call is recorded.", shopperScript: script } as never)},
            'insights', 'completed', ${`CA${randomUUID().replaceAll("-", "")}`}, ${new Date(Date.now() - 60_000)}, ${new Date()}, 42)
    returning id`);
  callId = row!.id;
  recordingBytes = randomBytes(200_000);
  const objectPath = `${orgId}/${callId}/${randomUUID()}.wav`;
  const put = await storage().put(objectPath, Readable.from([recordingBytes]), { contentType: "audio/wav" });
  const [rec] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, duration_seconds, channels, media_type, stored_at)
    values (${orgId}, ${callId}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${objectPath}, ${put.sha256}, ${put.bytes}, 42, 1, 'audio/wav', now())
    returning id`);
  const transcript = { text: "Do you take new patients? Yes, we do. A first visit is ninety dollars.", words: [{ text: "Do", start: 0, end: 200 }] };
  const transcriptId = await asService((tx) =>
    storeArtifact(tx, { orgId, callId, kind: "transcript", language: "en", body: transcript, provenance: { vendor: "assemblyai", models: ["universal"], producedAt: new Date().toISOString() }, inputs: { recording: { id: rec!.id, sha256: put.sha256 } } }));
  await asService((tx) =>
    storeScoreArtifact(tx, {
      orgId, callId, body: { total: 100, rubric: { id: script.id, version: script.version } }, provenance: { vendor: "verbatim", models: ["scorer"], producedAt: new Date().toISOString() },
      inputs: { transcript: { id: transcriptId!, sha256: sha256HexOf(canonicalJson(transcript)) }, rubric: { scriptId: script.id, version: script.version, sha256: script.sha256 } },
    }));
  expect(await sealCall({ orgId, callId }, { log })).toMatchObject({ outcome: "sealed" });

  const response = await as(analyst.browser, () => exportRoute(new Request(`http://127.0.0.1/api/calls/${callId}/evidence`, { headers: { "x-forwarded-for": "198.51.100.78" } }), { params: Promise.resolve({ id: callId }) }));
  expect(response.status).toBe(200);
  const zip = path.join(dir, "bundle.zip");
  await writeFile(zip, Buffer.from(await response.arrayBuffer()));
  bundle = await unzip(zip);
}, 90_000);

afterAll(() => clearEvidenceDirs(dir));

describe("GET /api/calls/:id/vcon", () => {
  it("gives the analyst a vCon of the shopper call that the vCon JSON Schema accepts, its hashes the bundle's files'", async () => {
    const response = await getVcon(analyst.browser, callId);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vcon+json");
    const vcon = (await response.json()) as Vcon;
    expect(validate(vcon), JSON.stringify(validate.errors)).toBe(true);

    expect(vcon.vcon).toBe("0.4.0");
    expect(vcon.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(vcon.parties.map((p) => p.tel)).toEqual(["tel:+15550100000", "tel:+15550100001"]);
    // The recording by reference: its content_hash is the SHA-512 of the bundle's recording file.
    const manifest = JSON.parse(file("manifest.json")) as Manifest;
    const recording = manifest.artifacts.find((a) => a.kind === "recording")!;
    const recordingFile = bundle.get(`artifacts/recording-${recording.id}.wav`)!;
    expect(Buffer.compare(Buffer.from(recordingFile), recordingBytes)).toBe(0);
    expect(vcon.dialog[0]).toMatchObject({ type: "recording", parties: [0, 1], duration: 42, content_hash: contentHashOf(recordingFile) });
    expect(vcon.dialog[0]!.url).toMatch(new RegExp(`^https?://.+/api/calls/${callId}/recording\\?original=1$`));
    // The analyses are the bundle's artifact files, byte for byte once canonical.
    expect(vcon.analysis.map((a) => a.type).sort()).toEqual(["report", "transcript"]);
    for (const a of vcon.analysis) {
      expect(a).toMatchObject({ dialog: 0, encoding: "json", mediatype: "application/json" });
      expect(canonicalJson(a.body)).toBe(file(`artifacts/${a.filename}`));
    }
    expect(vcon.analysis.find((a) => a.type === "report")!.body).toMatchObject({ total: 100 });
    // The attachment is the signed manifest the bundle carries.
    expect(vcon.attachments[0]).toMatchObject({ encoding: "none", mediatype: "application/jose", body: file("manifest.jws") });
    // And it is the bundle's vcon.json: the same sealed version makes the same bytes.
    expect(file("vcon.json")).toBe(canonicalJson(vcon));
  });

  it("signs it as a General JWS with the organization's evidence key, the uuid in the unprotected header", async () => {
    const response = await getVcon(analyst.browser, callId, "?form=signed");
    expect(response.status).toBe(200);
    const jws = (await response.json()) as GeneralJWS;
    expect(jws.signatures).toHaveLength(1);
    const keys = (await (await jwksRoute(new Request("http://127.0.0.1/api/evidence/jwks"), { params: Promise.resolve({}) })).json()) as JSONWebKeySet;
    const vcon = await verifyVcon(jws, keys);
    expect(validate(vcon)).toBe(true);
    expect(jws.signatures[0]!.header).toMatchObject({ alg: "EdDSA", uuid: vcon.uuid });
    expect(canonicalJson(vcon)).toBe(file("vcon.json"));
    // One byte of the payload changed and the signature no longer holds.
    const forged = { ...jws, payload: Buffer.from(canonicalJson({ ...vcon, subject: "edited" })).toString("base64url") };
    await expect(verifyVcon(forged, keys)).rejects.toThrow();
  });

  it("gives the redacted form, numbers masked, pointing at the original by uuid, URL and SHA-512", async () => {
    const response = await getVcon(owner.browser, callId, "?redacted=1");
    expect(response.status).toBe(200);
    const redacted = (await response.json()) as Vcon;
    expect(validate(redacted), JSON.stringify(validate.errors)).toBe(true);
    const original = file("vcon.json");
    expect(redacted.redacted).toEqual({ uuid: (JSON.parse(original) as Vcon).uuid, type: "pii", url: `${new URL(redacted.redacted!.url).origin}/api/calls/${callId}/vcon`, content_hash: contentHashOf(original) });
    expect(redacted.uuid).not.toBe((JSON.parse(original) as Vcon).uuid);
    expect(JSON.stringify(redacted.parties)).not.toContain("5550100000");
    expect(redacted.parties.every((p) => p.tel === undefined && typeof p.name === "string")).toBe(true);
    // No redacted audio was made: the dialog keeps its place with no content.
    expect(redacted.dialog[0]).toMatchObject({ type: "recording" });
    expect(redacted.dialog[0]!.url).toBeUndefined();
    expect(redacted.analysis.some((a) => a.type === "transcript")).toBe(false);
  });

  it("is an evidence export: an operator is refused (403), another organization gets 404, and each export is a custody event", async () => {
    const before = (await asService((tx) => custodyEvents(tx, orgId))).filter((e) => e.callId === callId && e.action === "evidence.exported").length;
    expect((await getVcon(operator.browser, callId)).status).toBe(403);
    expect((await getVcon(outsider.browser, callId, "", orgId)).status).toBe(404);
    expect((await getVcon(outsider.browser, callId)).status).toBe(404);
    expect((await getVcon(analyst.browser, randomUUID())).status).toBe(404);
    expect((await getVcon(analyst.browser, callId, "?form=compact")).status).toBe(400);
    expect((await getVcon(owner.browser, callId)).status).toBe(200);
    const after = (await asService((tx) => custodyEvents(tx, orgId))).filter((e) => e.callId === callId && e.action === "evidence.exported").length;
    expect(after).toBe(before + 1);
  });
});

describe("vcon.json in the evidence bundle", () => {
  it("is listed in the signed export statement and passes the offline verifier's vcon check", async () => {
    const statement = JSON.parse(file("export.json")) as ExportStatement;
    expect(statement.files.map((f) => f.name)).toContain("vcon.json");
    const report = await verifyBundle(memoryBundle(bundle));
    expect(report.failures).toEqual([]);
    expect(report.checks.find((c) => c.check === "vcon.manifest")).toMatchObject({ ok: true });
  });

  it("fails verification when the vCon is edited, trimmed or dropped", async () => {
    const vcon = JSON.parse(file("vcon.json")) as Vcon;
    const trimmed = canonicalJson({ ...vcon, analysis: vcon.analysis.slice(1) });
    const edited = canonicalJson({ ...vcon, dialog: [{ ...vcon.dialog[0]!, content_hash: contentHashOf("other bytes") }] });
    for (const changed of [trimmed, edited]) {
      const files = new Map(bundle);
      files.set("vcon.json", new TextEncoder().encode(changed));
      const report = await verifyBundle(memoryBundle(files));
      expect(report.failures.map((f) => `${f.check} ${f.subject}`)).toEqual(expect.arrayContaining(["bundle.inventory vcon.json", "vcon.manifest vcon.json"]));
    }
    const dropped = new Map(bundle);
    dropped.delete("vcon.json");
    expect((await verifyBundle(memoryBundle(dropped))).failures.map((f) => `${f.check} ${f.subject} ${f.reason}`)).toContain("bundle.inventory vcon.json missing");
  });
});
