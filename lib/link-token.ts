import { createHash, randomBytes } from "node:crypto";

/**
 * Tokens that travel only in a link (invitations, address proofs): 32 random bytes, base64url
 * (43 characters). Only the SHA-256 of a token is stored and lookups are by that hash, so the
 * database never holds a usable token and finding one is an index lookup of a hash, not a
 * string comparison of secrets.
 */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newLinkToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashLinkToken(token) };
}

export function hashLinkToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function isWellFormedLinkToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}
