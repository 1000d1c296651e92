import "server-only";
import { createHash } from "node:crypto";
import { Temporal } from "temporal-polyfill";
import { z } from "zod";
import { UnprocessableError } from "@/lib/errors";

/**
 * When a campaign may call a target: between the schedule's start and end, inside the weekly
 * window read on the target's own clock (its IANA time zone), and never before 8:00 or from
 * 21:00 on that clock, whatever the window says (the TCPA's hours, 47 CFR 64.1200(c)(1)).
 *
 * Whether an instant is callable depends only on the wall clock the target's zone shows at that
 * instant, which is always one well-defined reading; so a spring-forward gap simply has no
 * callable wall times in it, and a fall-back overlap has its wall times twice. Finding the NEXT
 * callable instant walks the time line in stretches of constant UTC offset (between two of the
 * zone's transitions, from Temporal): inside one, the wall clock is the instant plus a fixed
 * offset, so the window is plain arithmetic, and a window that opens inside a gap opens at the
 * transition itself, the first instant its clock reads past the window's start.
 *
 * Node 24 has no Temporal without a flag; `temporal-polyfill` is the spec's API over the
 * platform's Intl and its time zone data (docs/adr/0034).
 */

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The TCPA's hours on the called party's clock, in minutes of the day: from 8:00, before 21:00. */
export const TCPA_EARLIEST_MINUTE = 8 * 60;
export const TCPA_LATEST_MINUTE = 21 * 60;

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clockSchema = z
  .string()
  .regex(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/, "Use a 24-hour time such as 09:00 or 17:30.")
  .transform((hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)));

/** One day's window in local wall-clock time, "HH:MM" to "HH:MM" (the end excluded, "24:00" allowed). */
export const dayWindowSchema = z
  .object({ from: clockSchema, to: clockSchema })
  .refine((w) => w.from < w.to, { message: "A calling window must end after it starts." });

/**
 * The weekly window. Given, it is complete: a day it leaves out (or sets to null) has no
 * calling. Left out, it is 9:00–17:00 Monday to Friday.
 */
export const weeklyWindowSchema = z.object(Object.fromEntries(WEEKDAYS.map((d) => [d, dayWindowSchema.nullish()])) as Record<Weekday, z.ZodOptional<z.ZodNullable<typeof dayWindowSchema>>>);

export const DEFAULT_WEEKLY_WINDOW = { mon: { from: "09:00", to: "17:00" }, tue: { from: "09:00", to: "17:00" }, wed: { from: "09:00", to: "17:00" }, thu: { from: "09:00", to: "17:00" }, fri: { from: "09:00", to: "17:00" } } as const;

export const campaignScheduleSchema = z
  .object({
    startsAt: z.coerce.date(),
    endsAt: z.coerce.date(),
    // prefault: the default goes through the schema too, so it is parsed to minutes like any given window.
    weekly: weeklyWindowSchema.prefault(DEFAULT_WEEKLY_WINDOW),
  })
  .refine((s) => s.endsAt > s.startsAt, { message: "A campaign must end after it starts.", path: ["endsAt"] });

export type CampaignScheduleInput = z.input<typeof campaignScheduleSchema>;
/** A parsed schedule: minutes of the day per weekday; `startsAt` included, `endsAt` excluded. */
export type CampaignSchedule = z.output<typeof campaignScheduleSchema>;

export class InvalidTimeZoneError extends UnprocessableError {
  constructor(readonly timeZone: string) {
    super(`"${timeZone}" is not an IANA time zone; use a name such as America/New_York or Asia/Kolkata.`, "invalid_time_zone", { timeZone });
  }
}

const knownZones = new Map<string, string>();

/**
 * The zone's canonical id, or InvalidTimeZoneError. Only named IANA zones: a fixed offset
 * ("+05:30", which Temporal would accept) follows no daylight saving, so it is refused too.
 */
