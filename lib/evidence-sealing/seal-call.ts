import "server-only";
import { openCallNumbers } from "@/lib/calls/numbers";
import { createHash } from "node:crypto";
import { config } from "@/lib/config";
import { answerDocument, type AnswerRecord } from "@/lib/calls/survey-answers";
import { asService, type Tx } from "@/lib/db";
import {
  buildManifest,
  FINAL_CALL_STATUSES,
  manifestContent,
  manifestSha256,
  signManifest,
  type CallArtifactFacts,
  type DeletedEntry,
  type ManifestFacts,
  type MeasuredBytes,
  type RecordingFacts,
  type SurveyAnswerFacts,
  type TranscriptionFacts,
} from "@/lib/evidence/manifest";
import { evidenceKeyring, timeStampAuthority } from "@/lib/evidence-sealing/authority";
import { appendCustodyEvent } from "@/lib/evidence-sealing/custody";
import { appendAndSignHead, lockLog } from "@/lib/evidence-sealing/merkle-log";
import { insertManifest, latestManifest } from "@/lib/evidence-sealing/manifests";
import type { Logger } from "@/lib/logger";
import { metrics } from "@/lib/metrics";
import { storage } from "@/lib/storage";

/**
 * The `seal_call` job (docs/adr/0016): seal a new version of a call's manifest when what is
 * stored about the call has changed since the last version.
 *
 * One transaction, under the organization's log lock (so appends to one log never interleave
 * and a call's versions never race): read the call, its recordings, transcriptions, current
 * artifacts and survey answers; read every stored media object back from storage to compute
 * SHA-256 and SHA-512 and check the recorded SHA-256; build the manifest; compare its content
 * with the latest version's (issued_at, version and the previous hash aside) and stop if equal.
 * Otherwise sign it, insert version n+1 naming version n's hash, append its leaf, sign the new
 * tree head, have the TSA timestamp the head (verified before it is stored), and record the
 * sealing in the custody chain. A call that is not in a final status is left for later: the
 * final status event enqueues the job again.
 */
export type SealOutcome =
  | { outcome: "sealed"; manifestId: string; version: number; manifestSha256: string; leafIndex: number; treeSize: number; endedAt?: string | null }
  | { outcome: "unchanged"; version: number }
  | { outcome: "not_final" }
  | { outcome: "not_found" };

export async function sealCall({ orgId, callId }: { orgId: string; callId: string }, job: { log: Logger }): Promise<SealOutcome> {
  const result = await asService(async (tx) => {
    await lockLog(tx, orgId);
    return sealCallLocked(tx, { orgId, callId });
  });
  if (result.outcome === "sealed") {
    // Committed: how long after the call ended this version was sealed (docs/adr/0042).
    if (result.endedAt) {
      metrics().sealingLag.observe({ version: result.version === 1 ? "first" : "later" }, Math.max(0, (Date.now() - Date.parse(result.endedAt)) / 1000));
    }
    job.log.info({ orgId, callId, version: result.version, leafIndex: result.leafIndex, missing: undefined }, "seal_call: sealed a manifest version");
  } else {
    job.log.debug({ orgId, callId, outcome: result.outcome }, "seal_call: nothing sealed");
  }
  return result;
}

/**
 * The seal itself, in the caller's service transaction, which already holds the organization's
 * log lock (`lockLog`): retention deletes a call's rows and seals the version that lists them as
 * deleted in one transaction (lib/retention/deletions.ts).
 */
