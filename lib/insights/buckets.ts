import { CALL_FILTER_KEYS, type CallFilter } from "@/lib/calls/contracts";
import { UnprocessableError } from "@/lib/errors";
import { MAX_RANGE_DAYS, type Bucket, type InsightsQuery } from "@/lib/insights/contracts";

/**
 * Dates and buckets for insights, pure: the range a query names, the buckets that cover it,
 * and the call list's URL for a set of filters. Dates are UTC calendar days (`2026-12-06`), as
 * the call list's `from`/`to` read them; weeks are ISO weeks, Monday to Sunday, which is what
 * Postgres's `date_trunc('week', …)` gives. Client-safe.
 */

const DAY = 86_400_000;

const ms = (date: string) => Date.parse(`${date}T00:00:00Z`);
export const dateOf = (t: number) => new Date(t).toISOString().slice(0, 10);
export const addDays = (date: string, days: number) => dateOf(ms(date) + days * DAY);

/** The Monday of the ISO week a date falls in. */
export function weekStart(date: string): string {
  const day = new Date(ms(date)).getUTCDay(); // 0 = Sunday
  return addDays(date, -((day + 6) % 7));
}

/** The bucket a date falls in, by its first date. */
export function bucketOf(date: string, bucket: Bucket): string {
  return bucket === "day" ? date : weekStart(date);
}

export interface InsightsRange {
  from: string;
  to: string;
  bucket: Bucket;
  /** [fromAt, toBefore): the instants the range covers. */
  fromAt: string;
  toBefore: string;
}

/**
 * The range a query names: `to` defaults to today, `from` to 12 weeks (the Monday 11 weeks
 * before `to`'s) or 30 days back. 422 `invalid_range` when `from` is after `to`, 422
 * `range_too_long` past MAX_RANGE_DAYS days.
 */
export function resolveRange(query: InsightsQuery, today: string): InsightsRange {
  const to = query.to ?? today;
  const from = query.from ?? (query.bucket === "week" ? addDays(weekStart(to), -77) : addDays(to, -29));
  if (ms(from) > ms(to)) {
    throw new UnprocessableError(`\`from\` (${from}) is after \`to\` (${to}): give a range whose start is not after its end.`, "invalid_range");
  }
  const days = (ms(to) - ms(from)) / DAY + 1;
  if (days > MAX_RANGE_DAYS) {
    throw new UnprocessableError(`The range covers ${days} days; ask for at most ${MAX_RANGE_DAYS} at once.`, "range_too_long", { maxDays: MAX_RANGE_DAYS });
  }
  return { from, to, bucket: query.bucket, fromAt: `${from}T00:00:00.000Z`, toBefore: `${addDays(to, 1)}T00:00:00.000Z` };
}

/** Every bucket of the range, oldest first, each with its first date (`key`) and its dates clipped to the range. */
export function bucketsOf(range: Pick<InsightsRange, "from" | "to" | "bucket">): { key: string; from: string; to: string }[] {
  const out = [];
  const step = range.bucket === "day" ? 1 : 7;
  for (let key = bucketOf(range.from, range.bucket); ms(key) <= ms(range.to); key = addDays(key, step)) {
    const last = addDays(key, step - 1);
    out.push({ key, from: ms(key) < ms(range.from) ? range.from : key, to: ms(last) > ms(range.to) ? range.to : last });
  }
  return out;
}

/** The call list's URL for these filters, in the order the page writes them. */
export function listUrl(filter: Partial<Record<keyof CallFilter, string | number>>): string {
  const params = new URLSearchParams();
  for (const key of CALL_FILTER_KEYS) {
    const value = filter[key];
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const query = params.toString();
  return query ? `/?${query}` : "/";
}