export function checkTimeZone(timeZone: string): string {
  const known = knownZones.get(timeZone);
  if (known) return known;
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) throw new InvalidTimeZoneError(timeZone);
  let id: string;
  try {
    id = Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(timeZone).timeZoneId;
  } catch {
    throw new InvalidTimeZoneError(timeZone);
  }
  knownZones.set(timeZone, id);
  return id;
}

/** zod for a target's time zone: a named IANA zone. */
export const timeZoneSchema = z.string().refine(
  (tz) => {
    try {
      checkTimeZone(tz);
      return true;
    } catch {
      return false;
    }
  },
  { message: "Use an IANA time zone such as America/New_York." },
);

interface Zone {
  offsetAt(ms: number): number;
  /** The first transition strictly after `ms`, or Infinity. */
  transitionAfter(ms: number): number;
}

function zone(timeZone: string): Zone {
  const id = checkTimeZone(timeZone);
  const at = (ms: number) => Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(id);
  return {
    offsetAt: (ms) => at(ms).offsetNanoseconds / 1_000_000,
    transitionAfter: (ms) => at(ms).getTimeZoneTransition("next")?.epochMilliseconds ?? Infinity,
  };
}

type Span = readonly [from: number, to: number];
/** Monday first; minutes of the day, already clipped to the TCPA's hours; null: no calling. */
type Week = readonly (Span | null)[];

function weekOf(schedule: CampaignSchedule): Week {
  return WEEKDAYS.map((day) => {
    const w = schedule.weekly[day];
    if (!w) return null;
    const from = Math.max(w.from, TCPA_EARLIEST_MINUTE);
    const to = Math.min(w.to, TCPA_LATEST_MINUTE);
    return from < to ? ([from, to] as const) : null;
  });
}

/** The effective window per weekday after the 8:00–21:00 clip, as "HH:MM" (for display and checks). */
export function effectiveWeeklyWindow(schedule: CampaignSchedule): Record<Weekday, { from: string; to: string } | null> {
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  const week = weekOf(schedule);
  return Object.fromEntries(WEEKDAYS.map((d, i) => [d, week[i] ? { from: hhmm(week[i][0]), to: hhmm(week[i][1]) } : null])) as Record<Weekday, { from: string; to: string } | null>;
}

// The wall clock as milliseconds on a naive time line (a local date-time read as if it were
// UTC): days are exactly DAY long there, and day 0 (1970-01-01) was a Thursday.
const weekdayIndex = (wallDay: number) => (((wallDay + 3) % 7) + 7) % 7;

/** The first window on the naive wall time line that ends after `wall`: [start, end), start possibly before `wall`. */
function wallWindowFrom(week: Week, wall: number): Span | null {
  const first = Math.floor(wall / DAY);
  for (let day = first; day <= first + 7; day++) {
    const span = week[weekdayIndex(day)];
    if (!span) continue;
    const end = day * DAY + span[1] * MINUTE;
    if (end > wall) return [day * DAY + span[0] * MINUTE, end];
  }
  return null;
}

function insideWeek(week: Week, wall: number): boolean {
  const day = Math.floor(wall / DAY);
  const span = week[weekdayIndex(day)];
  const minute = (wall - day * DAY) / MINUTE;
  return span !== null && span !== undefined && minute >= span[0] && minute < span[1];
}

/** Whether a target in `timeZone` may be called at `at` under the schedule. */
export function isCallable(schedule: CampaignSchedule, timeZone: string, at: Date): boolean {
  const t = at.getTime();
  if (t < schedule.startsAt.getTime() || t >= schedule.endsAt.getTime()) return false;
  return insideWeek(weekOf(schedule), t + zone(timeZone).offsetAt(t));
}

/**
 * The first callable stretch of time that ends after `t`, clipped to start no earlier than `t`
 * and to end at the schedule's end: [start, end) in epoch ms, or null if none is left.
 */
