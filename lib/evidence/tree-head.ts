import type { JSONWebKeySet } from "jose";
import { z } from "zod";
import { signCanonical, SignedJsonError, verifyCanonical, type SignedJsonKind } from "./signed-json";

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

/** Why a signed tree head was refused, in a form a verifier can name (`reason`). */
export class TreeHeadError extends SignedJsonError {}

const KIND: SignedJsonKind<TreeHead> = { typ: TREE_HEAD_TYP, noun: "tree head", schema: treeHeadSchema, error: TreeHeadError };

/** Signs a tree head with the current evidence key; the head's kid is the key's. */
export async function signTreeHead(head: Omit<TreeHead, "kid">, key: { kid: string; privateKey: CryptoKey }): Promise<{ head: TreeHead; jws: string }> {
  const full = treeHeadSchema.parse({ ...head, kid: key.kid });
  return { head: full, jws: await signCanonical(full, TREE_HEAD_TYP, key) };
}

/** Verifies a signed tree head against a JWKS (current and retired keys) and returns the head. */
export async function verifyTreeHead(jws: string, keys: JSONWebKeySet): Promise<TreeHead> {
  return (await verifyCanonical(jws, keys, KIND)).value;
}

/** The bytes an RFC 3161 timestamp token for this signed head is taken over. */
export function signedTreeHeadBytes(jws: string): Uint8Array {
  return new TextEncoder().encode(jws);
}
