import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyringFromEnvironment } from "@/lib/evidence-sealing/keys";
import { LOCAL_TSA_POLICY, type LocalTsa, loadOrCreateLocalTsa, startTimeStampServer } from "@/lib/evidence-sealing/local-tsa";
import {
  createTimeStampRequest,
  parseCertificate,
  parseTimeStampResponse,
  requestTimeStamp,
  TIMESTAMP_QUERY_TYPE,
  TimeStampError,
  verifyTimeStampToken,
} from "@/lib/evidence/timestamp";
import { signedTreeHeadBytes, signTreeHead } from "@/lib/evidence/tree-head";

let dir: string;
let tsa: LocalTsa;
let otherTsa: LocalTsa;
let server: { url: string; close(): Promise<void> };
let head: Uint8Array;
let otherHead: Uint8Array;
let token: Uint8Array;
let before: Date;

const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => spawnSync("openssl", args, { encoding: "utf8" });
const reason = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    if (error instanceof TimeStampError) return error.reason;
    throw error;
  }
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "evidence-tsa-"));
  tsa = await loadOrCreateLocalTsa(file("tsa"));
  otherTsa = await loadOrCreateLocalTsa(file("other-tsa"));
  server = await startTimeStampServer(tsa);
  const ring = await keyringFromEnvironment({ signingKey: generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString(), signingKeyId: "k1" });
  const sign = async (treeSize: number) =>
    signedTreeHeadBytes((await signTreeHead({ log: "org-1", treeSize, rootHash: "cd".repeat(32), timestamp: "2026-11-30T01:00:00.000Z" }, ring.signing)).jws);
  head = await sign(7);
  otherHead = await sign(8);
  before = new Date(Date.now() - 1000);
  ({ token } = await requestTimeStamp(server.url, head, { trustedCertificates: [tsa.caCertificate] }));
  await writeFile(file("sth.jws"), head);
  await writeFile(file("other-sth.jws"), otherHead);
  await writeFile(file("token.der"), token);
  await writeFile(file("ca.pem"), tsa.caCertificate);
  await writeFile(file("other-ca.pem"), otherTsa.caCertificate);
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("a token from the local TSA, fetched over HTTP like a production TSA", () => {
  it("verifies, naming the time, the policy and the TSA certificate", async () => {
    const verified = await verifyTimeStampToken(token, { data: head, trustedCertificates: [tsa.caCertificate] });
    expect(verified.genTime.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(verified.genTime.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(verified.policy).toBe(LOCAL_TSA_POLICY);
    expect(verified.tsaCertificate).toBe(tsa.tsaCertificate);
    expect(verified.serialNumber).toMatch(/^[0-9a-f]{32}$/);
  });

  it("verifies when the TSA's own certificate is the trust anchor", async () => {
    await expect(verifyTimeStampToken(token, { data: head, trustedCertificates: [tsa.tsaCertificate] })).resolves.toBeTruthy();
  });

  it("is accepted by OpenSSL's own RFC 3161 verifier, and its reply parses with openssl ts -reply", async () => {
    const ok = openssl("ts", "-verify", "-data", file("sth.jws"), "-in", file("token.der"), "-token_in", "-CAfile", file("ca.pem"));
    expect(ok.stdout + ok.stderr).toContain("Verification: OK");
    expect(ok.status).toBe(0);

    const request = createTimeStampRequest(head);
    await writeFile(file("request.tsq"), request.der);
    await writeFile(file("reply.tsr"), await tsa.respond(request.der));
    const text = openssl("ts", "-reply", "-in", file("reply.tsr"), "-text");
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("Status: Granted.");
    expect(text.stdout).toContain(`Policy OID: ${LOCAL_TSA_POLICY}`);
    expect(text.stdout).toContain("Hash Algorithm: sha256");
    // OpenSSL prints the nonce's minimal bytes: a random nonce below 2^56 has fewer than 16 digits.
    const nonceHex = request.nonce.toString(16).toUpperCase();
    expect(text.stdout).toContain(`Nonce: 0x${nonceHex.length % 2 ? `0${nonceHex}` : nonceHex}\n`);
    // Against the query: OpenSSL checks the imprint and the nonce too.
    const withQuery = openssl("ts", "-verify", "-queryfile", file("request.tsq"), "-in", file("reply.tsr"), "-CAfile", file("ca.pem"));
    expect(withQuery.stdout + withQuery.stderr).toContain("Verification: OK");
  });

  it("refuses a token over another head, and so does OpenSSL", async () => {
    expect(await reason(verifyTimeStampToken(token, { data: otherHead, trustedCertificates: [tsa.caCertificate] }))).toBe("imprint_mismatch");
    expect(openssl("ts", "-verify", "-data", file("other-sth.jws"), "-in", file("token.der"), "-token_in", "-CAfile", file("ca.pem")).status).not.toBe(0);
  });

  it("refuses a token from another TSA (another CA), and so does OpenSSL", async () => {
    const foreign = await requestTimeStamp(server.url, head, { trustedCertificates: [tsa.caCertificate] }).then(async () => {
      const other = await startTimeStampServer(otherTsa);
      try {
        return (await requestTimeStamp(other.url, head, { trustedCertificates: [otherTsa.caCertificate] })).token;
      } finally {
        await other.close();
      }
    });
    expect(await reason(verifyTimeStampToken(foreign, { data: head, trustedCertificates: [tsa.caCertificate] }))).toBe("untrusted_tsa");
    expect(await reason(verifyTimeStampToken(token, { data: head, trustedCertificates: [otherTsa.caCertificate] }))).toBe("untrusted_tsa");
    expect(openssl("ts", "-verify", "-data", file("sth.jws"), "-in", file("token.der"), "-token_in", "-CAfile", file("other-ca.pem")).status).not.toBe(0);
    // Asking the other TSA while trusting only ours fails at request time, before anything is stored.
    const other = await startTimeStampServer(otherTsa);
    try {
      expect(await reason(requestTimeStamp(other.url, head, { trustedCertificates: [tsa.caCertificate] }))).toBe("untrusted_tsa");
    } finally {
      await other.close();
    }
  });

  // Hundreds of full CMS verifications: seconds of CPU, more on a busy machine.
  it("refuses a token with any byte of its TSTInfo, signed attributes or signature changed", { timeout: 120_000 }, async () => {
    const signed = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(token.slice().buffer).content });
    const signer = signed.signerInfos[0]!;
    const regions = {
      tstInfo: new Uint8Array(signed.encapContentInfo.eContent!.getValue()),
      signedAttrs: new Uint8Array(signer.signedAttrs!.encodedValue).subarray(2), // past the [0] tag and length
      signature: new Uint8Array(signer.signature.valueBlock.valueHexView),
    };
    let tried = 0;
    for (const [name, region] of Object.entries(regions)) {
      const at = Buffer.from(token).indexOf(Buffer.from(region));
      expect(at, name).toBeGreaterThan(0);
      for (let i = at; i < at + region.length; i++) {
        const tampered = token.slice();
        tampered[i]! ^= 0x01;
        const outcome = await reason(verifyTimeStampToken(tampered, { data: head, trustedCertificates: [tsa.caCertificate] }));
        expect(outcome, `${name} byte ${i - at}`).not.toBe("accepted");
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(300);
    expect(await reason(verifyTimeStampToken(token.slice(0, -20), { data: head, trustedCertificates: [tsa.caCertificate] }))).toBe("malformed");
  });

  it("refuses a token whose embedded TSA certificate was altered or swapped for another TSA's", async () => {
    const ours = Buffer.from(tsa.tsaCertificate.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    const at = Buffer.from(token).indexOf(ours);
    expect(at).toBeGreaterThan(0);
    const altered = token.slice();
    altered[at + 200]! ^= 0x01; // inside the certificate's subject public key
    expect(await reason(verifyTimeStampToken(altered, { data: head, trustedCertificates: [tsa.caCertificate] }))).not.toBe("accepted");

    const signed = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(token.slice().buffer).content });
    signed.certificates = [parseCertificate(otherTsa.tsaCertificate)];
    const swapped = new Uint8Array(new pkijs.ContentInfo({ contentType: "1.2.840.113549.1.7.2", content: signed.toSchema(true) }).toSchema().toBER(false));
    expect(await reason(verifyTimeStampToken(swapped, { data: head, trustedCertificates: [tsa.caCertificate] }))).toBe("signer_certificate_missing");
    expect(await reason(verifyTimeStampToken(swapped, { data: head, trustedCertificates: [tsa.caCertificate, tsa.tsaCertificate] }))).toBe("accepted");
  });

  it("grants a request for its own policy and refuses any other", async () => {
    const ask = (policy: string) =>
      new Uint8Array(
        new pkijs.TimeStampReq({
          version: 1,
          messageImprint: new pkijs.MessageImprint({
            hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: "2.16.840.1.101.3.4.2.1" }),
            hashedMessage: new asn1js.OctetString({ valueHex: createTimeStampRequest(head).imprint }),
          }),
          reqPolicy: policy,
          certReq: true,
        }).toSchema().toBER(false),
      );
    expect(parseTimeStampResponse(await tsa.respond(ask(LOCAL_TSA_POLICY))).status).toBe(0);
    expect(parseTimeStampResponse(await tsa.respond(ask("1.2.3.4")))).toMatchObject({ status: 2, failInfo: [15] });
  });

  it("refuses a wrong nonce, including a replayed reply to an earlier request", async () => {
    const request = createTimeStampRequest(head);
    const reply = await tsa.respond(request.der);
    const earlier = parseTimeStampResponse(reply).token!;
    expect(await reason(verifyTimeStampToken(earlier, { data: head, nonce: request.nonce, trustedCertificates: [tsa.caCertificate] }))).toBe("accepted");
    expect(await reason(verifyTimeStampToken(earlier, { data: head, nonce: request.nonce + 1n, trustedCertificates: [tsa.caCertificate] }))).toBe("nonce_mismatch");
    const replaying: typeof fetch = async () => new Response(reply as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/timestamp-reply" } });
    expect(await reason(requestTimeStamp("http://tsa.invalid/", head, { trustedCertificates: [tsa.caCertificate], fetch: replaying }))).toBe("nonce_mismatch");
  });

  it("refuses a token signed by a certificate of the same CA that is not a TSA certificate", async () => {
    // OpenSSL's CMS signer makes a structurally valid TSTInfo token signed with the CA's own key:
    // valid signature, trusted chain, right imprint, but no timeStamping usage.
    const tst = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(token.slice().buffer).content }).encapContentInfo.eContent!.getValue();
    await writeFile(file("tst.der"), new Uint8Array(tst));
    const sign = (cert: string, key: string, out: string) =>
      execFileSync("openssl", ["cms", "-sign", "-binary", "-nodetach", "-in", file("tst.der"), "-econtent_type", "1.2.840.113549.1.9.16.1.4", "-signer", cert, "-inkey", key, "-md", "sha256", "-outform", "DER", "-out", file(out)]);
    sign(path.join(dir, "tsa", "ca.pem"), path.join(dir, "tsa", "ca-key.pem"), "by-ca.der");
    expect(await reason(verifyTimeStampToken(await readFile(file("by-ca.der")), { data: head, trustedCertificates: [tsa.caCertificate] }))).toBe("not_a_tsa_certificate");
    // Signed by the real TSA key and certificate, but without the ESS signing-certificate attribute.
    sign(path.join(dir, "tsa", "tsa.pem"), path.join(dir, "tsa", "tsa-key.pem"), "no-ess.der");
    expect(await reason(verifyTimeStampToken(await readFile(file("no-ess.der")), { data: head, trustedCertificates: [tsa.caCertificate] }))).toBe("signing_certificate_mismatch");
  });

  it("is not a token at all when the TSA refuses", async () => {
    const reply = parseTimeStampResponse(await tsa.respond(new TextEncoder().encode("not a request")));
    expect(reply).toMatchObject({ status: 2, failInfo: [5], token: undefined });
    await writeFile(file("rejected.tsr"), await tsa.respond(new Uint8Array([0x30, 0x00])));
    expect(openssl("ts", "-reply", "-in", file("rejected.tsr"), "-text").stdout).toContain("Status: Rejected.");
    const refusing: typeof fetch = async () => new Response((await tsa.respond(new Uint8Array([1]))) as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/timestamp-reply" } });
    expect(await reason(requestTimeStamp("http://tsa.invalid/", head, { trustedCertificates: [tsa.caCertificate], fetch: refusing }))).toBe("not_granted");
  });
});

