import { createHash, randomBytes } from "node:crypto";

/**
 * Invitation tokens: 32 random bytes, base64url in the link (43 characters). Only the SHA-256
 * of the token is stored, and lookups are by that hash, so the database never holds a usable
 * token and comparing is an index lookup of a hash, not a string comparison of secrets.
 */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newInvitationToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashInvitationToken(token) };
}

export function hashInvitationToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}
