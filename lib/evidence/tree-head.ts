import { CompactSign, compactVerify, createLocalJWKSet, errors, type JSONWebKeySet } from "jose";
import { z } from "zod";
import { canonicalJson } from "./canonical-json";

/**
 * Signed tree heads: the log's size and root at a moment, as RFC 8785 canonical JSON, signed
 * as a compact JWS with Ed25519 (`alg: "EdDSA"`, `kid` and `typ` in the protected header).
 *
 * The payload is the canonical JSON of `{ log, treeSize, rootHash, timestamp, kid }`: `log` is
 * the organization id, `rootHash` the lowercase hex of MTH over the first `treeSize` leaves,
 * `timestamp` when the head was signed (ISO 8601, UTC). The RFC 3161 token for a head is taken
 * over `signedTreeHeadBytes(jws)`: the ASCII bytes of the compact JWS, so the token covers the
 * head and its signature together, and `openssl ts -verify -data` can check it from a file
 * holding exactly the JWS.
 */

export const TREE_HEAD_TYP = "verbatim-tree-head+jws";

export const treeHeadSchema = z.strictObject({
  log: z.string().min(1),
  treeSize: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  rootHash: z.string().regex(/^[0-9a-f]{64}$/, "lowercase hex SHA-256"),
  timestamp: z.iso.datetime({ precision: 3 }),
  kid: z.string().min(1),
});

export type TreeHead = z.infer<typeof treeHeadSchema>;

export type TreeHeadFailure = "malformed" | "wrong_type" | "unknown_key" | "bad_signature" | "invalid_payload" | "not_canonical" | "kid_mismatch";

/** Why a signed tree head was refused, in a form a verifier can name. */
export class TreeHeadError extends Error {
  constructor(
    readonly reason: TreeHeadFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "TreeHeadError";
  }
}

/** Signs a tree head with the current evidence key; the head's kid is the key's. */
export async function signTreeHead(head: Omit<TreeHead, "kid">, key: { kid: string; privateKey: CryptoKey }): Promise<{ head: TreeHead; jws: string }> {
  const full = treeHeadSchema.parse({ ...head, kid: key.kid });
  const payload = new TextEncoder().encode(canonicalJson(full));
  const jws = await new CompactSign(payload).setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: TREE_HEAD_TYP }).sign(key.privateKey);
  return { head: full, jws };
}

/**
 * Verifies a signed tree head against a JWKS (current and retired keys) and returns the head.
 * Refuses anything but EdDSA over an Ed25519 key named by kid, a payload that is not exactly
 * the canonical JSON of a valid head, and a payload kid that differs from the header's.
 */
export async function verifyTreeHead(jws: string, keys: JSONWebKeySet): Promise<TreeHead> {
  const ed25519 = { keys: (Array.isArray(keys?.keys) ? keys.keys : []).filter((k) => k.kty === "OKP" && k.crv === "Ed25519" && typeof k.kid === "string") };
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(jws, createLocalJWKSet(ed25519), { algorithms: ["EdDSA"] });
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey) throw new TreeHeadError("unknown_key", "The tree head is signed by a key that is not in the JWKS.", { cause: error });
    if (error instanceof errors.JWSSignatureVerificationFailed) throw new TreeHeadError("bad_signature", "The tree head's signature does not verify.", { cause: error });
    throw new TreeHeadError("malformed", `The tree head is not a valid compact JWS: ${(error as Error).message}`, { cause: error });
  }
  const header = verified.protectedHeader;
  if (header.typ !== TREE_HEAD_TYP) throw new TreeHeadError("wrong_type", `The JWS is a "${header.typ ?? "(untyped)"}", not a tree head.`);
  const text = new TextDecoder("utf-8", { fatal: true }).decode(verified.payload);
  let head: TreeHead;
  try {
    head = treeHeadSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new TreeHeadError("invalid_payload", `The tree head's payload is not a valid head: ${(error as Error).message}`, { cause: error });
  }
  if (canonicalJson(head) !== text) throw new TreeHeadError("not_canonical", "The tree head's payload is not RFC 8785 canonical JSON.");
  if (head.kid !== header.kid) throw new TreeHeadError("kid_mismatch", `The tree head names key "${head.kid}" but is signed by "${header.kid}".`);
  return head;
}

/** The bytes an RFC 3161 timestamp token for this signed head is taken over. */
export function signedTreeHeadBytes(jws: string): Uint8Array {
  return new TextEncoder().encode(jws);
}