describe("the local TSA", () => {
  it("keeps its CA and keys in its directory, private keys readable by the owner only, and reuses them", async () => {
    expect((await stat(path.join(dir, "tsa", "tsa-key.pem"))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, "tsa", "ca-key.pem"))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateLocalTsa(file("tsa"));
    expect(again.caCertificate).toBe(tsa.caCertificate);
    const text = openssl("x509", "-in", path.join(dir, "tsa", "tsa.pem"), "-noout", "-text").stdout;
    expect(text).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping/);
    expect(openssl("verify", "-CAfile", path.join(dir, "tsa", "ca.pem"), "-purpose", "timestampsign", path.join(dir, "tsa", "tsa.pem")).stdout).toContain("OK");
  });

  it("agrees on one authority when several processes start at once", async () => {
    const all = await Promise.all(Array.from({ length: 4 }, () => loadOrCreateLocalTsa(file("racing"))));
    expect(new Set(all.map((t) => t.caCertificate)).size).toBe(1);
  });

  it("speaks HTTP as RFC 3161 §3.4 says, and nothing else", async () => {
    expect((await fetch(server.url)).status).toBe(405);
    expect((await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(415);
    const big = await fetch(server.url, { method: "POST", headers: { "content-type": TIMESTAMP_QUERY_TYPE }, body: new Uint8Array(64 * 1024) }).catch(() => undefined);
    expect(big === undefined || big.status === 413).toBe(true);
    expect(await reason(requestTimeStamp("http://127.0.0.1:9/", head, { trustedCertificates: [tsa.caCertificate], timeoutMs: 2000 }))).toBe("transport");
  });
});
