import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/evidence/canonical-json";

describe("canonicalJson (RFC 8785)", () => {
  it("sorts keys by UTF-16 code units at every depth and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x" } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
    // RFC 8785 §3.2.3: "\u20ac" sorts after "\r" and before "\ud83d\ude00" by code unit, not code point.
    expect(canonicalJson({ "\u20ac": 1, "\r": 2, "\ud83d\ude00": 3, "1": 4 })).toBe('{"\\r":2,"1":4,"€":1,"😀":3}');
  });

  it("writes numbers the ECMAScript way (RFC 8785 §3.2.2.3)", () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333, 4.5e-324])).toBe("[1e+21,1e-7,0,0.30000000000000004,333333333.3333333,5e-324]");
  });

  it("throws a clear error for values JCS cannot represent", () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, { x: Number.NEGATIVE_INFINITY }, { x: 1n }, "\ud800", undefined, () => 1]) {
      expect(() => canonicalJson(value)).toThrow(/canonical JSON \(RFC 8785\)/);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/circular/i);
  });
});
