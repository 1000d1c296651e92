import { createHash, generateKeyPairSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { type EvidenceKeyring, jwks, keyringFromEnvironment } from "@/lib/evidence-sealing/keys";
import { buildManifest, manifestContent, manifestSha256, type ManifestFacts, signManifest, verifyManifest } from "@/lib/evidence/manifest";
import { signTreeHead } from "@/lib/evidence/tree-head";

const pem = () => generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
let ring: EvidenceKeyring;
let other: EvidenceKeyring;
beforeAll(async () => {
  ring = await keyringFromEnvironment({ signingKey: pem(), signingKeyId: "k1" });
  other = await keyringFromEnvironment({ signingKey: pem(), signingKeyId: "k1" });
});

const audio = Buffer.from("RIFF....WAVEfmt ");
const hex = (algorithm: string, data: Buffer | string) => createHash(algorithm).update(data).digest("hex");

function facts(overrides: Partial<ManifestFacts> = {}): ManifestFacts {
  return {
    issuer: "https://voice.example.com",
    kid: "k1",
    issuedAt: "2026-11-30T12:00:00.000Z",
    version: 1,
    previousSha256: null,
    call: {
      id: "c1", organizationId: "o1", direction: "outbound", flow: "direct", from: "+15550100000", to: "+15550100001", status: "completed",
      providerCallSid: "CA1", createdBy: "u1", createdAt: "2026-11-30T11:59:00.000Z", answeredAt: "2026-11-30T11:59:05.000Z",
      endedAt: "2026-11-30T11:59:50.000Z", durationSeconds: 45,
    },
    modulations: { record: true, transcribe: true, translate: { languages: ["es"] }, redact: false, disclosure: "Recorded.", survey: null, shopperScript: null },
    recordings: [{
      id: "r1", status: "stored", providerRecordingSid: "RE1", storagePath: "o1/c1/r1.wav", mediaType: "audio/wav", sha256: hex("sha256", audio),
      bytes: audio.length, durationSeconds: 3, channels: 1, error: null, createdAt: "2026-11-30T11:59:50.000Z", storedAt: "2026-11-30T11:59:52.000Z",
      measured: { sha256: hex("sha256", audio), sha512: hex("sha512", audio), bytes: audio.length },
    }],
    transcriptions: [],
    artifacts: [],
    surveyAnswers: [],
    ...overrides,
  };
}

describe("evidence manifests", () => {
  it("lists the recording with both hashes and names what the snapshot expected and is missing", () => {
    const m = buildManifest(facts());
    expect(m.artifacts).toEqual([expect.objectContaining({ kind: "recording", sha256: hex("sha256", audio), sha512: hex("sha512", audio), bytes: audio.length })]);
    expect(m.missing.map((x) => [x.kind, x.language, x.reason])).toEqual([["transcript", null, "not_reported"], ["translation", "es", "not_reported"]]);
  });

  it("hashes JSON artifacts over their canonical JSON and records a redaction's original", () => {
    const body = { text: "hi", words: [] };
    const m = buildManifest(facts({
      artifacts: [{
        id: "a1", kind: "redacted_transcript", language: "en", body, storagePath: null, mediaType: null, bytes: null, sha256: hex("sha256", canonicalJson(body)),
        provenance: { vendor: "assemblyai" }, inputs: { transcript: { id: "t1", sha256: "b".repeat(64) } }, producedAt: "2026-11-30T12:00:00.000Z",
      }],
    }));
    expect(m.artifacts[1]).toMatchObject({ kind: "redacted_transcript", sha512: hex("sha512", canonicalJson(body)), derivedFrom: { id: "t1", sha256: "b".repeat(64) } });
  });

  it("does not list media whose bytes no longer match the recorded hash", () => {
    const m = buildManifest(facts({ recordings: [{ ...facts().recordings[0]!, measured: { sha256: "c".repeat(64), sha512: "d".repeat(128), bytes: audio.length } }] }));
    expect(m.artifacts).toEqual([]);
    expect(m.missing[0]).toMatchObject({ kind: "recording", id: "r1", reason: "integrity_mismatch" });
  });

  it("compares content apart from when, by which key and where in the chain it was issued", () => {
    const a = buildManifest(facts());
    const b = buildManifest(facts({ issuedAt: "2026-12-01T00:00:00.000Z", version: 2, previousSha256: manifestSha256(a) }));
    expect(manifestContent(a)).toBe(manifestContent(b));
    expect(manifestContent(a)).not.toBe(manifestContent(buildManifest(facts({ recordings: [] }))));
  });

  it("signs over canonical JSON and verifies only with the right key and type", async () => {
    const m = buildManifest(facts());
    const jws = await signManifest(m, ring.signing);
    const verified = await verifyManifest(jws, jwks(ring));
    expect(verified.manifest).toEqual(m);
    expect(verified.sha256).toBe(manifestSha256(m));
    await expect(verifyManifest(jws, jwks(other))).rejects.toMatchObject({ reason: "bad_signature" });
    const [h, , s] = jws.split(".");
    const edited = Buffer.from(canonicalJson({ ...m, version: 2, previousSha256: "e".repeat(64) })).toString("base64url");
    await expect(verifyManifest(`${h}.${edited}.${s}`, jwks(ring))).rejects.toMatchObject({ reason: "bad_signature" });
    const head = await signTreeHead({ log: "o1", treeSize: 1, rootHash: "f".repeat(64), timestamp: "2026-11-30T12:00:00.000Z" }, ring.signing);
    await expect(verifyManifest(head.jws, jwks(ring))).rejects.toMatchObject({ reason: "wrong_type" });
  });
});
