import { Temporal } from "temporal-polyfill";
import { describe, expect, it } from "vitest";
import {
  callableIntervals,
  campaignScheduleSchema,
  checkTimeZone,
  effectiveWeeklyWindow,
  InvalidTimeZoneError,
  isCallable,
  nextCallableAt,
  timeZoneSchema,
  type CampaignScheduleInput,
} from "@/lib/campaigns/windows";

/** An instant from a local wall time that exists once in the zone (not in a gap or an overlap). */
function local(wall: string, timeZone: string): Date {
  const zdt = Temporal.PlainDateTime.from(wall).toZonedDateTime(timeZone, { disambiguation: "reject" });
  return new Date(zdt.epochMilliseconds);
}
const utc = (iso: string) => new Date(iso);
const ms = (d: Date, delta: number) => new Date(d.getTime() + delta);

const YEAR_2026 = { startsAt: "2026-01-01T00:00:00Z", endsAt: "2027-01-01T00:00:00Z" };
const schedule = (input: Partial<CampaignScheduleInput> = {}) => campaignScheduleSchema.parse({ ...YEAR_2026, ...input });
const everyDay = (from: string, to: string) => Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, { from, to }]));

describe("the default window: 9:00 to 17:00 local, Monday to Friday", () => {
  const s = schedule();
  const ny = "America/New_York";

  it("opens at 9:00 and closes at 17:00 on the target's clock", () => {
    // Monday 2026-06-08.
    expect(isCallable(s, ny, local("2026-06-08T08:59:59.999", ny))).toBe(false);
    expect(isCallable(s, ny, local("2026-06-08T09:00", ny))).toBe(true);
    expect(isCallable(s, ny, local("2026-06-08T16:59:59.999", ny))).toBe(true);
    expect(isCallable(s, ny, local("2026-06-08T17:00", ny))).toBe(false);
  });

  it("reads the clock of the target's zone, not the server's or UTC", () => {
    const instant = utc("2026-06-08T14:00:00Z"); // 10:00 in New York, 19:30 in Kolkata, 00:00 Tuesday in Lord Howe
    expect(isCallable(s, ny, instant)).toBe(true);
    expect(isCallable(s, "Asia/Kolkata", instant)).toBe(false);
    expect(isCallable(s, "Australia/Lord_Howe", instant)).toBe(false);
  });

  it("skips the weekend: after Friday 17:00 the next is Monday 9:00", () => {
    expect(isCallable(s, ny, local("2026-06-13T12:00", ny))).toBe(false); // Saturday
    expect(isCallable(s, ny, local("2026-06-14T12:00", ny))).toBe(false); // Sunday
    expect(nextCallableAt(s, ny, local("2026-06-12T17:00", ny))).toEqual(local("2026-06-15T09:00", ny));
    expect(nextCallableAt(s, ny, local("2026-06-13T12:00", ny))).toEqual(local("2026-06-15T09:00", ny));
  });

  it("answers the instant itself when it is callable, and the same day's opening before it", () => {
    const inside = local("2026-06-09T11:23:45.678", ny);
    expect(nextCallableAt(s, ny, inside)).toEqual(inside);
    expect(nextCallableAt(s, ny, local("2026-06-09T06:00", ny))).toEqual(local("2026-06-09T09:00", ny));
  });

  it("is configurable per weekday, and a day left out has no calling", () => {
    const s2 = schedule({ weekly: { tue: { from: "10:00", to: "12:00" }, sat: { from: "09:30", to: "13:00" } } });
    expect(isCallable(s2, ny, local("2026-06-08T11:00", ny))).toBe(false); // Monday: left out
    expect(isCallable(s2, ny, local("2026-06-09T11:00", ny))).toBe(true);
    expect(nextCallableAt(s2, ny, local("2026-06-09T12:00", ny))).toEqual(local("2026-06-13T09:30", ny));
  });
});

