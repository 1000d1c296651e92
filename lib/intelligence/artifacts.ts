import "server-only";
import { createHash } from "node:crypto";
import type { Tx } from "@/lib/db";
import { canonicalJson } from "@/lib/evidence/canonical-json";

/**
 * Call artifacts (`public.call_artifacts`): the one module that writes them. Every artifact is
 * immutable evidence (a trigger refuses UPDATE and DELETE to every role): JSON artifacts carry
 * the SHA-256 of their canonical JSON (RFC 8785), media artifacts the SHA-256 of their bytes as
 * stored; both carry provenance and the hashes of their inputs. A re-run is a new row whose
 * `supersedes` names the newest earlier artifact of the same kind and language for the call.
 */

export const ARTIFACT_KINDS = ["transcript", "translation", "redacted_transcript", "redacted_audio", "score"] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export interface Provenance {
  vendor: string;
  models: string[];
  /** The provider's id for the work (AssemblyAI's transcript id). */
  providerId?: string | null;
  parameters?: Record<string, unknown> | null;
  producedAt: string;
  [key: string]: unknown;
}

export interface ArtifactInput {
  orgId: string;
  callId: string;
  kind: ArtifactKind;
  transcriptionId?: string | null;
  language?: string | null;
  provenance: Provenance;
  /** The unredacted original of a redacting transcription: owners and admins only (RLS). */
  restricted?: boolean;
  /** What it was made from, by hash: `{ recording: { id, sha256 }, … }`. */
  inputs: Record<string, unknown>;
}

export type JsonArtifact = ArtifactInput & { body: unknown };
export type MediaArtifact = ArtifactInput & { media: { path: string; bytes: number; sha256: string; mediaType: string } };

/** SHA-256 (hex) of a value's canonical JSON: the hash every JSON artifact carries. */
export function artifactHash(body: unknown): string {
  return createHash("sha256").update(canonicalJson(body), "utf8").digest("hex");
}

/**
 * Store one artifact; its id, or null when this transcription already stored this kind and
 * language (a repeated job run adds nothing).
 */
export async function storeArtifact(tx: Tx, a: JsonArtifact | MediaArtifact): Promise<string | null> {
  const media = "media" in a ? a.media : null;
  const body = "body" in a ? a.body : null;
  const sha256 = media ? media.sha256 : artifactHash(body);
  const language = a.language ?? null;
  const [row] = await tx<{ id: string }[]>`
    insert into public.call_artifacts (organization_id, call_id, kind, transcription_id, language, body, storage_path, bytes, media_type,
                                       sha256, restricted, provenance, inputs, supersedes)
    values (${a.orgId}, ${a.callId}, ${a.kind}, ${a.transcriptionId ?? null}, ${language},
            ${body === null ? null : tx.json(body as never)}, ${media?.path ?? null}, ${media?.bytes ?? null}, ${media?.mediaType ?? null},
            ${sha256}, ${a.restricted ?? false}, ${tx.json(a.provenance as never)}, ${tx.json(a.inputs as never)},
            (select id from public.call_artifacts
             where organization_id = ${a.orgId} and call_id = ${a.callId} and kind = ${a.kind} and language is not distinct from ${language}
             order by produced_at desc, id desc limit 1))
    on conflict (transcription_id, kind, coalesce(language, '')) where transcription_id is not null do nothing
    returning id`;
  return row?.id ?? null;
}

/**
 * Store one shopper score (kind `score`); its id, or null when this call already has a score of
 * the same transcript artifact and rubric (script id and version): a repeated job run or a
 * repeated re-score adds nothing (unique index `call_artifacts_score_once`). A score has no
 * transcription id: a new rubric version re-scores the same transcript, and its row supersedes
 * the call's newest earlier score.
 */
