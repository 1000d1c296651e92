import canonicalize from "canonicalize";

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one serialization every artifact hash and
 * manifest signature in Verbatim is computed over. The work is done by the maintained
 * `canonicalize` package (members sorted by UTF-16 code units, numbers in ECMAScript's
 * shortest round-trip form, strings escaped as JSON.stringify does, lone surrogates refused).
 *
 * Before handing the value over, it is checked for what JCS cannot represent, because the
 * package (like JSON.stringify) would otherwise drop or rewrite it silently and a hash would
 * cover something other than what the caller holds:
 *   - undefined at the top level or inside an array (JSON.stringify turns the latter into null),
 *   - NaN and ±Infinity, BigInt, functions and symbols anywhere,
 *   - objects that are not plain (Map, Set, class instances) unless they define toJSON,
 *   - circular references.
 * An object member whose value is undefined is absent, as in JSON.
 *
 * The result is a JS string; hash its UTF-8 encoding (RFC 8785 §3.2.4).
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(toJsonValue(value, "$", new Set()));
  } catch (error) {
    if (error instanceof CanonicalJsonError) throw error;
    // The package refuses what it cannot encode (a lone surrogate): say so in the same words.
    throw new CanonicalJsonError("$", `holds ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text === undefined) throw new CanonicalJsonError("$", "has no JSON representation");
  return text;
}

class CanonicalJsonError extends TypeError {
  override name = "CanonicalJsonError";
  constructor(path: string, problem: string) {
    super(`canonicalJson: ${path} ${problem}: canonical JSON (RFC 8785) cannot represent it`);
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function toJsonValue(value: unknown, path: string, stack: Set<object>): Json {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `is ${value}`);
    return value;
  }
  if (value === undefined) throw new CanonicalJsonError(path, "is undefined");
  if (typeof value === "bigint") throw new CanonicalJsonError(path, "is a BigInt");
  if (typeof value === "function") throw new CanonicalJsonError(path, "is a function");
  if (typeof value === "symbol") throw new CanonicalJsonError(path, "is a symbol");

  const object = value as object;
  if (stack.has(object)) throw new CanonicalJsonError(path, "is a circular reference");
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    stack.add(object);
    try {
      return toJsonValue(toJSON.call(object), path, stack);
    } finally {
      stack.delete(object);
    }
  }
  stack.add(object);
  try {
    if (Array.isArray(object)) return object.map((item, index) => toJsonValue(item, `${path}[${index}]`, stack));
    const proto = Object.getPrototypeOf(object) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (object.constructor as { name?: string } | undefined)?.name ?? "object";
      throw new CanonicalJsonError(path, `is a ${name}, not a plain object`);
    }
    const out: { [key: string]: Json } = {};
    for (const [key, member] of Object.entries(object)) {
      if (member === undefined) continue;
      out[key] = toJsonValue(member, `${path}.${key}`, stack);
    }
    return out;
  } finally {
    stack.delete(object);
  }
}