describe("the TCPA clip: never before 8:00 or from 21:00 local, whatever is configured", () => {
  const ny = "America/New_York";

  it("clips a wider window to 8:00–21:00", () => {
    const s = schedule({ weekly: everyDay("00:00", "24:00") });
    expect(effectiveWeeklyWindow(s).mon).toEqual({ from: "08:00", to: "21:00" });
    expect(isCallable(s, ny, local("2026-06-08T07:59:59.999", ny))).toBe(false);
    expect(isCallable(s, ny, local("2026-06-08T08:00", ny))).toBe(true);
    expect(isCallable(s, ny, local("2026-06-08T20:59:59.999", ny))).toBe(true);
    expect(isCallable(s, ny, local("2026-06-08T21:00", ny))).toBe(false);
    expect(nextCallableAt(s, ny, local("2026-06-08T22:00", ny))).toEqual(local("2026-06-09T08:00", ny));
    expect(nextCallableAt(s, ny, local("2026-06-09T03:00", ny))).toEqual(local("2026-06-09T08:00", ny));
  });

  it("drops a day whose window lies wholly outside the hours, and finds nothing when none is left", () => {
    const s = schedule({ weekly: { mon: { from: "21:00", to: "23:00" }, tue: { from: "06:00", to: "08:00" } } });
    expect(effectiveWeeklyWindow(s)).toMatchObject({ mon: null, tue: null });
    expect(isCallable(s, ny, local("2026-06-08T22:00", ny))).toBe(false);
    expect(nextCallableAt(s, ny, local("2026-06-08T00:00", ny))).toBeNull();
  });

  it("refuses malformed windows", () => {
    expect(() => schedule({ weekly: { mon: { from: "17:00", to: "09:00" } } })).toThrow(/end after it starts/);
    expect(() => schedule({ weekly: { mon: { from: "9:00", to: "17:00" } } })).toThrow(/24-hour time/);
    expect(() => schedule({ weekly: { mon: { from: "09:00", to: "24:30" } } })).toThrow(/24-hour time/);
  });
});

describe("start and end", () => {
  const ny = "America/New_York";
  const s = schedule({ startsAt: local("2026-06-10T12:30", ny), endsAt: local("2026-06-12T15:00", ny) });

  it("nothing is callable before the start or from the end on", () => {
    expect(isCallable(s, ny, local("2026-06-10T12:29:59.999", ny))).toBe(false);
    expect(isCallable(s, ny, local("2026-06-10T12:30", ny))).toBe(true);
    expect(isCallable(s, ny, local("2026-06-12T14:59:59.999", ny))).toBe(true);
    expect(isCallable(s, ny, local("2026-06-12T15:00", ny))).toBe(false);
  });

  it("the next callable instant is never before the start, and there is none from the end on", () => {
    expect(nextCallableAt(s, ny, local("2026-06-01T10:00", ny))).toEqual(local("2026-06-10T12:30", ny));
    expect(nextCallableAt(s, ny, local("2026-06-12T15:00", ny))).toBeNull();
    expect(nextCallableAt(s, ny, local("2026-06-12T16:00", ny))).toBeNull();
  });

  it("the last window is cut at the end", () => {
    const intervals = callableIntervals(s, ny, local("2026-06-01T00:00", ny), 10);
    expect(intervals).toEqual([
      { start: local("2026-06-10T12:30", ny), end: local("2026-06-10T17:00", ny) },
      { start: local("2026-06-11T09:00", ny), end: local("2026-06-11T17:00", ny) },
      { start: local("2026-06-12T09:00", ny), end: local("2026-06-12T15:00", ny) },
    ]);
  });

  it("a schedule must end after it starts", () => {
    expect(() => schedule({ startsAt: "2026-06-10T00:00:00Z", endsAt: "2026-06-10T00:00:00Z" })).toThrow(/end after it starts/);
  });
});