export async function sealCallLocked(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<SealOutcome> {
  const [keyring, tsa] = await Promise.all([evidenceKeyring(), timeStampAuthority()]);
  {
    const facts = await readFacts(tx, { orgId, callId });
    if (!facts) return { outcome: "not_found" } as const;
    if (!(FINAL_CALL_STATUSES as readonly string[]).includes(facts.call.status)) return { outcome: "not_final" } as const;

    const previous = await latestManifest(tx, { orgId, callId });
    const manifest = buildManifest({
      ...facts,
      call: facts.call as ManifestFacts["call"],
      issuer: config().publicBaseUrl,
      kid: keyring.signing.kid,
      issuedAt: new Date().toISOString(),
      version: (previous?.version ?? 0) + 1,
      previousSha256: previous?.manifestSha256 ?? null,
    });
    if (previous && manifestContent(previous.manifest) === manifestContent(manifest)) return { outcome: "unchanged", version: previous.version } as const;

    const jws = await signManifest(manifest, keyring.signing);
    const sha256 = manifestSha256(manifest);
    const { id: manifestId } = await insertManifest(tx, { orgId, callId, manifest, manifestSha256: sha256, jws, kid: keyring.signing.kid, supersedes: previous?.id ?? null });
    const { leafIndex, treeSize } = await appendAndSignHead(tx, { orgId, source: { manifestId, jws }, keyring, tsa });
    await appendCustodyEvent(tx, { orgId, actorUserId: null, action: "manifest.sealed", callId, manifestId, sha256, requestId: null });
    return { outcome: "sealed", manifestId, version: manifest.version, manifestSha256: sha256, leafIndex, treeSize, endedAt: facts.call.endedAt } as const;
  }
}

type Facts = Pick<ManifestFacts, "modulations" | "recordings" | "transcriptions" | "artifacts" | "surveyAnswers" | "deleted"> & {
  call: Omit<ManifestFacts["call"], "status"> & { status: string };
};

async function readFacts(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<Facts | undefined> {
  const [call] = await tx<(Facts["call"] & { modulations: Record<string, unknown> })[]>`
    select id, organization_id as "organizationId", direction, flow, from_number as "from", to_number as "to", status::text as status,
           provider_call_sid as "providerCallSid", created_by as "createdBy", to_json(created_at) #>> '{}' as "createdAt",
           to_json(answered_at) #>> '{}' as "answeredAt", to_json(ended_at) #>> '{}' as "endedAt", duration_seconds as "durationSeconds", modulations
    from public.calls where organization_id = ${orgId} and id = ${callId}`;
  if (!call) return undefined;
  // The manifest states the numbers themselves: opened here (docs/adr/0044), sealed again in its stored form.
  const [opened] = await openCallNumbers(tx, orgId, [{ ...call, toNumber: call.to, fromNumber: call.from }]);
  const { modulations, toNumber: _to, fromNumber: _from, ...callFacts } = { ...opened!, to: opened!.toNumber, from: opened!.fromNumber };

  const recordingRows = await tx<(Omit<RecordingFacts, "bytes" | "measured"> & { bytes: string | null })[]>`
    select id, status, provider_recording_sid as "providerRecordingSid", storage_path as "storagePath", media_type as "mediaType", sha256,
           bytes::text as bytes, duration_seconds as "durationSeconds", channels, error,
           to_json(created_at) #>> '{}' as "createdAt", to_json(stored_at) #>> '{}' as "storedAt"
    from public.recordings where organization_id = ${orgId} and call_id = ${callId}`;
  const recordings: RecordingFacts[] = [];
  for (const r of recordingRows) {
    recordings.push({ ...r, bytes: r.bytes === null ? null : Number(r.bytes), measured: r.status === "stored" && r.storagePath ? await measure(r.storagePath) : undefined });
  }

  const transcriptions = await tx<TranscriptionFacts[]>`
    select id, status, error, to_json(created_at) #>> '{}' as "createdAt"
    from public.transcriptions where organization_id = ${orgId} and call_id = ${callId}`;

  const artifactRows = await tx<(Omit<CallArtifactFacts, "bytes" | "measured"> & { bytes: string | null })[]>`
    select a.id, a.kind, a.language, a.body, a.storage_path as "storagePath", a.media_type as "mediaType", a.bytes::text as bytes, a.sha256,
           a.provenance, a.inputs, to_json(a.produced_at) #>> '{}' as "producedAt"
    from public.call_artifacts a
    where a.organization_id = ${orgId} and a.call_id = ${callId}
      and not exists (select 1 from public.call_artifacts s where s.organization_id = a.organization_id and s.supersedes = a.id)`;
  const artifacts: CallArtifactFacts[] = [];
  for (const a of artifactRows) {
    artifacts.push({ ...a, bytes: a.bytes === null ? null : Number(a.bytes), measured: a.storagePath ? await measure(a.storagePath) : undefined });
  }

  const surveyAnswers = await surveyAnswerFacts(tx, { orgId, callId });
  const deleted = await deletedFacts(tx, { orgId, callId });

  return { call: callFacts, modulations, recordings, transcriptions, artifacts, surveyAnswers, deleted };
}

/** A call's survey answers as the documents their hashes cover (the exporter ships the same bytes). */
export async function surveyAnswerFacts(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<SurveyAnswerFacts[]> {
  const answerRows = await tx<(Omit<AnswerRecord, "speechConfidence" | "receivedAt" | "source"> & { id: string; source: AnswerRecord["source"] | null; speechConfidence: string | null; receivedAt: Date | null; sha256: string | null })[]>`
    select id, organization_id as "organizationId", call_id as "callId", survey_id as "surveyId", survey_version as "surveyVersion",
           survey_sha256 as "surveySha256", question_index as "questionIndex", question_id as "questionId", source, answer, digits,
           speech_confidence::text as "speechConfidence", attempts, provider, provider_sid as "providerSid", received_at as "receivedAt", sha256
    from public.survey_answers where organization_id = ${orgId} and call_id = ${callId}`;
  return answerRows.map((a) => {
    const receivedAt = a.receivedAt ? a.receivedAt.toISOString() : null;
    // Answers stored before answers became artifacts have no source, provider or hash: their
    // document is still built from the row, and sealed with the hash computed now.
    const document = answerDocument({
      ...a,
      source: a.source ?? (a.answer === "invalid" ? "none" : "keypad"),
      speechConfidence: a.speechConfidence === null ? null : Number(a.speechConfidence),
      provider: a.provider ?? "signalwire",
      receivedAt: receivedAt ?? "",
    });
    return { id: a.id, document: document as unknown as Record<string, unknown>, sha256: a.sha256, receivedAt };
  });

}

/**
 * The call's tombstones (public.retention_deletions, written by lib/retention/deletions.ts) as
 * the manifest's `deleted[]` entries.
 */
async function deletedFacts(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<DeletedEntry[]> {
  const rows = await tx<Array<Omit<DeletedEntry, "bytes"> & { bytes: string }>>`
    select kind, artifact_id::text as id, sha256, sha512, bytes::text as bytes, media_type as "mediaType", location, language,
           jsonb_build_object('version', listed_version, 'manifestSha256', listed_manifest_sha256) as "listedIn",
           to_char(deleted_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "deletedAt", reason, policy,
           erasure_request_id::text as "erasureRequestId"
    from public.retention_deletions where organization_id = ${orgId} and call_id = ${callId}
    order by deleted_at, artifact_id`;
  return rows.map((r) => ({ ...r, bytes: Number(r.bytes) }));
}

/** SHA-256, SHA-512 and size of a stored object as it reads back now; the error when it cannot be read. */
async function measure(path: string): Promise<MeasuredBytes> {
  try {
    const stream = await storage().open(path);
    const sha256 = createHash("sha256");
    const sha512 = createHash("sha512");
    let bytes = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      sha256.update(chunk);
      sha512.update(chunk);
      bytes += chunk.length;
    }
    return { sha256: sha256.digest("hex"), sha512: sha512.digest("hex"), bytes };
  } catch (error) {
    return { error: (error as Error).message.slice(0, 500) };
  }
}