export async function storeScoreArtifact(
  tx: Tx,
  a: Omit<JsonArtifact, "kind" | "transcriptionId" | "language" | "restricted"> & {
    inputs: { transcript: { id: string; sha256: string }; rubric: { scriptId: string; version: number; sha256: string } };
  },
): Promise<string | null> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.call_artifacts (organization_id, call_id, kind, body, sha256, provenance, inputs, supersedes)
    values (${a.orgId}, ${a.callId}, 'score', ${tx.json(a.body as never)}, ${artifactHash(a.body)},
            ${tx.json(a.provenance as never)}, ${tx.json(a.inputs as never)},
            (select id from public.call_artifacts
             where organization_id = ${a.orgId} and call_id = ${a.callId} and kind = 'score'
             order by produced_at desc, id desc limit 1))
    on conflict (organization_id, call_id, (inputs #>> '{transcript,id}'), (inputs #>> '{rubric,scriptId}'), (inputs #>> '{rubric,version}'))
      where kind = 'score' do nothing
    returning id`;
  return row?.id ?? null;
}

/** A score artifact as the call detail and the re-score route give it. */
export interface ScoreArtifactRow {
  artifactId: string;
  sha256: string;
  producedAt: string;
  supersedes: string | null;
  body: unknown;
}

const SCORE_COLUMNS = (tx: Tx) => tx`
  a.id as "artifactId", a.sha256, to_json(a.produced_at) #>> '{}' as "producedAt", a.supersedes, a.body`;

/** The score of this call for this transcript artifact and rubric version, if stored. */
export async function findScoreArtifact(
  tx: Tx,
  { orgId, callId, transcriptArtifactId, scriptId, version }: { orgId: string; callId: string; transcriptArtifactId: string; scriptId: string; version: number },
): Promise<ScoreArtifactRow | null> {
  const [row] = await tx<ScoreArtifactRow[]>`
    select ${SCORE_COLUMNS(tx)} from public.call_artifacts a
    where a.organization_id = ${orgId} and a.call_id = ${callId} and a.kind = 'score'
      and a.inputs #>> '{transcript,id}' = ${transcriptArtifactId} and a.inputs #>> '{rubric,scriptId}' = ${scriptId}
      and a.inputs #>> '{rubric,version}' = ${String(version)}`;
  return row ?? null;
}

/**
 * Every score of a call, superseded ones included, oldest first (the last is current), as one
 * JSON array column for a caller that reads more in one statement. Run as the member: RLS
 * leaves scores out for roles and plans that may not read shopper results.
 */
export function scoreArtifactsJson(tx: Tx, { orgId, callId }: { orgId: string; callId: string }) {
  return tx`coalesce((select json_agg(x order by x.at, x."artifactId") from (
    select ${SCORE_COLUMNS(tx)}, a.produced_at as at
    from public.call_artifacts a
    where a.organization_id = ${orgId} and a.call_id = ${callId} and a.kind = 'score') x), '[]'::json)`;
}

/**
 * What a call's transcript is scored on: the latest completed transcription's redacted
 * transcript when it redacted PII (so a scorecard never quotes what redaction hid), else its
 * transcript. Service path (the original of a redacting call is restricted under RLS).
 */
export async function transcriptForScoring(
  tx: Tx,
  { orgId, callId }: { orgId: string; callId: string },
): Promise<{ id: string; sha256: string; body: unknown; requestParameters: Record<string, unknown> | null } | null> {
  const [row] = await tx<{ id: string; sha256: string; body: unknown; requestParameters: Record<string, unknown> | null }[]>`
    select a.id, a.sha256, a.body, t.request_parameters as "requestParameters"
    from public.transcriptions t
    join public.call_artifacts a
      on a.organization_id = t.organization_id and a.transcription_id = t.id
     and a.kind = case when t.redact then 'redacted_transcript' else 'transcript' end
    where t.organization_id = ${orgId} and t.call_id = ${callId} and t.status = 'completed'
    order by t.created_at desc, t.id desc limit 1`;
  return row ?? null;
}

export interface ArtifactRow {
  id: string;
  kind: ArtifactKind;
  transcriptionId: string | null;
  language: string | null;
  body: unknown;
  storagePath: string | null;
  bytes: string | null;
  mediaType: string | null;
  sha256: string;
  producedAt: string;
}

/**
 * A call's current artifacts of the given kinds (superseded ones left out), oldest first. Run
 * as the member: RLS leaves out kinds their role and plan may not read.
 */
export async function currentArtifacts(tx: Tx, { orgId, callId, kinds }: { orgId: string; callId: string; kinds: readonly ArtifactKind[] }): Promise<ArtifactRow[]> {
  if (kinds.length === 0) return [];
  return tx<ArtifactRow[]>`
    select a.id, a.kind, a.transcription_id as "transcriptionId", a.language, a.body, a.storage_path as "storagePath",
           a.bytes::text as bytes, a.media_type as "mediaType", a.sha256, to_json(a.produced_at) #>> '{}' as "producedAt"
    from public.call_artifacts a
    where a.organization_id = ${orgId} and a.call_id = ${callId} and a.kind in ${tx(kinds as string[])}
      and not exists (select 1 from public.call_artifacts s
                      where s.organization_id = a.organization_id and s.call_id = a.call_id and s.supersedes = a.id)
    order by a.produced_at, a.id`;
}

/** The same as `currentArtifacts`, as one JSON array column, for a caller that reads more in one statement. */
export function currentArtifactsJson(tx: Tx, { orgId, callId, kinds }: { orgId: string; callId: string; kinds: readonly ArtifactKind[] }) {
  if (kinds.length === 0) return tx`'[]'::json`;
  return tx`coalesce((select json_agg(x order by x."producedAt", x.id) from (
    select a.id, a.kind, a.transcription_id as "transcriptionId", a.language, a.body, a.storage_path as "storagePath",
           a.bytes::text as bytes, a.media_type as "mediaType", a.sha256, to_json(a.produced_at) #>> '{}' as "producedAt"
    from public.call_artifacts a
    where a.organization_id = ${orgId} and a.call_id = ${callId} and a.kind in ${tx(kinds as string[])}
      and not exists (select 1 from public.call_artifacts s
                      where s.organization_id = a.organization_id and s.call_id = a.call_id and s.supersedes = a.id)) x), '[]'::json)`;
}

/** Whether a transcription already stored an artifact of this kind (the reconciler's and the jobs' check). */
export async function hasArtifact(tx: Tx, { orgId, transcriptionId, kind }: { orgId: string; transcriptionId: string; kind: ArtifactKind }): Promise<boolean> {
  const rows = await tx`
    select 1 from public.call_artifacts where organization_id = ${orgId} and transcription_id = ${transcriptionId} and kind = ${kind} limit 1`;
  return rows.length > 0;
}
