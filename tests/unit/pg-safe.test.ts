import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findUnsafeJson, parsePgInt4Digits, parsePgTimestamp, pgInt4, pgText, storableHeader, textProblem } from "@/lib/pg-safe";

describe("what Postgres can hold", () => {
  it("text: no NUL, no lone surrogate; pairs and everything else are fine", () => {
    expect(textProblem("a\u0000b")).toMatch(/NUL/);
    expect(textProblem("\ud800")).toMatch(/surrogate/);
    expect(textProblem("x\udc00")).toMatch(/surrogate/);
    expect(textProblem("\ud83d\ude00 \u202e \uffff")).toBeNull();
    expect(pgText.safeParse("ok").success).toBe(true);
    expect(pgText.safeParse("no\u0000").success).toBe(false);
  });

  it("int4 is int4", () => {
    expect(pgInt4.safeParse(2147483647).success).toBe(true);
    expect(pgInt4.safeParse(2147483648).success).toBe(false);
    expect(pgInt4.safeParse(-2147483649).success).toBe(false);
    expect(parsePgInt4Digits("2147483647")).toBe(2147483647);
    expect(parsePgInt4Digits("2147483648")).toBeNull();
    for (const odd of ["-1", "1e3", "0x10", " 1", "", "٣", "NaN"]) expect(parsePgInt4Digits(odd)).toBeNull();
  });

  it("timestamps: RFC 2822 and ISO within 1970–2200; what JavaScript accepts beyond that is absent", () => {
    expect(parsePgTimestamp("Sat, 21 Nov 2026 12:00:01 GMT")?.toISOString()).toBe("2026-11-21T12:00:01.000Z");
    expect(parsePgTimestamp("2026-11-21T12:00:01Z")?.toISOString()).toBe("2026-11-21T12:00:01.000Z");
    for (const odd of ["-271821-04-20T00:00:00.000Z", "+275760-09-13T00:00:00.000Z", "Fri, 13 Sep 275760 00:00:00 GMT", "1", "-1", "0", "", "x\u0000", "0000-00-00"]) {
      expect(parsePgTimestamp(odd), odd).toBeNull();
    }
  });

  it("JSON: finds NUL and lone surrogates in values and keys, with the path", () => {
    expect(findUnsafeJson({ a: [1, { b: "x\u0000" }] })).toEqual({ path: "a.1.b", message: expect.stringMatching(/NUL/) });
    expect(findUnsafeJson({ "k\u0000": 1 })?.message).toMatch(/key/);
    expect(findUnsafeJson({ n: Infinity })?.path).toBe("n");
    expect(findUnsafeJson({ ok: ["fine", 1, null, true, { "\ud83d\ude00": -0 }] })).toBeNull();
  });

  it("JSON: absurd nesting is refused without exhausting the stack", () => {
    const deep = JSON.parse("[".repeat(10_000) + "]".repeat(10_000));
    expect(findUnsafeJson(deep)?.message).toMatch(/nested/);
  });

  it("any JSON text JSON.parse accepts either passes or is named, never throws", () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const found = findUnsafeJson(v);
      expect(found === null || typeof found.path === "string").toBe(true);
    }), { seed: 6, numRuns: 300 });
  });

  it("stored headers lose control characters and lone surrogates, and are bounded", () => {
    expect(storableHeader("Mozilla\u0000/5.0\u0001\ud800")).toBe("Mozilla/5.0\ufffd");
    expect(storableHeader("\u0000\u0001")).toBeUndefined();
    expect(storableHeader("x".repeat(900))).toHaveLength(500);
  });
});
