import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CompactSign } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { jwks, loadOrCreateLocalKeyring, rotateKey } from "@/lib/evidence-sealing/keys";
import { loadOrCreateLocalTsa, startTimeStampServer } from "@/lib/evidence-sealing/local-tsa";
import { consistencyProof, hashLeaf, inclusionProof, memoryLeafReader, rootHash, verifyConsistency, verifyInclusion } from "@/lib/evidence/merkle";
import { requestTimeStamp, verifyTimeStampToken } from "@/lib/evidence/timestamp";
import { signedTreeHeadBytes, signTreeHead, verifyTreeHead } from "@/lib/evidence/tree-head";

/*
 * The pieces together, the way sealing and the offline verifier will use them: manifests
 * (compact JWS) are the log's entries; a signed head is timestamped over HTTP; then everything a
 * bundle carries goes through JSON, and is checked with public material only.
 */
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const bytes = (s: string) => new TextEncoder().encode(s);

let dir: string;
let server: { url: string; close(): Promise<void> };
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "evidence-offline-"));
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("checking logged, signed, timestamped evidence offline", () => {
  it("verifies a manifest's inclusion, the head, its token and the log's consistency across a key rotation", async () => {
    const keysDir = path.join(dir, "keys");
    const tsa = await loadOrCreateLocalTsa(path.join(dir, "tsa"));
    server = await startTimeStampServer(tsa);
    const log: string[] = [];
    const seal = async (n: number) => {
      const { signing } = await loadOrCreateLocalKeyring(keysDir);
      for (let i = 0; i < n; i++) {
        const manifest = canonicalJson({ schema: 1, call: `call-${log.length}`, issued_at: "2026-11-30T01:00:00.000Z" });
        log.push(await new CompactSign(bytes(manifest)).setProtectedHeader({ alg: "EdDSA", kid: signing.kid }).sign(signing.privateKey));
      }
      const leaves = log.map((jws) => hashLeaf(bytes(jws)));
      const root = await rootHash(memoryLeafReader(leaves), log.length);
      const { jws } = await signTreeHead({ log: "org-1", treeSize: log.length, rootHash: hex(root), timestamp: new Date().toISOString() }, signing);
      const { token } = await requestTimeStamp(server.url, signedTreeHeadBytes(jws), { trustedCertificates: [tsa.caCertificate] });
      return { sth: jws, token: Buffer.from(token).toString("base64"), leaves };
    };

    const first = await seal(5);
    await rotateKey(keysDir);
    const second = await seal(3);
    const bundle = JSON.parse(
      JSON.stringify({
        manifestJws: log[2],
        leafIndex: 2,
        inclusionProof: (await inclusionProof(memoryLeafReader(second.leaves), 2, 8)).map(hex),
        treeHead: second.sth,
        timestampToken: second.token,
        earlierHead: first.sth,
        consistencyProof: (await consistencyProof(memoryLeafReader(second.leaves), 5, 8)).map(hex),
        jwks: jwks(await loadOrCreateLocalKeyring(keysDir)),
        tsaCertificate: tsa.caCertificate,
      }),
    );

    // The verifier's side: nothing but the bundle.
    const head = await verifyTreeHead(bundle.treeHead, bundle.jwks);
    const earlier = await verifyTreeHead(bundle.earlierHead, bundle.jwks); // signed by the retired key
    expect(earlier.kid).not.toBe(head.kid);
    const leafHash = hashLeaf(bytes(bundle.manifestJws));
    expect(verifyInclusion({ leafHash, leafIndex: bundle.leafIndex, treeSize: head.treeSize, proof: bundle.inclusionProof.map(unhex), rootHash: unhex(head.rootHash) })).toBe(true);
    expect(verifyConsistency({ oldSize: earlier.treeSize, newSize: head.treeSize, oldRoot: unhex(earlier.rootHash), newRoot: unhex(head.rootHash), proof: bundle.consistencyProof.map(unhex) })).toBe(true);
    const stamped = await verifyTimeStampToken(Buffer.from(bundle.timestampToken, "base64"), { data: signedTreeHeadBytes(bundle.treeHead), trustedCertificates: [bundle.tsaCertificate] });
    expect(stamped.genTime.getTime()).toBeGreaterThanOrEqual(Date.parse(head.timestamp) - 1000);

    // And what a forger would try: another manifest at that position, a head's token on another head.
    expect(verifyInclusion({ leafHash: hashLeaf(bytes(log[3]!)), leafIndex: 2, treeSize: head.treeSize, proof: bundle.inclusionProof.map(unhex), rootHash: unhex(head.rootHash) })).toBe(false);
    await expect(verifyTimeStampToken(Buffer.from(first.token, "base64"), { data: signedTreeHeadBytes(bundle.treeHead), trustedCertificates: [bundle.tsaCertificate] })).rejects.toMatchObject({ reason: "imprint_mismatch" });
  });
});
