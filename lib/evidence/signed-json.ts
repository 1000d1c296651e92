import { CompactSign, compactVerify, createLocalJWKSet, errors, type JSONWebKeySet } from "jose";
import type { z } from "zod";
import { canonicalJson } from "./canonical-json";

/**
 * The one way evidence is signed (docs/adr/0010): a compact JWS, EdDSA over an Ed25519 key named
 * by `kid`, a `typ` that says what it is, and a payload that is exactly the RFC 8785 canonical
 * JSON of a value whose own `kid` is the header's. Manifests, tree heads and export statements
 * are three `typ`s of it. Pure.
 */
export type SignedJsonFailure = "malformed" | "wrong_type" | "unknown_key" | "bad_signature" | "invalid_payload" | "not_canonical" | "kid_mismatch";

/** Why a signed document was refused, in a form a verifier can name; each kind subclasses it. */
export class SignedJsonError extends Error {
  constructor(
    readonly reason: SignedJsonFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface SignedJsonKind<T extends { kid: string }> {
  typ: string;
  /** How messages name it: "manifest", "tree head", "export statement". */
  noun: string;
  schema: z.ZodType<T>;
  error: new (reason: SignedJsonFailure, message: string, options?: ErrorOptions) => SignedJsonError;
}

/** Signs the canonical JSON of `value` (already valid for its kind); its kid must be the key's. */
export async function signCanonical(value: { kid: string }, typ: string, key: { kid: string; privateKey: CryptoKey }): Promise<string> {
  if (value.kid !== key.kid) throw new Error(`The ${typ} names key "${value.kid}" but would be signed by "${key.kid}".`);
  return new CompactSign(new TextEncoder().encode(canonicalJson(value))).setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ }).sign(key.privateKey);
}

/**
 * Verifies a JWS of this kind against a JWKS (current and retired keys) and returns the value
 * and its payload bytes. Refuses anything but EdDSA over an Ed25519 key named by kid, another
 * `typ` (a tree head cannot pass as a manifest), a payload that is not exactly the canonical
 * JSON of a valid value, and a payload kid that differs from the header's.
 */
export async function verifyCanonical<T extends { kid: string }>(jws: string, keys: JSONWebKeySet, kind: SignedJsonKind<T>): Promise<{ value: T; payload: Uint8Array; text: string }> {
  const { noun, error: Refusal } = kind;
  const ed25519 = { keys: (Array.isArray(keys?.keys) ? keys.keys : []).filter((k) => k.kty === "OKP" && k.crv === "Ed25519" && typeof k.kid === "string") };
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(jws, createLocalJWKSet(ed25519), { algorithms: ["EdDSA"] });
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey) throw new Refusal("unknown_key", `The ${noun} is signed by a key that is not in the JWKS.`, { cause: error });
    if (error instanceof errors.JWSSignatureVerificationFailed) throw new Refusal("bad_signature", `The ${noun}'s signature does not verify.`, { cause: error });
    throw new Refusal("malformed", `The ${noun} is not a valid compact JWS: ${(error as Error).message}`, { cause: error });
  }
  const header = verified.protectedHeader;
  if (header.typ !== kind.typ) throw new Refusal("wrong_type", `The JWS is a "${header.typ ?? "(untyped)"}", not a ${noun}.`);
  let text: string;
  let value: T;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(verified.payload);
    value = kind.schema.parse(JSON.parse(text));
  } catch (error) {
    throw new Refusal("invalid_payload", `The ${noun}'s payload is not a valid ${noun}: ${(error as Error).message}`, { cause: error });
  }
  if (canonicalJson(value) !== text) throw new Refusal("not_canonical", `The ${noun}'s payload is not RFC 8785 canonical JSON.`);
  if (value.kid !== header.kid) throw new Refusal("kid_mismatch", `The ${noun} names key "${value.kid}" but is signed by "${header.kid}".`);
  return { value, payload: verified.payload, text };
}
