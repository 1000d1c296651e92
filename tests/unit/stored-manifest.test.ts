import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { sha256HexOf } from "@/lib/evidence/manifest";
import { attachedJws, detachedJws, reconstitute, StoredManifestError, withNumbers, withoutNumbers } from "@/lib/evidence-sealing/stored-manifest";

/**
 * A manifest's stored form (docs/adr/0044): numbers out, references in, and back to the same
 * bytes; a string that looks like a reference survives; anything changed is refused by name.
 */
const manifest = {
  call: { from: "+15550100000", to: "+14155550142", providerCallSid: "CA1" },
  modulations: { operatorPhone: "+442071838750", disclosure: "pn-ref:0", list: ["+14155550142", 7, null, true, { deep: "+15550100000" }], short: "+123456", plus: "+0155501000" },
  artifacts: [],
};

describe("a manifest's stored form", () => {
  it("takes out every E.164 string and every reference look-alike, and nothing else", () => {
    const { stored, numbers } = withoutNumbers(manifest);
    expect(numbers).toEqual(["+15550100000", "+14155550142", "+442071838750", "pn-ref:0", "+14155550142", "+15550100000"]);
    expect(stored).toEqual({
      call: { from: "pn-ref:0", to: "pn-ref:1", providerCallSid: "CA1" },
      modulations: { operatorPhone: "pn-ref:2", disclosure: "pn-ref:3", list: ["pn-ref:4", 7, null, true, { deep: "pn-ref:5" }], short: "+123456", plus: "+0155501000" },
      artifacts: [],
    });
  });

  it("puts them back into the same canonical bytes", () => {
    const { stored, numbers } = withoutNumbers(manifest);
    expect(canonicalJson(withNumbers(stored, numbers))).toBe(canonicalJson(manifest));
  });

  it("refuses a reference to no number, rather than leaving it in", () => {
    expect(() => withNumbers({ to: "pn-ref:2" }, ["+15550100000"])).toThrow(StoredManifestError);
    expect(() => withNumbers({ to: "pn-ref:01" }, ["+15550100000", "+15550100001"])).toThrow(/names none of its 2 numbers/);
  });

  it("stores a compact JWS detached and attaches the payload again", () => {
    const jws = `eyJhbGciOiJFZERTQSJ9.${Buffer.from("{}").toString("base64url")}.c2ln`;
    expect(detachedJws(jws)).toBe("eyJhbGciOiJFZERTQSJ9..c2ln");
    expect(attachedJws(detachedJws(jws), Buffer.from("{}"))).toBe(jws);
    expect(() => attachedJws(jws, Buffer.from("{}"))).toThrow(/not detached/);
  });

  it("reconstitutes only the bytes its hash names", () => {
    const { stored, numbers } = withoutNumbers(manifest);
    const bytes = Buffer.from(canonicalJson(manifest), "utf8");
    const row = { id: "m1", manifest: stored, jws: "aGVhZA..c2ln", manifestSha256: sha256HexOf(bytes) };
    expect(reconstitute(row, numbers).jws).toBe(`aGVhZA.${bytes.toString("base64url")}.c2ln`);
    const swapped = [numbers[1]!, numbers[0]!, ...numbers.slice(2)];
    expect(() => reconstitute(row, swapped)).toThrow(/Manifest m1 does not reconstitute to the bytes that were signed/);
  });
});
