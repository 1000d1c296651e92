import { generateKeyPairSync } from "node:crypto";
import { CompactSign, compactVerify, createLocalJWKSet } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { type EvidenceKeyring, jwks, keyringFromEnvironment } from "@/lib/evidence-sealing/keys";
import { signedTreeHeadBytes, signTreeHead, TREE_HEAD_TYP, verifyTreeHead } from "@/lib/evidence/tree-head";

const head = { log: "7d4c1f3e-0000-4000-8000-000000000001", treeSize: 42, rootHash: "0f".repeat(32), timestamp: "2026-11-30T01:02:03.456Z" };
const pem = () => generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();

let ring: EvidenceKeyring;
let other: EvidenceKeyring;
beforeAll(async () => {
  ring = await keyringFromEnvironment({ signingKey: pem(), signingKeyId: "k1" });
  other = await keyringFromEnvironment({ signingKey: pem(), signingKeyId: "k1" }); // same kid, another key
});

const b64 = (s: string) => Buffer.from(s).toString("base64url");
const part = (jws: string, i: number) => jws.split(".")[i]!;

describe("signed tree heads", () => {
  it("signs the canonical JSON of the head as a compact EdDSA JWS with kid and typ", async () => {
    const { head: signed, jws } = await signTreeHead(head, ring.signing);
    expect(signed).toEqual({ ...head, kid: "k1" });
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks(ring)));
    expect(protectedHeader).toEqual({ alg: "EdDSA", kid: "k1", typ: TREE_HEAD_TYP });
    expect(new TextDecoder().decode(payload)).toBe(`{"kid":"k1","log":"${head.log}","rootHash":"${head.rootHash}","timestamp":"${head.timestamp}","treeSize":42}`);
    await expect(verifyTreeHead(jws, jwks(ring))).resolves.toEqual(signed);
    expect(new TextDecoder().decode(signedTreeHeadBytes(jws))).toBe(jws);
  });

  it("refuses a head signed by another key, or by a key not in the JWKS", async () => {
    const { jws } = await signTreeHead(head, other.signing);
    await expect(verifyTreeHead(jws, jwks(ring))).rejects.toMatchObject({ reason: "bad_signature" });
    const unknown = await keyringFromEnvironment({ signingKey: pem(), signingKeyId: "k9" });
    await expect(verifyTreeHead((await signTreeHead(head, unknown.signing)).jws, jwks(ring))).rejects.toMatchObject({ reason: "unknown_key" });
  });

  it("refuses an edited field, a flipped signature byte, and a truncated token", async () => {
    const { jws } = await signTreeHead(head, ring.signing);
    const edited = JSON.parse(Buffer.from(part(jws, 1), "base64url").toString()) as Record<string, unknown>;
    for (const change of [{ treeSize: 43 }, { rootHash: "1f".repeat(32) }, { log: "another-org" }, { timestamp: "2026-11-30T01:02:03.457Z" }]) {
      const forged = `${part(jws, 0)}.${b64(JSON.stringify({ ...edited, ...change }))}.${part(jws, 2)}`;
      await expect(verifyTreeHead(forged, jwks(ring))).rejects.toMatchObject({ reason: "bad_signature" });
    }
    const sig = Buffer.from(part(jws, 2), "base64url");
    sig[5]! ^= 1;
    await expect(verifyTreeHead(`${part(jws, 0)}.${part(jws, 1)}.${sig.toString("base64url")}`, jwks(ring))).rejects.toMatchObject({ reason: "bad_signature" });
    await expect(verifyTreeHead(jws.slice(0, -10), jwks(ring))).rejects.toBeTruthy();
    await expect(verifyTreeHead("not.a.jws", jwks(ring))).rejects.toMatchObject({ reason: "malformed" });
  });

  it("refuses validly signed JWS that are not canonical tree heads", async () => {
    const key = ring.signing.privateKey;
    const sign = (payload: string, header: Record<string, string> = { alg: "EdDSA", kid: "k1", typ: TREE_HEAD_TYP }) =>
      new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(header as { alg: string }).sign(key);
    const full = { ...head, kid: "k1" };
    await expect(verifyTreeHead(await sign(JSON.stringify(full, null, 1)), jwks(ring))).rejects.toMatchObject({ reason: "not_canonical" });
    await expect(verifyTreeHead(await sign(JSON.stringify({ ...full, kid: "k0" })), jwks(ring))).rejects.toMatchObject({ reason: "not_canonical" });
    await expect(verifyTreeHead(await sign(JSON.stringify({ ...full, extra: 1 })), jwks(ring))).rejects.toMatchObject({ reason: "invalid_payload" });
    await expect(verifyTreeHead(await sign(JSON.stringify({ ...full, rootHash: "AB".repeat(32) })), jwks(ring))).rejects.toMatchObject({ reason: "invalid_payload" });
    await expect(verifyTreeHead(await sign("{}", { alg: "EdDSA", kid: "k1", typ: "JWT" }), jwks(ring))).rejects.toMatchObject({ reason: "wrong_type" });
    const canonical = (h: object) => JSON.stringify(Object.fromEntries(Object.entries(h).sort(([a], [b]) => (a < b ? -1 : 1))));
    await expect(verifyTreeHead(await sign(canonical({ ...full, kid: "k0" })), jwks(ring))).rejects.toMatchObject({ reason: "kid_mismatch" });
  });
});
