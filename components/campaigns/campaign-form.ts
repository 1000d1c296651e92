/**
 * Pure helpers of the campaigns panel (no React, no zod: lib/campaigns' schemas are server-only):
 * the builder's fields → the body `POST /api/campaigns` takes, and the words progress is shown
 * in. The API validates everything again; these only shape what a person entered. Tested in
 * tests/unit/campaign-form.test.ts.
 */

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_LABEL: Record<Weekday, string> = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" };

export const RETRIED = ["busy", "no_answer", "failed"] as const;
export type Retried = (typeof RETRIED)[number];
export const RETRIED_LABEL: Record<Retried, string> = { busy: "Busy", no_answer: "No answer", failed: "Failed" };

export type Modulation = "record" | "transcribe" | "translate" | "survey" | "shopperScript";
export const MODULATION_LABEL: Record<Modulation, string> = {
  record: "Record",
  transcribe: "Transcribe",
  translate: "Translate",
  survey: "After-call survey",
  shopperScript: "Shopper script",
};

export interface BuilderFields {
  name: string;
  modulations: Record<Modulation, boolean>;
  /** `id:version` of a published version, or "" for the organization's default. */
  surveyVersion: string;
  shopperScriptVersion: string;
  selection: { kind: "tags"; tags: string[] } | { kind: "targets"; targetIds: string[] };
  /** `datetime-local` values, read on the browser's clock. */
  startsAt: string;
  endsAt: string;
  days: Record<Weekday, boolean>;
  /** "HH:MM" on each target's own clock. */
  from: string;
  to: string;
  dialsPerSecond: number;
  maxLive: number;
  retry: Record<Retried, { maxAttempts: number; backoffMinutes: number }>;
  spread: boolean;
}

/** A `datetime-local` value for an instant, on the browser's clock (`2026-12-06T09:30`). */
export function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * A new campaign's fields: starting now, ending in a week, calling 9:00–17:00 on weekdays (the
 * issue's default), one call a second and five at once, the API's default retries.
 */
export function defaultFields(now: Date): BuilderFields {
  return {
    name: "",
    modulations: { record: false, transcribe: false, translate: false, survey: false, shopperScript: false },
    surveyVersion: "",
    shopperScriptVersion: "",
    selection: { kind: "tags", tags: [] },
    startsAt: localInput(now),
    endsAt: localInput(new Date(now.getTime() + 7 * 86_400_000)),
    days: { mon: true, tue: true, wed: true, thu: true, fri: true, sat: false, sun: false },
    from: "09:00",
    to: "17:00",
    dialsPerSecond: 1,
    maxLive: 5,
    retry: { busy: { maxAttempts: 3, backoffMinutes: 10 }, no_answer: { maxAttempts: 3, backoffMinutes: 60 }, failed: { maxAttempts: 2, backoffMinutes: 30 } },
    spread: false,
  };
}

function versionRef(value: string): { id: string; version: number } | undefined {
  const [id, version] = value.split(":");
  return id && version && /^\d+$/.test(version) ? { id, version: Number(version) } : undefined;
}

/** The draft's body for `POST /api/campaigns`. A `datetime-local` that does not parse is sent as it is, for the API to refuse. */
export function campaignBody(f: BuilderFields) {
  const iso = (local: string) => {
    const d = new Date(local);
    return Number.isNaN(d.getTime()) ? local : d.toISOString();
  };
  const modulations: Record<string, unknown> = { ...f.modulations };
  const survey = f.modulations.survey ? versionRef(f.surveyVersion) : undefined;
  const script = f.modulations.shopperScript ? versionRef(f.shopperScriptVersion) : undefined;
  if (survey) modulations.surveyVersion = survey;
  if (script) modulations.shopperScriptVersion = script;
  return {
    name: f.name.trim(),
    modulations,
    selection: f.selection.kind === "tags" ? { tags: f.selection.tags } : { targetIds: f.selection.targetIds },
    schedule: {
      startsAt: iso(f.startsAt),
      endsAt: iso(f.endsAt),
      weekly: Object.fromEntries(WEEKDAYS.map((d) => [d, f.days[d] ? { from: f.from, to: f.to } : null])),
    },
    pace: { dialsPerSecond: f.dialsPerSecond, maxLive: f.maxLive },
    retry: Object.fromEntries(RETRIED.map((o) => [o, { maxAttempts: f.retry[o].maxAttempts, backoffSeconds: Math.round(f.retry[o].backoffMinutes * 60) }])),
    spread: f.spread,
  };
}