describe("daylight saving time", () => {
  it("New York: the window follows the clock across spring-forward and fall-back", () => {
    const s = schedule({ weekly: everyDay("08:00", "21:00") });
    const ny = "America/New_York";
    // Sunday 2026-03-08 springs forward at 2:00; Sunday 2026-11-01 falls back at 2:00.
    expect(nextCallableAt(s, ny, utc("2026-03-08T02:30:00Z"))).toEqual(utc("2026-03-08T12:00:00Z")); // Saturday 21:30 EST → Sunday 8:00 EDT
    expect(callableIntervals(s, ny, utc("2026-03-08T05:00:00Z"), 2)).toEqual([
      { start: utc("2026-03-08T12:00:00Z"), end: utc("2026-03-09T01:00:00Z") }, // 8:00–21:00 EDT
      { start: utc("2026-03-09T12:00:00Z"), end: utc("2026-03-10T01:00:00Z") },
    ]);
    expect(callableIntervals(s, ny, utc("2026-10-31T04:00:00Z"), 2)).toEqual([
      { start: utc("2026-10-31T12:00:00Z"), end: utc("2026-11-01T01:00:00Z") }, // Saturday, EDT
      { start: utc("2026-11-01T13:00:00Z"), end: utc("2026-11-02T02:00:00Z") }, // Sunday, EST
    ]);
  });

  it("the default window opens at 9:00 local on the Mondays either side of a change", () => {
    const s = schedule();
    expect(nextCallableAt(s, "America/New_York", utc("2026-03-01T00:00:00Z"))).toEqual(utc("2026-03-02T14:00:00Z")); // EST
    expect(nextCallableAt(s, "America/New_York", utc("2026-03-08T00:00:00Z"))).toEqual(utc("2026-03-09T13:00:00Z")); // EDT
    expect(nextCallableAt(s, "Europe/London", utc("2026-03-28T00:00:00Z"))).toEqual(utc("2026-03-30T08:00:00Z")); // BST
  });

  it("a window that opens inside a spring-forward gap opens when the clock jumps past its start (Athens, 1979)", () => {
    // Sunday 1979-04-01 Europe/Athens went from 08:59:59 (+02) to 10:00 (+03): 09:30 never
    // happened. The first instant whose clock reads 09:30 or later is the jump itself, 07:00Z
    // (not 07:30Z, which a "shift the gap time forward" conversion would answer).
    const s = campaignScheduleSchema.parse({ startsAt: "1979-01-01T00:00:00Z", endsAt: "1980-01-01T00:00:00Z", weekly: { sun: { from: "09:30", to: "17:00" } } });
    expect(nextCallableAt(s, "Europe/Athens", utc("1979-04-01T00:00:00Z"))).toEqual(utc("1979-04-01T07:00:00Z"));
    expect(isCallable(s, "Europe/Athens", utc("1979-04-01T06:59:59.999Z"))).toBe(false);
    expect(isCallable(s, "Europe/Athens", utc("1979-04-01T07:00:00Z"))).toBe(true);
    expect(callableIntervals(s, "Europe/Athens", utc("1979-04-01T00:00:00Z"), 1)).toEqual([{ start: utc("1979-04-01T07:00:00Z"), end: utc("1979-04-01T14:00:00Z") }]);
  });

  it("a window the clock jumps forward inside is that much shorter (Khartoum, 2000: 12:00 became 13:00)", () => {
    const s = campaignScheduleSchema.parse({ startsAt: "2000-01-01T00:00:00Z", endsAt: "2001-01-01T00:00:00Z", weekly: { sat: { from: "09:00", to: "17:00" } } });
    expect(callableIntervals(s, "Africa/Khartoum", utc("2000-01-15T00:00:00Z"), 1)).toEqual([{ start: utc("2000-01-15T07:00:00Z"), end: utc("2000-01-15T14:00:00Z") }]);
  });

  it("a fall-back overlap inside the window is callable both times (Easter Island, 1971: 21:00 became 20:00)", () => {
    // Saturday 1971-03-13 Pacific/Easter went from 20:59:59 (-06) back to 20:00 (-07): the hour
    // 20:00–21:00 happened twice, both inside an 8:00–21:00 window, so the day's window is one
    // stretch of 14 hours.
    const s = campaignScheduleSchema.parse({ startsAt: "1971-01-01T00:00:00Z", endsAt: "1972-01-01T00:00:00Z", weekly: { sat: { from: "08:00", to: "21:00" } } });
    const easter = "Pacific/Easter";
    expect(callableIntervals(s, easter, utc("1971-03-13T00:00:00Z"), 1)).toEqual([{ start: utc("1971-03-13T14:00:00Z"), end: utc("1971-03-14T04:00:00Z") }]);
    expect(isCallable(s, easter, utc("1971-03-14T02:30:00Z"))).toBe(true); // 20:30, the first time
    expect(isCallable(s, easter, utc("1971-03-14T03:30:00Z"))).toBe(true); // 20:30, the second time
    expect(isCallable(s, easter, utc("1971-03-14T04:00:00Z"))).toBe(false); // 21:00
  });

  it("a day the zone skipped has no window (Apia dropped Friday 2011-12-30)", () => {
    const s = campaignScheduleSchema.parse({ startsAt: "2011-12-01T00:00:00Z", endsAt: "2012-02-01T00:00:00Z" });
    // Thursday 29 December 18:00 (-10) → Monday 2 January 09:00 (+14).
    expect(nextCallableAt(s, "Pacific/Apia", utc("2011-12-30T04:00:00Z"))).toEqual(utc("2012-01-01T19:00:00Z"));
  });
});

