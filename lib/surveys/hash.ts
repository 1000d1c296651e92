import { createHash } from "node:crypto";
import { canonicalJson } from "@/lib/evidence/canonical-json";

/**
 * SHA-256 (lowercase hex) over the UTF-8 bytes of a value's canonical JSON (RFC 8785): how a
 * survey or script version, and a survey answer, is hashed. Never over `JSON.stringify`.
 */
export function canonicalSha256(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value), "utf8").digest("hex");
}

/** The hash a version document carries: over the document without its own `sha256` member. */
export function versionHash<T extends object>(document: T): string {
  const { sha256: _own, ...rest } = document as T & { sha256?: unknown };
  return canonicalSha256(rest);
}