/** A weekly window as the API shows it → `Mon–Fri 09:00–17:00`, or per day when the days differ. */
export function weeklyText(weekly: Record<string, { from: string; to: string } | null | undefined>): string {
  const days = WEEKDAYS.filter((d) => weekly[d]);
  if (days.length === 0) return "no calling days";
  const spans = new Set(days.map((d) => `${weekly[d]!.from}–${weekly[d]!.to}`));
  const short = (d: Weekday) => WEEKDAY_LABEL[d].slice(0, 3);
  if (spans.size === 1) {
    const idx = days.map((d) => WEEKDAYS.indexOf(d));
    const contiguous = idx.every((v, i) => i === 0 || v === idx[i - 1]! + 1);
    const which = contiguous && days.length > 2 ? `${short(days[0]!)}–${short(days.at(-1)!)}` : days.map(short).join(", ");
    return `${which} ${[...spans][0]}`;
  }
  return days.map((d) => `${short(d)} ${weekly[d]!.from}–${weekly[d]!.to}`).join(", ");
}

export const STATE_LABEL: Record<string, string> = {
  draft: "Draft",
  scheduled: "Scheduled",
  running: "Running",
  paused: "Paused",
  completed: "Completed",
  cancelled: "Cancelled",
};

export const TARGET_STATE_LABEL: [key: string, label: string][] = [
  ["pending", "Pending"],
  ["calling", "Calling"],
  ["retrying", "Retrying"],
  ["done", "Done"],
  ["skipped_dnc", "Skipped: do-not-call"],
  ["skipped_window", "Skipped: outside the calling window"],
  ["skipped_invalid", "Skipped: invalid number"],
];

export const OUTCOME_LABEL: [key: string, label: string][] = [
  ["open", "In progress"],
  ["answered", "Answered"],
  ["busy", "Busy"],
  ["no_answer", "No answer"],
  ["failed", "Failed"],
  ["not_dialled", "Not dialled"],
];

/** Dials per second as people read them: `1.2 calls/s`, or `4.0 calls/min` below one a second. */
export function paceText(perSecond: number | null): string {
  if (perSecond === null) return "not yet measured";
  if (perSecond > 0 && perSecond < 1) return `${(perSecond * 60).toFixed(1)} calls/min`;
  return `${perSecond.toFixed(perSecond >= 10 ? 0 : 1)} calls/s`;
}

/** The ETA relative to now: `in about 3 min (14:05 UTC)`; null → the reason it is unknown. */
export function etaText(eta: string | null, now: Date, state: string): string {
  if (state === "completed" || state === "cancelled") return "Finished";
  if (!eta) return "Not known yet (nothing dialled, or it does not fit before the end)";
  const minutes = Math.max(0, Math.round((Date.parse(eta) - now.getTime()) / 60_000));
  const rel = minutes < 1 ? "in under a minute" : minutes < 120 ? `in about ${minutes} min` : `in about ${Math.round(minutes / 60)} h`;
  return `${rel} (${eta.slice(0, 10)} ${eta.slice(11, 16)} UTC)`;
}

/** Which of the campaign's acts this person may take, in the order the buttons stand. */
export function allowedActs(acts: readonly string[], may: { manage: boolean; pause: boolean }): ("launch" | "pause" | "resume" | "cancel")[] {
  const order = ["launch", "pause", "resume", "cancel"] as const;
  return order.filter((a) => acts.includes(a) && (a === "pause" || a === "resume" ? may.pause : may.manage));
}