function intervalFrom(week: Week, z: Zone, t: number, endsAt: number): Span | null {
  let cursor = t;
  // Each turn that does not answer moves past one transition of the zone.
  for (let turn = 0; turn < 100; turn++) {
    if (cursor >= endsAt) return null;
    const offset = z.offsetAt(cursor);
    const stretchEnd = z.transitionAfter(cursor);
    const wall = cursor + offset;
    const window = wallWindowFrom(week, wall);
    if (!window) return null;
    const start = Math.max(window[0], wall) - offset;
    if (start >= stretchEnd) {
      cursor = stretchEnd;
      continue;
    }
    if (start >= endsAt) return null;
    let end = Math.min(window[1] - offset, stretchEnd, endsAt);
    // A window the zone's clock changes in goes on if the clock, after the change, still reads inside it.
    while (end === stretchEnd && end < endsAt) {
      const more = intervalFrom(week, z, end, endsAt);
      if (!more || more[0] !== end) break;
      end = more[1];
    }
    return [start, end];
  }
  throw new Error(`No calling window found within 100 clock changes of ${new Date(t).toISOString()}.`);
}

/**
 * The first instant at or after `at` when a target in `timeZone` may be called (never before
 * the schedule's start), or null if the schedule ends (or allows no day) before one comes.
 */
export function nextCallableAt(schedule: CampaignSchedule, timeZone: string, at: Date): Date | null {
  const span = intervalFrom(weekOf(schedule), zone(timeZone), Math.max(at.getTime(), schedule.startsAt.getTime()), schedule.endsAt.getTime());
  return span ? new Date(span[0]) : null;
}

export interface CallableInterval {
  start: Date;
  /** Excluded. */
  end: Date;
}

/**
 * The next `count` callable stretches from `from` on (the rest of a window `from` falls in is
 * the first), fewer if the schedule ends first. One per local day's window, except in the rare
 * zone whose clock jumps out of a window and back in.
 */
export function callableIntervals(schedule: CampaignSchedule, timeZone: string, from: Date, count: number): CallableInterval[] {
  const week = weekOf(schedule);
  const z = zone(timeZone);
  const endsAt = schedule.endsAt.getTime();
  const out: CallableInterval[] = [];
  let cursor = Math.max(from.getTime(), schedule.startsAt.getTime());
  while (out.length < count) {
    const span = intervalFrom(week, z, cursor, endsAt);
    if (!span) break;
    out.push({ start: new Date(span[0]), end: new Date(span[1]) });
    cursor = span[1];
  }
  return out;
}

export interface SpreadSeed {
  campaignId: string;
  targetId: string;
  /** 1 for the first dial. */
  attempt: number;
}

/**
 * A number in [0, 1) fixed by the campaign, target and attempt: SHA-256 of the three, its first
 * 52 bits. The same dial gets the same instant after any restart; staff who do not know the
 * campaign's random id cannot work it out.
 */
export function seededFraction(seed: SpreadSeed): number {
  const digest = createHash("sha256").update(`${seed.campaignId}\n${seed.targetId}\n${seed.attempt}`).digest();
  return (digest.readUIntBE(0, 6) * 16 + (digest[6]! >> 4)) / 2 ** 52;
}

/**
 * For shopper programs: an instant spread uniformly over the callable time of the target's next
 * `windows` windows from `from` (the rest of the current one first), chosen by the seed. Pass a
 * stable `from` (the campaign's launch, the finished attempt), so that asking again gives the
 * same instant. Null if the schedule ends before any window.
 */
export function spreadCallAt(schedule: CampaignSchedule, timeZone: string, from: Date, seed: SpreadSeed, options: { windows?: number } = {}): Date | null {
  const windows = options.windows ?? 1;
  if (!Number.isInteger(windows) || windows < 1) throw new RangeError(`windows must be a positive integer, not ${windows}`);
  const intervals = callableIntervals(schedule, timeZone, from, windows);
  if (intervals.length === 0) return null;
  const total = intervals.reduce((sum, i) => sum + (i.end.getTime() - i.start.getTime()), 0);
  let offset = Math.floor(seededFraction(seed) * total);
  for (const i of intervals) {
    const length = i.end.getTime() - i.start.getTime();
    if (offset < length) return new Date(i.start.getTime() + offset);
    offset -= length;
  }
  // Unreachable: offset < total.
  return intervals.at(-1)!.start;
}
