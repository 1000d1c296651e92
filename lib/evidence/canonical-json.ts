import canonicalize from "canonicalize";

/**
 * RFC 8785 (JCS) canonical JSON: the exact bytes that hashes and signatures cover.
 * `canonicalize` sorts keys by UTF-16 code units and formats numbers the ECMAScript way, as
 * JCS requires. Values JCS cannot represent (NaN, Infinity, BigInt, lone surrogates, cycles, a
 * bare undefined or function) throw here instead of being silently dropped or turned into null.
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TypeError(`Cannot write this value as canonical JSON (RFC 8785): ${reason}`, { cause: error });
  }
  if (text === undefined) {
    throw new TypeError(`Cannot write this value as canonical JSON (RFC 8785): a ${typeof value} has no JSON form`);
  }
  return text;
}
