import type { CallDetail } from "@/lib/calls/contracts";

/**
 * A call's timeline as the detail panel shows it, oldest first: every call event (provider
 * callbacks, state changes, artifacts arriving: the server's summaries), each sealed manifest
 * version with its place in the organization's log, and each custody event (viewed, exported,
 * verified). Manifests and custody are present only for roles that may see evidence; for
 * everyone else (null) the timeline says nothing about them. Pure, so a unit test covers it.
 */
export type TimelineSource = "call" | "carrier" | "recording" | "intelligence" | "reconciler" | "evidence" | "custody";

export interface TimelineItem {
  key: string;
  at: string;
  source: TimelineSource;
  text: string;
  /** A hash worth showing (shortened on screen, whole in the title). */
  hash?: string;
}

const CUSTODY_TEXT: Record<string, string> = {
  "evidence.viewed": "Evidence viewed",
  "evidence.exported": "Evidence exported",
  "evidence.verified": "Evidence verified",
};

function sourceOf(kind: string): TimelineSource {
  if (kind.startsWith("provider.")) return "carrier";
  if (kind.startsWith("recording.") || kind === "redacted_audio.stored") return "recording";
  if (kind.startsWith("transcription.") || kind.startsWith("translation.") || kind.startsWith("score.")) return "intelligence";
  if (kind.startsWith("reconcile.")) return "reconciler";
  return "call";
}

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

export function timelineOf(call: Pick<CallDetail, "events" | "manifests" | "custody">, { you }: { you?: string | null } = {}): TimelineItem[] {
  const items: TimelineItem[] = call.events.map((e) => ({ key: `event-${e.id}`, at: e.occurredAt, source: sourceOf(e.kind), text: e.summary }));
  for (const m of call.manifests ?? []) {
    items.push({
      key: `manifest-${m.version}`,
      at: m.issuedAt,
      source: "evidence",
      text: `Evidence manifest version ${m.version} sealed${m.logIndex === null ? " (not yet in the log)" : `, log entry ${m.logIndex}`}`,
      hash: m.sha256,
    });
  }
  (call.custody ?? []).forEach((c, i) => {
    // Sealing is a custody event too; the manifest's own entry above already says it.
    if (c.kind === "manifest.sealed") return;
    const who = c.actorUserId === null ? "by the system" : c.actorUserId === you ? "by you" : `by ${c.actorEmail ?? `member ${c.actorUserId.slice(0, 8)}`}`;
    items.push({ key: `custody-${i}-${c.hash}`, at: c.occurredAt, source: "custody", text: `${CUSTODY_TEXT[c.kind] ?? c.kind} ${who}`, hash: c.hash });
  });
  // Stable: equal times keep their order (events before evidence, as they were appended).
  return items.map((item, index) => ({ item, index })).sort((a, b) => time(a.item.at) - time(b.item.at) || a.index - b.index).map(({ item }) => item);
}
