import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jwks, keyringFromEnvironment, loadOrCreateLocalKeyring, rotateEnvironmentKeys, rotateKey } from "@/lib/evidence-sealing/keys";
import { signTreeHead, verifyTreeHead } from "@/lib/evidence/tree-head";

const head = { log: "org-1", treeSize: 3, rootHash: "ab".repeat(32), timestamp: "2026-11-30T01:00:00.000Z" };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "evidence-keys-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the embedded default's keys", () => {
  it("creates one key on first use, private to the owner, and keeps it", async () => {
    const keysDir = path.join(dir, "evidence-keys");
    const first = await loadOrCreateLocalKeyring(keysDir);
    expect((await stat(keysDir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(keysDir, "signing-key.jwk.json"))).mode & 0o777).toBe(0o600);
    expect(first.signing.kid).toBe(await calculateJwkThumbprint(first.signing.publicJwk));
    expect((await loadOrCreateLocalKeyring(keysDir)).signing.publicJwk).toEqual(first.signing.publicJwk);
    expect(jwks(first).keys).toEqual([first.signing.publicJwk]);
    expect(JSON.stringify(jwks(first))).not.toContain('"d"');
  });

  it("agrees on one key when several processes start at once", async () => {
    const rings = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateLocalKeyring(dir)));
    expect(new Set(rings.map((r) => r.signing.kid)).size).toBe(1);
  });

  it("rotates: a new key signs, the old one is retired and still verifies what it signed", async () => {
    const before = await loadOrCreateLocalKeyring(dir);
    const old = await signTreeHead(head, before.signing);
    const { retiredKid, currentKid } = await rotateKey(dir);
    expect(retiredKid).toBe(before.signing.kid);
    const after = await loadOrCreateLocalKeyring(dir);
    expect(after.signing.kid).toBe(currentKid);
    expect(currentKid).not.toBe(retiredKid);
    expect(jwks(after).keys.map((k) => k.kid)).toEqual([currentKid, retiredKid]);
    expect((await stat(path.join(dir, "retired-keys.jwks.json"))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(dir, "retired-keys.jwks.json"), "utf8")).not.toContain('"d"');
    await expect(verifyTreeHead(old.jws, jwks(after))).resolves.toMatchObject({ kid: retiredKid });
    const fresh = await signTreeHead(head, after.signing);
    await expect(verifyTreeHead(fresh.jws, jwks(after))).resolves.toMatchObject({ kid: currentKid });
    await rotateKey(dir);
    expect(jwks(await loadOrCreateLocalKeyring(dir)).keys).toHaveLength(3);
    await expect(verifyTreeHead(old.jws, jwks(await loadOrCreateLocalKeyring(dir)))).resolves.toBeTruthy();
  });
});

describe("keys from the environment", () => {
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const jwk = privateKey.export({ format: "jwk" });

  it("reads a PKCS#8 PEM or a private JWK, with the kid given or the thumbprint", async () => {
    const fromPem = await keyringFromEnvironment({ signingKey: pem, signingKeyId: "2026-11" });
    const fromJwk = await keyringFromEnvironment({ signingKey: JSON.stringify(jwk) });
    expect(fromPem.signing.kid).toBe("2026-11");
    expect(fromJwk.signing.kid).toBe(await calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x: jwk.x! }));
    expect(fromPem.signing.publicJwk.x).toBe(jwk.x);
    const { jws } = await signTreeHead(head, fromPem.signing);
    const { protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks(fromPem)));
    expect(protectedHeader).toMatchObject({ alg: "EdDSA", kid: "2026-11" });
  });

  it("serves retired keys from EVIDENCE_RETIRED_KEYS and rotates into new values", async () => {
    const ring = await keyringFromEnvironment({ signingKey: pem, signingKeyId: "old" });
    const signed = await signTreeHead(head, ring.signing);
    const next = await rotateEnvironmentKeys({ signingKey: pem, signingKeyId: "old" });
    const rotated = await keyringFromEnvironment(next);
    expect(jwks(rotated).keys.map((k) => k.kid)).toEqual([next.signingKeyId, "old"]);
    await expect(verifyTreeHead(signed.jws, jwks(rotated))).resolves.toMatchObject({ kid: "old" });
  });

  it("refuses keys that are not Ed25519, private material among retired keys, and clashing kids", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    await expect(keyringFromEnvironment({ signingKey: rsa })).rejects.toThrow(/rsa key; evidence is signed with Ed25519/);
    await expect(keyringFromEnvironment({ signingKey: "not a key" })).rejects.toThrow(/EVIDENCE_SIGNING_KEY is not a usable Ed25519 private key/);
    const other = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
    await expect(keyringFromEnvironment({ signingKey: JSON.stringify({ ...jwk, x: other.x }) })).rejects.toThrow(/x does not belong to its d/);
    await expect(keyringFromEnvironment({ signingKey: pem, retiredKeys: JSON.stringify({ keys: [{ ...other, kid: "a" }] }) })).rejects.toThrow(/private key material/);
    await expect(keyringFromEnvironment({ signingKey: pem, retiredKeys: "[]" })).rejects.toThrow(/must be a JWKS/);
    await expect(keyringFromEnvironment({ signingKey: pem, retiredKeys: JSON.stringify({ keys: [{ kty: "OKP", crv: "Ed25519", x: other.x }] }) })).rejects.toThrow(/has no kid/);
    await expect(keyringFromEnvironment({ signingKey: pem, signingKeyId: "k", retiredKeys: JSON.stringify({ keys: [{ kty: "OKP", crv: "Ed25519", x: other.x, kid: "k" }] }) })).rejects.toThrow(/share the kid "k"/);
  });

  it("refuses a damaged key file in the embedded directory with its path", async () => {
    await writeFile(path.join(dir, "signing-key.jwk.json"), "{}");
    await expect(loadOrCreateLocalKeyring(dir)).rejects.toThrow(/signing-key\.jwk\.json is not a usable Ed25519 private key/);
  });
});

describe("npm run evidence:rotate-key", () => {
  it("rotates the key directory it is given", async () => {
    const { spawnSync } = await import("node:child_process");
    const before = await loadOrCreateLocalKeyring(dir);
    const run = spawnSync(process.execPath, ["node_modules/tsx/dist/cli.mjs", "--conditions=react-server", "bin/evidence-rotate-key.ts", "--dir", dir], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain(`Evidence key ${before.signing.kid} retired`);
    expect(jwks(await loadOrCreateLocalKeyring(dir)).keys.map((k) => k.kid)).toContain(before.signing.kid);
  }, 30_000);
});
