import { describe, expect, it } from "vitest";
import { addDays, bucketOf, bucketsOf, listUrl, resolveRange, weekStart } from "@/lib/insights/buckets";
import { insightsQuerySchema } from "@/lib/insights/contracts";
import { UnprocessableError } from "@/lib/errors";

/** Insights' dates: UTC days and ISO weeks (Monday to Sunday), as Postgres's date_trunc('week') and the call list's from/to read them. */
describe("insights buckets", () => {
  it("puts a date in the ISO week that starts on its Monday, Sundays last", () => {
    expect(weekStart("2026-11-02")).toBe("2026-11-02"); // a Monday
    expect(weekStart("2026-11-08")).toBe("2026-11-02"); // its Sunday
    expect(weekStart("2026-11-09")).toBe("2026-11-09");
    expect(weekStart("2027-01-01")).toBe("2026-12-28"); // across a year
    expect(weekStart("2028-03-01")).toBe("2028-02-28"); // across a leap day
    expect(bucketOf("2026-11-08", "day")).toBe("2026-11-08");
    expect(bucketOf("2026-11-08", "week")).toBe("2026-11-02");
  });

  it("covers a range with every bucket, empty ones included, clipped to the range at both ends", () => {
    expect(bucketsOf({ from: "2026-11-04", to: "2026-11-22", bucket: "week" })).toEqual([
      { key: "2026-11-02", from: "2026-11-04", to: "2026-11-08" },
      { key: "2026-11-09", from: "2026-11-09", to: "2026-11-15" },
      { key: "2026-11-16", from: "2026-11-16", to: "2026-11-22" },
    ]);
    expect(bucketsOf({ from: "2026-11-05", to: "2026-11-05", bucket: "week" })).toEqual([{ key: "2026-11-02", from: "2026-11-05", to: "2026-11-05" }]);
    const days = bucketsOf({ from: "2026-02-27", to: "2026-03-02", bucket: "day" });
    expect(days.map((d) => d.key)).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
    for (const d of days) expect(d.from).toBe(d.to);
    // Buckets tile the range: each starts the day after the one before ends.
    const weeks = bucketsOf({ from: "2025-12-03", to: "2026-12-02", bucket: "week" });
    for (let i = 1; i < weeks.length; i++) expect(weeks[i]!.from).toBe(addDays(weeks[i - 1]!.to, 1));
    expect([weeks[0]!.from, weeks.at(-1)!.to]).toEqual(["2025-12-03", "2026-12-02"]);
  });

  it("defaults to twelve whole weeks or thirty days up to today, and refuses ranges backwards or over a year", () => {
    const weeks = resolveRange(insightsQuerySchema.parse({}), "2026-12-06"); // a Sunday
    expect([weeks.from, weeks.to, weeks.bucket]).toEqual(["2026-09-14", "2026-12-06", "week"]);
    expect(bucketsOf(weeks)).toHaveLength(12);
    expect([weeks.fromAt, weeks.toBefore]).toEqual(["2026-09-14T00:00:00.000Z", "2026-12-07T00:00:00.000Z"]);
    const days = resolveRange(insightsQuerySchema.parse({ bucket: "day", to: "2026-03-01" }), "2026-12-06");
    expect([days.from, days.to]).toEqual(["2026-01-31", "2026-03-01"]);
    expect(() => resolveRange(insightsQuerySchema.parse({ from: "2026-11-05", to: "2026-11-04" }), "2026-12-06")).toThrow(UnprocessableError);
    expect(resolveRange(insightsQuerySchema.parse({ from: "2024-01-01", to: "2024-12-31" }), "2026-12-06").to).toBe("2024-12-31"); // 366 days
    expect(() => resolveRange(insightsQuerySchema.parse({ from: "2025-01-01", to: "2026-01-02" }), "2026-12-06")).toThrow(/367 days/);
  });

  it("writes drill-down URLs with the call list's filters in the page's order", () => {
    expect(listUrl({ script: "s", scoreMin: 0, from: "2026-11-04", to: "2026-11-08", criterion: "greets:fail" }))
      .toBe("/?from=2026-11-04&to=2026-11-08&scoreMin=0&script=s&criterion=greets%3Afail");
    expect(listUrl({})).toBe("/");
  });
});
