import { z } from "zod";

/**
 * What Postgres can hold, checked where values cross into the app (JSON bodies, query strings,
 * webhook forms, stored headers) so that a hostile value is a 4xx — or, in a webhook, a dropped
 * optional field — and never a driver error that surfaces as a 500.
 *
 * - text: no U+0000 (Postgres text and jsonb refuse it) and no lone UTF-16 surrogate (the driver
 *   would send U+FFFD in text, and jsonb refuses the `\ud800` escape outright);
 * - timestamps: within a sane window that Postgres and JavaScript both hold;
 * - integers: within the column's type (int4 unless the column is bigint);
 * - ids: a uuid column compared with anything else is a driver error (`isUuid` first: 404).
 *
 * Pure (no server-only): schemas in client-safe modules use these too.
 */
const PG_INT4_MIN = -2147483648;
const PG_INT4_MAX = 2147483647;
/** Provider and user timestamps outside this window are not real events. */
export const PG_TIMESTAMP_MIN = Date.UTC(1970, 0, 1);
export const PG_TIMESTAMP_MAX = Date.UTC(2200, 0, 1);
/** Deeper JSON is not something any of our contracts sends. */
const JSON_MAX_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an id from a URL, a header or a form can be compared with a uuid column. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Why a string cannot go into Postgres, or null when it can. */
export function textProblem(value: string): string | null {
  if (value.includes("\u0000")) return "must not contain a NUL character";
  if (LONE_SURROGATE.test(value)) return "must be valid Unicode (no lone surrogates)";
  return null;
}

export function isPgText(value: string): boolean {
  return textProblem(value) === null;
}

/** A string Postgres can store (text or inside jsonb). */
export const pgText = z.string().superRefine((value, ctx) => {
  const problem = textProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** An int4 column's value. */
export const pgInt4 = z.number().int().min(PG_INT4_MIN).max(PG_INT4_MAX);

/** A date within the sane window, or null. Accepts RFC 2822 (what SignalWire sends) and ISO 8601. */
export function parsePgTimestamp(value: string | null | undefined): Date | null {
  if (!value || value.length > 64 || !isPgText(value)) return null;
  // Date.parse accepts oddities such as "1" or "-1"; a real timestamp names at least a year and a day.
  if (!/\d{4}/.test(value) || !/[a-z]{3}|\d-\d|\//i.test(value)) return null;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || ms < PG_TIMESTAMP_MIN || ms > PG_TIMESTAMP_MAX) return null;
  return new Date(ms);
}

/** Decimal digits only, within int4 (a count, a sequence number). */
export function parsePgInt4Digits(value: string | null | undefined, max = PG_INT4_MAX): number | null {
  if (value === undefined || value === null || !/^\d{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n <= max ? n : null;
}

export interface UnsafeJson {
  path: string;
  message: string;
}

function pathText(path: (string | number)[]): string {
  return path.length === 0 ? "body" : path.map(String).join(".");
}

/**
 * The first place in a parsed JSON value that Postgres could not hold (keys included), or null.
 * Iterative, with a depth limit, so a deeply nested body cannot exhaust the stack.
 */
export function findUnsafeJson(root: unknown): UnsafeJson | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (path.length > JSON_MAX_DEPTH) return { path: pathText(path), message: `nested deeper than ${JSON_MAX_DEPTH} levels` };
    if (typeof value === "string") {
      const problem = textProblem(value);
      if (problem) return { path: pathText(path), message: problem };
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) return { path: pathText(path), message: "must be a finite number" };
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        const problem = textProblem(key);
        if (problem) return { path: pathText([...path, JSON.stringify(key).slice(1, -1)]), message: `key ${problem}` };
        stack.push({ value: item, path: [...path, key] });
      }
    }
  }
  return null;
}

/** A header value worth storing: control characters removed, bounded, or undefined when empty. */
export function storableHeader(value: string | null | undefined, maxLength = 500): string | undefined {
  if (!value) return undefined;
   
  const cleaned = value.replace(/[\u0000-\u001f\u007f]/g, "").slice(0, maxLength).replace(LONE_SURROGATES, "\uFFFD");
  return cleaned.length > 0 ? cleaned : undefined;
}
