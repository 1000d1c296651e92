import "server-only";
import { z } from "zod";
import type { Db, Tx } from "@/lib/db";
import { absentRecordingReason } from "@/lib/telephony/callbacks";

/**
 * A call's timeline (`call_events`): the one module that writes it, over a catalogue of event
 * kinds. Each kind names its payload (a zod schema) and how the page summarizes it. The insert
 * itself is one SQL function, `private.append_call_event` (supabase/migrations/
 * *_create_status_report_function.sql), called from here and from the one-statement status
 * report; nothing else inserts into `call_events`, so the hash chain the evidence log will put
 * over it has exactly one place to hook in.
 *
 * Appends for one call are serialized by a transaction-scoped advisory lock on the call id,
 * taken by that function: two appends for one call never interleave, even from paths that did
 * not lock the call row. A repeated event (same dedupe key) is a no-op.
 */

/** Validated provider fields as the callback parsers leave them (lib/telephony/callbacks.ts). */
const providerFields = z.record(z.string(), z.union([z.string(), z.number()]));
const reason = z.string().max(1000);

const CATALOGUE = {
  "call.dialled": {
    payload: z.object({ CallSid: z.string() }),
    summary: () => "Dialled",
  },
  "call.dial_failed": {
    payload: z.object({ code: z.string(), message: z.string() }),
    summary: (p: { message: string }) => p.message,
  },
  "provider.status": {
    payload: providerFields,
    summary: (p: Record<string, unknown>) => `Call ${p.CallStatus ?? "?"}${p.CallDuration ? ` after ${p.CallDuration}s` : ""}`,
  },
  "reconcile.status": {
    payload: providerFields,
    summary: (p: Record<string, unknown>) => `Call ${p.CallStatus ?? "?"}${p.CallDuration ? ` after ${p.CallDuration}s` : ""}`,
  },
  "provider.recording": {
    payload: providerFields,
    summary: (p: Record<string, unknown>) =>
      p.RecordingStatus === "absent"
        ? `Recording absent: ${absentRecordingReason(p.ErrorCode)}`
        : `Recording ${p.RecordingStatus ?? "?"}${p.RecordingDuration ? ` (${p.RecordingDuration}s)` : ""}`,
  },
  "provider.gather": {
    payload: providerFields,
    summary: (p: Record<string, unknown>) => `Survey question ${Number(p.question ?? 0) + 1}: ${p.Digits || p.Speech ? "answered" : "no answer"}`,
  },
  "provider.dial": {
    payload: providerFields,
    summary: (p: Record<string, unknown>) => `Target leg ${p.DialCallStatus ?? "?"}`,
  },
  "recording.stored": {
    payload: z.object({
      recordingId: z.uuid(),
      recordingSid: z.string(),
      sha256: z.string(),
      bytes: z.number(),
      durationSeconds: z.number().nullable(),
      channels: z.number().nullable(),
      mediaType: z.string(),
    }),
    summary: () => "Recording stored",
  },
  "recording.failed": {
    payload: z.object({ recordingId: z.uuid(), recordingSid: z.string(), error: z.string(), attempts: z.number().optional() }),
    summary: (p: { error: string }) => `Recording failed: ${p.error}`,
  },
  "recording.missing": {
    payload: z.object({ recordingId: z.uuid(), Reason: reason }),
    summary: (p: { Reason: string }) => p.Reason,
  },
  "recording.absent": {
    payload: z.object({ recordingId: z.uuid(), RecordingSid: z.string(), Reason: reason }),
    summary: (p: { Reason: string }) => p.Reason,
  },
  "reconcile.adopted": {
    payload: z.object({ CallSid: z.string(), CallStatus: z.string(), Reason: reason }),
    summary: (p: { Reason: string }) => p.Reason,
  },
  "reconcile.not_found": {
    payload: z.object({ Reason: reason, SearchedTo: z.string(), SearchedFrom: z.string() }),
    summary: (p: { Reason: string }) => p.Reason,
  },
  "reconcile.ambiguous": {
    payload: z.object({ Reason: reason, CandidateSids: z.string() }),
    summary: (p: { Reason: string }) => p.Reason,
  },
  "reconcile.recording_found": {
    payload: z.object({ RecordingSid: z.string(), Reason: reason }),
    summary: (p: { Reason: string }) => p.Reason,
  },
  "reconcile.recording_requeued": {
    payload: z.object({ recordingId: z.uuid(), RecordingSid: z.string(), Reason: reason }),
    summary: (p: { Reason: string }) => p.Reason,
  },
  // Transcription (lib/intelligence): one request per submission; artifacts carry their hashes.
  "transcription.submitted": {
    payload: z.object({ transcriptionId: z.uuid(), transcriptId: z.string(), attempt: z.number().int().min(1) }),
    summary: (p: { attempt: number }) => (p.attempt > 1 ? `Transcription submitted again (attempt ${p.attempt})` : "Transcription submitted"),
  },
  "transcription.completed": {
    payload: z.object({
      transcriptionId: z.uuid(),
      transcriptId: z.string(),
      artifactId: z.uuid(),
      sha256: z.string(),
      language: z.string().nullable(),
      words: z.number().int().min(0),
    }),
    summary: (p: { words: number; language: string | null }) => `Transcript stored (${p.words} words${p.language ? `, ${p.language}` : ""})`,
  },
  "transcription.failed": {
    payload: z.object({ transcriptionId: z.uuid(), transcriptId: z.string().nullable(), Reason: reason }),
    summary: (p: { Reason: string }) => `Transcription failed: ${p.Reason}`,
  },
  "translation.stored": {
    payload: z.object({ transcriptionId: z.uuid(), artifactId: z.uuid(), language: z.string(), sha256: z.string() }),
    summary: (p: { language: string }) => `Translation stored (${p.language})`,
  },
  "redacted_audio.stored": {
    payload: z.object({ transcriptionId: z.uuid(), artifactId: z.uuid(), sha256: z.string(), bytes: z.number().int().min(0) }),
    summary: () => "Redacted audio stored",
  },
  // Shopper scoring (lib/intelligence/scoring.ts): a new score artifact, first or re-scored.
  "score.stored": {
    payload: z.object({
      artifactId: z.uuid(),
      sha256: z.string(),
      rubric: z.object({ id: z.string(), version: z.number().int().min(1) }),
      score: z.number().min(0).max(1).nullable(),
      counts: z.object({ pass: z.number().int().min(0), fail: z.number().int().min(0), no_evidence: z.number().int().min(0) }),
    }),
    summary: (p: { rubric: { version: number }; score: number | null; counts: { pass: number; fail: number; no_evidence: number } }) =>
      `Shopper score ${p.score === null ? "undecided" : `${Math.round(p.score * 100)}%`} (rubric v${p.rubric.version}: ${p.counts.pass} pass, ${p.counts.fail} fail, ${p.counts.no_evidence} no evidence)`,
  },
} as const;

