import { execFileSync } from "node:child_process";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, type JWK } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { signVcon, verifyVcon, x5cChain, type Vcon } from "@/lib/evidence/vcon";

/**
 * The signed vCon's x5c (docs/adr/0038): a configured PEM chain whose leaf certifies the evidence
 * key goes into the unprotected header as standard base64 DER; one certifying another key is
 * refused. The certificate is made by OpenSSL, not by our code.
 */
const dir = mkdtempSync(path.join(tmpdir(), "vcon-x5c-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function certifiedKey(): { pem: string; publicJwk: JWK; keyObject: ReturnType<typeof generateKeyPairSync> } {
  const pair = generateKeyPairSync("ed25519");
  const keyFile = path.join(dir, `key-${Math.random()}.pem`);
  writeFileSync(keyFile, pair.privateKey.export({ format: "pem", type: "pkcs8" }));
  const pem = execFileSync("openssl", ["req", "-x509", "-new", "-key", keyFile, "-subj", "/CN=verbatim evidence test", "-days", "1"], { encoding: "utf8" });
  return { pem, publicJwk: pair.publicKey.export({ format: "jwk" }) as JWK, keyObject: pair };
}

const vcon: Vcon = {
  vcon: "0.4.0", uuid: "019300a0-0000-8000-8000-000000000001", created_at: "2026-12-07T00:00:00.000Z", subject: "test",
  parties: [{ tel: "tel:+15550100000" }], dialog: [], analysis: [], attachments: [],
};

describe("x5c for a signed vCon", () => {
  it("carries the chain whose leaf certifies the signing key, and the JWS verifies with the key's JWK", async () => {
    const k = certifiedKey();
    const x5c = x5cChain(k.pem, k.publicJwk);
    expect(x5c).toHaveLength(1);
    expect(new X509Certificate(Buffer.from(x5c[0]!, "base64")).subject).toContain("verbatim evidence test");
    const jws = await signVcon(vcon, { kid: "k1", privateKey: k.keyObject.privateKey as unknown as CryptoKey }, x5c);
    expect(jws.signatures[0]!.header).toEqual({ alg: "EdDSA", uuid: vcon.uuid, x5c });
    const jwk = { ...(await exportJWK(k.keyObject.publicKey)), kid: "k1", alg: "EdDSA" };
    expect(await verifyVcon(jws, { keys: [jwk] })).toEqual(vcon);
  });

  it("refuses a certificate of another key", () => {
    const k = certifiedKey();
    const other = certifiedKey();
    expect(() => x5cChain(k.pem, other.publicJwk)).toThrow(/does not certify/);
    expect(() => x5cChain("no certificate here", k.publicJwk)).toThrow(/no PEM certificate/);
  });
});