describe("odd offsets", () => {
  const s = schedule();
  it("Asia/Kolkata (+05:30)", () => {
    expect(nextCallableAt(s, "Asia/Kolkata", utc("2026-06-08T00:00:00Z"))).toEqual(utc("2026-06-08T03:30:00Z"));
  });
  it("Australia/Lord_Howe (+11 in summer, +10:30 in winter: a half-hour change)", () => {
    // Sunday 2026-04-05 at 2:00 the clock went back to 1:30.
    expect(nextCallableAt(s, "Australia/Lord_Howe", utc("2026-03-29T00:00:00Z"))).toEqual(utc("2026-03-29T22:00:00Z")); // Monday 30 March 9:00 +11
    expect(nextCallableAt(s, "Australia/Lord_Howe", utc("2026-04-05T00:00:00Z"))).toEqual(utc("2026-04-05T22:30:00Z")); // Monday 6 April 9:00 +10:30
  });
  it("America/St_Johns (-03:30, -02:30 in summer)", () => {
    expect(nextCallableAt(s, "America/St_Johns", utc("2026-03-02T00:00:00Z"))).toEqual(utc("2026-03-02T12:30:00Z"));
    expect(nextCallableAt(s, "America/St_Johns", utc("2026-03-09T00:00:00Z"))).toEqual(utc("2026-03-09T11:30:00Z"));
  });
  it("Asia/Kathmandu (+05:45) and Pacific/Chatham (+13:45)", () => {
    expect(nextCallableAt(s, "Asia/Kathmandu", utc("2026-06-08T00:00:00Z"))).toEqual(utc("2026-06-08T03:15:00Z"));
    expect(nextCallableAt(s, "Pacific/Chatham", utc("2026-01-04T00:00:00Z"))).toEqual(utc("2026-01-04T19:15:00Z")); // Monday 5 January 9:00 +13:45
  });
});

describe("the next callable instant is the first one", () => {
  // Against the direct test (isCallable reads one clock reading; nextCallableAt walks the zone's
  // transitions): the answer is callable, the millisecond before it is not (unless it is the
  // instant asked about), and nothing is callable before it at 5-minute steps.
  const zones = ["America/New_York", "Australia/Lord_Howe", "America/St_Johns", "Asia/Kolkata", "Europe/London", "Pacific/Chatham"];
  const s = schedule({ weekly: { mon: { from: "07:00", to: "12:15" }, wed: { from: "13:45", to: "22:00" }, sat: { from: "08:30", to: "09:10" } } });
  let seed = 7;
  const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);

  it.each(zones)("%s", (tz) => {
    for (let i = 0; i < 12; i++) {
      const t = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 360 * 86_400_000));
      const next = nextCallableAt(s, tz, t)!;
      expect(next.getTime()).toBeGreaterThanOrEqual(t.getTime());
      expect(isCallable(s, tz, next)).toBe(true);
      if (next.getTime() > t.getTime()) expect(isCallable(s, tz, ms(next, -1))).toBe(false);
      for (let probe = t.getTime(); probe < next.getTime(); probe += 5 * 60_000) expect(isCallable(s, tz, new Date(probe))).toBe(false);
    }
  });
});

describe("time zones are refused clearly", () => {
  const s = schedule();
  it.each(["Mars/Olympus", "America/New York", "+05:30", "", "EST5EDT;drop"])("refuses %j", (tz) => {
    expect(() => isCallable(s, tz, new Date())).toThrow(InvalidTimeZoneError);
    expect(() => nextCallableAt(s, tz, new Date())).toThrow(/is not an IANA time zone/);
    expect(timeZoneSchema.safeParse(tz).success).toBe(false);
  });

  it("says which zone, as a 422 with its own code", () => {
    const error = (() => {
      try {
        checkTimeZone("Mars/Olympus");
      } catch (e) {
        return e as InvalidTimeZoneError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidTimeZoneError);
    expect(error?.message).toBe('"Mars/Olympus" is not an IANA time zone; use a name such as America/New_York or Asia/Kolkata.');
    expect(error?.status).toBe(422);
    expect(error?.code).toBe("invalid_time_zone");
  });

  it("accepts IANA names, links among them", () => {
    expect(checkTimeZone("Asia/Kolkata")).toBe("Asia/Kolkata");
    expect(timeZoneSchema.safeParse("Asia/Calcutta").success).toBe(true);
    expect(timeZoneSchema.safeParse("UTC").success).toBe(true);
  });
});
