import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/evidence/canonical-json";

/** A binary64 from its IEEE-754 bit pattern, as RFC 8785 Appendix B lists them. */
function float(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe("canonicalJson (RFC 8785)", () => {
  it("serializes the RFC's §3.2.2 example: whitespace removed, numbers and strings normalized", () => {
    // The input of RFC 8785 §3.2.2, written as JSON text and parsed, as a verifier would.
    const input = JSON.parse(
      '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
        '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n' +
        '  "literals": [null, true, false]\n}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts members by UTF-16 code units (RFC 8785 §3.2.3), not by code points or locale", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    const out = canonicalJson(input);
    // (Read back with a regex: JSON.parse would move the integer-like key "1" to the front.)
    expect([...out.matchAll(/:"([^"]+)"/g)].map((m) => m[1])).toEqual([
      "Carriage Return",
      "One",
      "Control",
      "Latin Small Letter O With Diaeresis",
      "Euro Sign",
      "Emoji: Grinning Face",
      "Hebrew Letter Dalet With Dagesh",
    ]);
    expect(out).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    // U+1F600 (surrogates D83D DE00) sorts before U+FB33 although its code point is larger.
  });

  it("sorts nested objects recursively and keeps array order", () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 2 }, 1], a: { d: null, c: "x" } })).toBe('{"a":{"c":"x","d":null},"b":[3,{"a":2,"z":1},1]}');
  });

  it.each([
    ["0000000000000000", "0"],
    ["8000000000000000", "0"], // minus zero
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ])("serializes the binary64 %s as %s (RFC 8785 Appendix B)", (hex, expected) => {
    expect(canonicalJson(float(hex))).toBe(expected);
  });

  it("escapes strings as RFC 8785 §3.2.2.2 says: short escapes, \\u00xx for other controls, the rest literal", () => {
    expect(canonicalJson("\b\f\n\r\t\"\\")).toBe('"\\b\\f\\n\\r\\t\\"\\\\"');
    expect(canonicalJson("\u0000\u001f\u007f")).toBe('"\\u0000\\u001f\u007f"');
    expect(canonicalJson("</script> é 😀")).toBe('"</script> é 😀"');
  });

  it("refuses what JCS cannot represent, naming where it is", () => {
    expect(() => canonicalJson(undefined)).toThrow(/\$ is undefined/);
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(/\$\.a\[1\] is NaN/);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(/Infinity/);
    expect(() => canonicalJson({ n: 10n })).toThrow(/\$\.n is a BigInt/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/\$\.f is a function/);
    expect(() => canonicalJson([undefined])).toThrow(/\$\[0\] is undefined/);
    expect(() => canonicalJson({ m: new Map() })).toThrow(/\$\.m is a Map, not a plain object/);
    expect(() => canonicalJson("\ud800")).toThrow(/surrogate/i);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(/circular/);
  });

  it("treats an undefined member as absent and uses toJSON, as JSON does", () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson({ at: new Date("2026-11-30T00:00:00.000Z") })).toBe('{"at":"2026-11-30T00:00:00.000Z"}');
  });

  it("gives the same bytes, hence the same hash, whatever the insertion order of members", () => {
    const a = canonicalJson({ id: "t1", words: [{ text: "Hi", start: 0, end: 120 }], language_code: "en_us" });
    const b = canonicalJson({ language_code: "en_us", words: [{ end: 120, text: "Hi", start: 0 }], id: "t1" });
    expect(a).toBe(b);
    const hash = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
    expect(hash(a)).toBe(hash(b));
  });
});

describe("canonicalJson: key order, numbers and what it refuses", () => {
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
