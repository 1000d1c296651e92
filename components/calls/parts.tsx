"use client";

import type { HighlightFragment } from "@/lib/calls/contracts";
import { STATUS_LABEL, type CallStatus } from "@/lib/calls/state-machine";

/** Small pieces the call list and the call detail share. */

/**
 * Distinct colours per status, each text/background pair well above WCAG AA (4.5:1); the
 * label is always the text, so colour is never the only signal.
 */
const STATUS_STYLE: Record<CallStatus, string> = {
  queued: "border-slate-300 bg-slate-100 text-slate-800",
  initiated: "border-sky-300 bg-sky-100 text-sky-900",
  ringing: "border-amber-300 bg-amber-100 text-amber-900",
  in_progress: "border-indigo-300 bg-indigo-100 text-indigo-900",
  completed: "border-green-300 bg-green-100 text-green-900",
  busy: "border-orange-300 bg-orange-100 text-orange-900",
  no_answer: "border-purple-300 bg-purple-100 text-purple-900",
  failed: "border-red-300 bg-red-100 text-red-900",
  canceled: "border-zinc-300 bg-zinc-200 text-zinc-800",
};

export function StatusBadge({ status }: { status: CallStatus }) {
  return (
    <span data-testid="call-status" data-status={status}
      className={`inline-block rounded-full border px-2.5 py-0.5 text-xs font-semibold ${STATUS_STYLE[status]}`}>
      {STATUS_LABEL[status]}
    </span>
  );
}

export function formatTime(iso: string, local: boolean, withSeconds = false): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  if (!local) return `${date.toISOString().slice(0, withSeconds ? 19 : 16).replace("T", " ")} UTC`;
  return withSeconds
    ? date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })
    : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const LANGUAGES = new Intl.DisplayNames(["en"], { type: "language", fallback: "code" });

/** `es` → `Spanish`, `pt-BR` → `Brazilian Portuguese`; an unknown or malformed code as given. */
export function languageName(code: string | null): string {
  if (!code) return "";
  try {
    return LANGUAGES.of(code) ?? code;
  } catch {
    return code;
  }
}

export function formatDuration(seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds)) return null;
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

/** Text with the parts a search matched in <mark> (never HTML from the server). */
export function Highlighted({ fragments }: { fragments: HighlightFragment[] }) {
  return (
    <>
      {fragments.map((f, i) => (f.hit ? <mark key={i} className="rounded-sm bg-yellow-200 px-0.5 text-ink">{f.text}</mark> : <span key={i}>{f.text}</span>))}
    </>
  );
}
