import { describe, expect, it } from "vitest";
import { maskNumber } from "@/lib/calls/call-view";

describe("maskNumber", () => {
  it("keeps the country code and the last two digits only", () => {
    expect(maskNumber("+14155550123")).toBe("+1••••••••23");
    expect(maskNumber("+442071838750")).toBe("+44••••••••50");
    expect(maskNumber("+4930123456")).toMatch(/^\+\d•+56$/);
    for (const n of ["+14155550123", "+442071838750"]) expect(maskNumber(n)).not.toContain(n.slice(3, -2));
  });
});
