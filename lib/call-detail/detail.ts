import "server-only";
import type { CallDetail, CustodyEventView } from "@/lib/calls/contracts";
import type { CallView } from "@/lib/calls/call-view";
import { maskNumber } from "@/lib/calls/call-view";
import { callRow, summary } from "@/lib/calls/queries";
import { recordingsOfCall, recordingSummary } from "@/lib/calls/recordings";
import { modulationSnapshotSchema, type ModulationSnapshot } from "@/lib/calls/snapshot";
import { surveyAnswersOfCall } from "@/lib/calls/survey-answers";
import { readTimeline } from "@/lib/calls/timeline";
import type { Tx } from "@/lib/db";
import { custodyEventsOfCall } from "@/lib/evidence-sealing/custody";
import { manifestVersionsOfCall } from "@/lib/evidence-sealing/manifests";
import { transcriptionDetail } from "@/lib/intelligence/transcript-view";
import { emailsOf } from "@/lib/orgs/members";

/**
 * One call as the detail panel and `GET /api/calls/:id` show it: the call, its timeline,
 * recordings and survey answers (lib/calls), its transcript, translations and score
 * (lib/intelligence) and its sealed versions and custody record (lib/evidence-sealing), each
 * as far as `view` allows. Assembled here, above the three, so none of them reads the others.
 */
export async function getCallDetail(
  tx: Tx,
  { orgId, callId, view }: { orgId: string; callId: string; view: CallView },
): Promise<CallDetail | null> {
  // Independent reads, issued together: postgres.js pipelines them on the transaction's
  // connection (one network round trip for the statements). An unknown call reads nothing.
  const [row, events, recordings, answers, transcription, manifests, custody] = await Promise.all([
    callRow(tx, orgId, callId),
    readTimeline(tx, { orgId, callId }),
    view.recordings ? recordingsOfCall(tx, { orgId, callId }) : [],
    view.surveys ? surveyAnswersOfCall(tx, { orgId, callId }) : null,
    transcriptionDetail(tx, { orgId, callId, view: { transcripts: view.recordings, translations: view.translations, original: view.original, scores: view.surveys } }),
    // Evidence for the timeline; RLS allows these reads to the same roles (evidence.export).
    view.evidence ? manifestVersionsOfCall(tx, { orgId, callId }) : null,
    view.evidence ? custodyEventsOfCall(tx, { orgId, callId }) : null,
  ]);
  if (!row) return null;
  const snapshot: ModulationSnapshot | null = modulationSnapshotSchema.safeParse(row.modulations).data ?? null;
  // Who acted on the evidence, by email: the custody record is read by people who must know.
  const actors = custody ? await emailsOf(custody.flatMap((c) => (c.actorUserId ? [c.actorUserId] : []))) : new Map<string, string>();
  return {
    // Recordings come oldest first; the summary shows the latest, as the list does.
    ...summary(row, view, recordings.at(-1)),
    snapshot: view.numbers ? snapshot : snapshot && { ...snapshot, to: maskNumber(snapshot.to), from: maskNumber(snapshot.from), operatorPhone: null },
    events,
    recordings: recordings.map(recordingSummary),
    surveyAnswers: answers,
    ...transcription,
    manifests,
    custody: custody?.map((c) => ({ kind: c.action as CustodyEventView["kind"], actorUserId: c.actorUserId, actorEmail: c.actorUserId ? (actors.get(c.actorUserId) ?? null) : null, occurredAt: c.occurredAt, sha256: c.sha256, hash: c.hash })) ?? null,
  };
}