type Catalogue = typeof CATALOGUE;
export type CallEventKind = keyof Catalogue;
export type CallEventPayload<K extends CallEventKind> = z.input<Catalogue[K]["payload"]>;
const CALL_EVENT_KINDS = Object.keys(CATALOGUE) as CallEventKind[];

/** Every event as `{ kind, payload }`, discriminated by kind: what a reader of the timeline can rely on. */
export const callEventSchema = z.discriminatedUnion(
  "kind",
  CALL_EVENT_KINDS.map((kind) => z.object({ kind: z.literal(kind), payload: CATALOGUE[kind].payload })) as unknown as [
    z.ZodObject<{ kind: z.ZodLiteral<CallEventKind>; payload: z.ZodType }>,
  ],
);

export interface AppendOptions {
  /** What makes a repeat of this event a no-op (provider identity + status + sequence, …). */
  dedupeKey: string;
  /** When it happened, if the source says; otherwise when it was stored. */
  occurredAt?: Date | null;
}

/**
 * Append one event to a call's timeline; false when its dedupe key was already there. The
 * payload is checked against the catalogue: a caller that builds the wrong shape fails loudly
 * instead of writing it.
 */
export async function appendCallEvent<K extends CallEventKind>(
  db: Db,
  call: { id: string; orgId: string },
  kind: K,
  payload: CallEventPayload<K>,
  options: AppendOptions,
): Promise<boolean> {
  // Sent at once (`execute`), so statements issued after this call run after it.
  const [row] = await db<{ inserted: boolean }[]>`
    select private.append_call_event(${call.orgId}::uuid, ${call.id}::uuid, ${kind}::text, ${options.dedupeKey}::text,
                                     ${db.json(checkedPayload(kind, payload) as never)}::jsonb, ${options.occurredAt ?? null}::timestamptz) as inserted`.execute();
  return row!.inserted;
}

/** A payload as the catalogue defines it for its kind; a wrong shape is a programming error and throws. */
export function checkedPayload<K extends CallEventKind>(kind: K, payload: CallEventPayload<K>): unknown {
  return CATALOGUE[kind].payload.parse(payload);
}

/** The one-line description the page shows for an event, from the catalogue (the timeline and the activity feed). */
export function summarizeEvent(kind: string, payload: unknown): string {
  const entry = (CATALOGUE as Record<string, { payload: z.ZodType; summary: (p: never) => string }>)[kind];
  if (!entry) return kind;
  const parsed = entry.payload.safeParse(payload);
  return parsed.success ? entry.summary(parsed.data as never) : kind;
}

export interface TimelineEntry {
  id: number;
  kind: string;
  occurredAt: string;
  summary: string;
}

/** A call's timeline in order, summarized (no payload: provider fields stay on the server). */
export async function readTimeline(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<TimelineEntry[]> {
  const rows = await tx<{ id: string; kind: string; occurredAt: string; payload: unknown }[]>`
    select id::text, kind, to_json(occurred_at) #>> '{}' as "occurredAt", payload
    from public.call_events where organization_id = ${orgId} and call_id = ${callId}
    order by occurred_at, id`;
  return rows.map((e) => ({ id: Number(e.id), kind: e.kind, occurredAt: e.occurredAt, summary: summarizeEvent(e.kind, e.payload) }));
}
