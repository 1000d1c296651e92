import "server-only";
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { SignatureError } from "@/lib/errors";

/**
 * Signed URLs for the filesystem adapter, the embedded stand-in for Supabase Storage's
 * `createSignedUrl`: `<base>/api/storage/<path>?exp=<unix seconds>&sig=<base64url>`.
 *
 *   key = HKDF-SHA256(ikm = SESSION_SECRET, salt = "verbatim", info = "verbatim/storage-url/v1", 32 bytes)
 *   sig = HMAC-SHA256(key, "v1\n" + path + "\n" + exp)
 *
 * A key derived for this one purpose, so a storage signature can never be replayed as a session
 * token or anything else keyed by the same secret. The URL grants GET on exactly one path until
 * `exp`; anyone holding it may read the object, as with Supabase's signed URLs, which is why it
 * is short-lived and handed only to members allowed to play the recording.
 */
const SIGNATURE_BYTES = 32;
/** Upper bound on a URL's lifetime (Supabase allows more; nothing here needs more than a day). */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600;

function storageUrlKey(secret: string): Buffer {
  if (!secret || secret.length < 32) throw new Error("Signing storage URLs needs SESSION_SECRET (32+ characters).");
  return Buffer.from(hkdfSync("sha256", secret, "verbatim", "verbatim/storage-url/v1", SIGNATURE_BYTES));
}

function mac(key: Buffer, path: string, exp: number): Buffer {
  return createHmac("sha256", key).update(`v1\n${path}\n${exp}`).digest();
}

export function signStoragePath(path: string, exp: number, secret: string): string {
  return mac(storageUrlKey(secret), path, exp).toString("base64url");
}

/** The full URL for `path`, valid until `exp` (unix seconds). */
export function buildSignedStorageUrl(baseUrl: string, path: string, exp: number, secret: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  return `${base}/api/storage/${path}?exp=${exp}&sig=${signStoragePath(path, exp, secret)}`;
}

/**
 * Check a signed request. Returns the seconds the URL has left (for cache-control); throws
 * SignatureError (403) when `exp` or `sig` is missing, malformed, expired, further off than
 * any link this server issues, or does not match the path. The comparison is constant-time.
 */
export function verifyStorageSignature(
  input: { path: string; exp: string | null; sig: string | null },
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): number {
  const { path, exp, sig } = input;
  if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]+$/.test(sig)) {
    throw new SignatureError("This link is not a valid signed storage link.");
  }
  const expiresAt = Number(exp);
  const given = Buffer.from(sig, "base64url");
  const expected = mac(storageUrlKey(secret), path, expiresAt);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError("This link's signature does not match.");
  }
  // Checked after the signature so an attacker learns nothing about a forged `exp`.
  if (expiresAt <= nowSeconds) throw new SignatureError("This link has expired; ask for a new one.");
  // No link this server issues lives longer: one that claims to was not made by signedUrl().
  if (expiresAt - nowSeconds > MAX_SIGNED_URL_SECONDS) throw new SignatureError("This link's lifetime is longer than any this server issues.");
  return expiresAt - nowSeconds;
}
