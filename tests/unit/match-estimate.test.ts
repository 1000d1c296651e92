import { describe, expect, it } from "vitest";
import { matchEstimateText, roundEstimate } from "@/components/calls/match-estimate";

describe("the call list's match count", () => {
  it("says an estimate is one, rounded to two significant figures", () => {
    expect(matchEstimateText({ about: 212_734, exact: false })).toBe("about 210,000 matches (estimated)");
    expect(matchEstimateText({ about: 987, exact: false })).toBe("about 990 matches (estimated)");
    expect(matchEstimateText({ about: 64, exact: false })).toBe("about 64 matches (estimated)");
  });

  it("gives an exact count as a count", () => {
    expect(matchEstimateText({ about: 1_234, exact: true })).toBe("1,234 matches in all");
    expect(matchEstimateText({ about: 1, exact: true })).toBe("1 match in all");
  });

  it("says nothing when the API gave nothing (unfiltered, or a later page)", () => {
    expect(matchEstimateText(null)).toBeNull();
    expect(matchEstimateText(undefined)).toBeNull();
  });

  it("rounds without changing small numbers", () => {
    expect([0, 7, 99, 100, 149, 1_050, 99_950].map(roundEstimate)).toEqual([0, 7, 99, 100, 150, 1_100, 100_000]);
  });
});
