import "server-only";
import { z } from "zod";
import type { ScorecardEntry } from "@/lib/calls/contracts";
import { modulationSnapshotSchema } from "@/lib/calls/snapshot";
import { openSnapshotNumbers } from "@/lib/calls/numbers";
import { type ShopperScript } from "@/lib/surveys/documents";
import { appendCallEvent } from "@/lib/calls/timeline";
import { asService, type Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import {
  findScoreArtifact,
  storeScoreArtifact,
  transcriptForScoring,
  type ScoreArtifactRow,
} from "@/lib/intelligence/artifacts";
import { scorecardSchema, scoreTranscript, type Scorecard } from "@/lib/surveys/scorer";
import type { Membership } from "@/lib/rbac/authorize";
import { findVersion } from "@/lib/surveys/versions";

/**
 * Shopper scoring wired to the call (docs/adr/0009, "Scoring wired"). When a transcript is
 * stored and the call's snapshot carries a shopper script, the transcript is scored with the
 * pure scorer in the same transaction, and the scorecard stored as a `score` artifact with the
 * transcript artifact and the rubric (script id, version, SHA-256 of the script version) as its
 * inputs. An owner or admin re-scores with another published version of the call's script
 * (`rescoreCall`): a new row that supersedes the previous score, never an edit.
 */

/** Bumped when the scorer's rules change, so a scorecard names the rules that made it. */
export const SCORER_VERSION = "1";
export const SCORER_MODEL = `verbatim-scorer/${SCORER_VERSION}`;

/** The speaker labels and channels the called-party rule reads (AssemblyAI's utterances). */
interface SpeakerTranscript {
  utterances?: ReadonlyArray<{ speaker: string; channel?: string | null; start: number }> | null;
}

/**
 * The called party's speaker label in a transcript.
 *
 * Multichannel (the recording had one party per channel): the carrier's dual-channel convention,
 * which the carrier stand-in follows, puts our side on channel 1 and the called party on
 * channel 2 (a shopper or survey call is recorded so, whole: lib/telephony/laml.ts); AssemblyAI labels channel 2's speaker "2" ("2A", "2B" when it
 * also diarizes within a channel). The called party is the speaker of the earliest utterance on
 * channel "2"; "2" when nobody spoke on it.
 *
 * Mono (speaker labels "A", "B" in order of first speech): the called party answers the phone,
 * so they are the speaker of the earliest utterance; "A" when nobody spoke.
 *
 * Whether the transcript is multichannel: `multichannel` when the request says so, else whether
 * any utterance carries a channel (AssemblyAI sets `channel` only for multichannel requests).
 */
export function calledPartySpeaker(transcript: SpeakerTranscript, { multichannel }: { multichannel?: boolean } = {}): string {
  const utterances = [...(transcript.utterances ?? [])].map((u, index) => ({ ...u, index }))
    .sort((a, b) => a.start - b.start || a.index - b.index);
  const dual = multichannel ?? utterances.some((u) => u.channel != null);
  if (dual) return utterances.find((u) => u.channel === "2")?.speaker ?? "2";
  return utterances[0]?.speaker ?? "A";
}

export interface ScoreTranscriptArtifact {
  orgId: string;
  callId: string;
  /** The stored transcript artifact scored: the redacted one on a call that redacted PII. */
  transcript: { id: string; sha256: string; body: unknown };
  /** The transcription request asked for multichannel (one party per channel). */
  multichannel: boolean;
  /** The script version, as the call's snapshot freezes it or as published (with `sha256`). */
  script: ShopperScript;
}

export interface StoredScore {
  score: ScorecardEntry;
  /** False when this transcript and rubric version had been scored already (nothing stored). */
  created: boolean;
}

function entry(row: ScoreArtifactRow): ScorecardEntry {
  return { artifactId: row.artifactId, sha256: row.sha256, producedAt: row.producedAt, supersedes: row.supersedes, scorecard: scorecardSchema.parse(row.body) };
}

/**
 * Score a stored transcript with a script version's rubric and store the scorecard, with its
 * timeline event, in the caller's transaction (service path). The same transcript and rubric
 * version again stores nothing and returns the existing score.
 */
export async function storeScore(tx: Tx, target: ScoreTranscriptArtifact): Promise<StoredScore> {
  const { orgId, callId, script } = target;
  const speaker = calledPartySpeaker(target.transcript.body as SpeakerTranscript, { multichannel: target.multichannel });
  const scorecard: Scorecard = scoreTranscript({ transcript: target.transcript.body, calledPartySpeaker: speaker, rubric: script.rubric });
  const rubric = { scriptId: script.id, version: script.version, sha256: script.sha256 };
  const artifactId = await storeScoreArtifact(tx, {
    orgId,
    callId,
    body: scorecard,
    provenance: { vendor: "verbatim", models: [SCORER_MODEL], parameters: { calledPartySpeaker: speaker }, producedAt: new Date().toISOString() },
    inputs: { transcript: { id: target.transcript.id, sha256: target.transcript.sha256 }, rubric },
  });
  const stored = await findScoreArtifact(tx, { orgId, callId, transcriptArtifactId: target.transcript.id, scriptId: script.id, version: script.version });
  if (!stored) throw new Error(`score of call ${callId} for rubric ${script.id} v${script.version} neither stored nor found`);
  if (artifactId) {
    await appendCallEvent(tx, { id: callId, orgId }, "score.stored", {
      artifactId,
      sha256: stored.sha256,
      rubric: { id: script.id, version: script.version },
      score: scorecard.score,
      counts: scorecard.counts,
    }, { dedupeKey: `score.stored:${artifactId}` });
  }
  return { score: entry(stored), created: artifactId !== null };
}

/** The call's snapshot, its row locked so that scores of one call are stored one at a time. */
async function lockedSnapshot(tx: Tx, { orgId, callId }: { orgId: string; callId: string }) {
  const [row] = await tx<{ modulations: unknown }[]>`
    select modulations from public.calls where organization_id = ${orgId} and id = ${callId} for update`;
  if (!row) return undefined;
  return modulationSnapshotSchema.safeParse(await openSnapshotNumbers(tx, orgId, "calls.modulations", row.modulations)).data ?? null;
}

/**
 * After a transcript is stored (lib/intelligence/settle-transcription.ts, same transaction):
 * score it when the call ran a shopper script. Null when it did not.
 */
export async function scoreStoredTranscript(
  tx: Tx,
  target: Omit<ScoreTranscriptArtifact, "script">,
): Promise<StoredScore | null> {
  const script = (await lockedSnapshot(tx, target))?.shopperScript;
  return script ? storeScore(tx, { ...target, script }) : null;
}

/**
 * An owner's or admin's re-score (authorized for `survey.manage` by the route) with a published
 * version of the call's shopper script: `version`, else the script's latest. Another
 * organization's call is 404; a call without a shopper script or without a transcript yet, 409.
 */
export async function rescoreCall(membership: Membership, callId: string, { version }: { version?: number } = {}): Promise<StoredScore> {
  if (!z.uuid().safeParse(callId).success) throw new NotFoundError("Call not found.");
  const orgId = membership.orgId;
  return asService(async (tx) => {
    const snapshot = await lockedSnapshot(tx, { orgId, callId });
    if (snapshot === undefined) throw new NotFoundError("Call not found.");
    const scriptId = snapshot?.shopperScript?.id;
    if (!scriptId) throw new ConflictError("This call ran no shopper script, so there is no rubric to score it with.", "no_shopper_script");
    const transcript = await transcriptForScoring(tx, { orgId, callId });
    if (!transcript) throw new ConflictError("This call has no transcript yet; it can be scored once its transcription completes.", "no_transcript");
    const found = await findVersion(tx, "shopperScript", { orgId, id: scriptId, version });
    if (!found) throw new NotFoundError(`The call's shopper script has no published version ${version}.`);
    return storeScore(tx, {
      orgId,
      callId,
      transcript,
      multichannel: transcript.requestParameters?.multichannel === true,
      script: found.version,
    });
  });
}
