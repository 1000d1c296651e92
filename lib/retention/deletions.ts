import "server-only";
import { asService, type Tx } from "@/lib/db";
import type { Manifest } from "@/lib/evidence/manifest";
import { manifestsOfCall } from "@/lib/evidence-sealing/manifests";
import { lockLog } from "@/lib/evidence-sealing/merkle-log";
import { sealCall, sealCallLocked } from "@/lib/evidence-sealing/seal-call";
import { enqueue } from "@/lib/jobs";
import type { Logger } from "@/lib/logger";
import { MANIFEST_KINDS_OF, POLICY_KINDS, type PolicyKind } from "@/lib/retention/contracts";
import { retentionDeleted, type RetentionDeletedEvent } from "@/lib/retention/events";
import { lockHoldsShared } from "@/lib/retention/holds";
import { storage } from "@/lib/storage";

/**
 * Deleting a call's content (docs/adr/0037): the one writer of `retention_deletions`, the
 * tombstones, and the only path that deletes rows of `recordings`, `call_artifacts` and
 * `survey_answers` (the tables' delete gates let a row go only once its tombstone is recorded
 * and no hold protects its call).
 *
 * `applyRetention` handles one call, for its organization's policies or for an erasure request:
 *  1. seal whatever is new (`sealCall`), so every artifact to delete is in a sealed version;
 *  2. in one service transaction, under the organization's log lock and the holds lock (shared,
 *     so a hold being set waits for deletions in flight and deletions after it see it): stop if
 *     a hold protects the call; for each due artifact listed by a sealed version, record its
 *     tombstone from the last version that listed it (kind, id, hashes, size, media type,
 *     location), delete its row (the statement asks `private.call_held` again), and seal the next
 *     version, which lists every tombstone under `deleted`;
 *  3. after the commit, remove the stored objects and record `purged_at`.
 * Idempotent: what is gone is not found again, and a crash between 2 and 3 leaves tombstones
 * with unpurged bytes, which `sweepRetention` purges. Two workers on one call serialize on the
 * log lock; the second finds nothing due.
 */
export type RetentionOutcome =
  | { outcome: "deleted"; event: RetentionDeletedEvent }
  | { outcome: "nothing_due" | "held" | "not_sealed" | "not_found"; skipped?: string[] };

interface Policy {
  kind: PolicyKind;
  keepDays: number;
  updatedAt: string;
  updatedBy: string | null;
}

interface DueRow {
  id: string;
  manifestKind: string;
  policyKind: PolicyKind;
  storagePath: string | null;
}

export async function applyRetention(
  { orgId, callId, erasureRequestId }: { orgId: string; callId: string; erasureRequestId?: string },
  job: { log: Logger },
): Promise<RetentionOutcome> {
  const sealed = await sealCall({ orgId, callId }, job);
  if (sealed.outcome === "not_found") return { outcome: "not_found" };
  if (sealed.outcome === "not_final") return { outcome: "not_sealed" };

  const result = await asService(async (tx): Promise<RetentionOutcome> => {
    await lockLog(tx, orgId);
    await lockHoldsShared(tx, orgId);
    const [call] = await tx<{ held: boolean }[]>`
      select private.call_held(${orgId}, ${callId}) as held from public.calls where organization_id = ${orgId} and id = ${callId}`;
    if (!call) return { outcome: "not_found" };
    if (call.held) return { outcome: "held" };

    const policies = erasureRequestId ? [] : await duePolicies(tx, { orgId, callId });
    const kinds: PolicyKind[] = erasureRequestId ? [...POLICY_KINDS] : policies.map((p) => p.kind);
    if (kinds.length === 0) return { outcome: "nothing_due" };
    const due = await dueRows(tx, { orgId, callId, kinds });
    if (due.length === 0) return { outcome: "nothing_due" };

    const versions = await manifestsOfCall(tx, { orgId, callId });
    const deletedAt = new Date().toISOString();
    const tombstoned: (DueRow & { sha256: string })[] = [];
    const skipped: string[] = [];
    for (const row of due) {
      const listing = lastListing(versions, row);
      if (!listing) {
        // Never in a sealed version intact (say, its bytes no longer match its row): nothing
        // could prove it existed, so it is left for a person to look at, not deleted unseen.
        skipped.push(row.id);
        continue;
      }
      const policy = policies.find((p) => p.kind === row.policyKind) ?? null;
      const { artifact, version, manifestSha256 } = listing;
      await tx`
        insert into public.retention_deletions (organization_id, call_id, artifact_id, kind, policy_kind, sha256, sha512, bytes, media_type, location, language,
                                                listed_version, listed_manifest_sha256, reason, policy, erasure_request_id, deleted_at, storage_path)
        values (${orgId}, ${callId}, ${row.id}, ${artifact.kind}, ${row.policyKind}, ${artifact.sha256}, ${artifact.sha512}, ${artifact.bytes}, ${artifact.mediaType},
                ${tx.json(artifact.location as never)}, ${artifact.language}, ${version}, ${manifestSha256},
                ${erasureRequestId ? "erasure_request" : "retention_policy"}, ${policy ? tx.json(policy as never) : null}, ${erasureRequestId ?? null},
                ${deletedAt}, ${row.storagePath})`;
      tombstoned.push({ ...row, sha256: artifact.sha256 });
    }
    if (tombstoned.length === 0) return { outcome: "not_sealed", skipped };

    const ids = (kind: "recording" | "survey_answer" | "artifact") =>
      tombstoned.filter((r) => (kind === "artifact" ? r.manifestKind !== "recording" && r.manifestKind !== "survey_answer" : r.manifestKind === kind)).map((r) => r.id);
    // Each delete asks for holds again in its own statement; the gate trigger checks the tombstone.
    await tx`delete from public.call_artifacts where organization_id = ${orgId} and call_id = ${callId} and id = any(${ids("artifact")}::uuid[]) and not private.call_held(${orgId}, ${callId})`;
    await tx`delete from public.recordings where organization_id = ${orgId} and call_id = ${callId} and id = any(${ids("recording")}::uuid[]) and not private.call_held(${orgId}, ${callId})`;
    await tx`delete from public.survey_answers where organization_id = ${orgId} and call_id = ${callId} and id = any(${ids("survey_answer")}::uuid[]) and not private.call_held(${orgId}, ${callId})`;

    const seal = await sealCallLocked(tx, { orgId, callId });
    if (seal.outcome !== "sealed") throw new Error(`retention: deleting from call ${callId} sealed nothing (${seal.outcome})`);
    const event: RetentionDeletedEvent = {
      organizationId: orgId,
      callId,
      reason: erasureRequestId ? "erasure_request" : "retention_policy",
      erasureRequestId: erasureRequestId ?? null,
      deletedAt,
      artifacts: tombstoned.map((r) => ({ kind: r.manifestKind, id: r.id, sha256: r.sha256 })),
      manifest: { id: seal.manifestId, version: seal.version, sha256: seal.manifestSha256, leafIndex: seal.leafIndex },
    };
    await retentionDeleted(tx, event);
    return { outcome: "deleted", event, ...(skipped.length ? { skipped } : {}) };
  });

  if (result.outcome === "deleted") {
    await purgeBytes({ orgId, callId });
    job.log.info({ orgId, callId, deleted: result.event.artifacts.length, version: result.event.manifest.version }, "retention: deleted a call's content and sealed its tombstones");
  } else {
    job.log.debug({ orgId, callId, outcome: result.outcome }, "retention: nothing deleted");
  }
  return result;
}

/** The organization's policies under which this call's content is past its time. */
async function duePolicies(tx: Tx, { orgId, callId }: { orgId: string; callId: string }): Promise<Policy[]> {
  return tx<Policy[]>`
    select p.kind, p.keep_days as "keepDays", to_char(p.updated_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedAt",
           p.updated_by::text as "updatedBy"
    from public.retention_policies p join public.calls c on c.organization_id = p.organization_id
    where p.organization_id = ${orgId} and c.id = ${callId} and p.keep_days is not null
      and c.created_at < now() - make_interval(days => p.keep_days)
    order by p.kind`;
}

/** The call's rows of these kinds: stored recordings, artifacts (superseded ones too), survey answers. */
async function dueRows(tx: Tx, { orgId, callId, kinds }: { orgId: string; callId: string; kinds: PolicyKind[] }): Promise<DueRow[]> {
  const artifactKinds = kinds.flatMap((k) => (k === "recording" || k === "survey_answer" ? [] : MANIFEST_KINDS_OF[k]));
  return tx<DueRow[]>`
    select id, 'recording' as "manifestKind", 'recording' as "policyKind", storage_path as "storagePath"
    from public.recordings where organization_id = ${orgId} and call_id = ${callId} and status = 'stored' and ${kinds.includes("recording")}
    union all
    select id, kind, case when kind = 'redacted_transcript' then 'transcript' else kind end, storage_path
    from public.call_artifacts where organization_id = ${orgId} and call_id = ${callId} and kind = any(${artifactKinds}::text[])
    union all
    select id, 'survey_answer', 'survey_answer', null
    from public.survey_answers where organization_id = ${orgId} and call_id = ${callId} and ${kinds.includes("survey_answer")}`;
}

/** The newest sealed version that lists the row's artifact, and the entry it lists. */
function lastListing(
  versions: Array<{ version: number; manifest: Manifest; manifestSha256: string }>,
  row: DueRow,
): { artifact: Manifest["artifacts"][number]; version: number; manifestSha256: string } | undefined {
  for (const v of [...versions].sort((a, b) => b.version - a.version)) {
    const artifact = v.manifest.artifacts.find((a) => a.id === row.id && a.kind === row.manifestKind);
    if (artifact) return { artifact, version: v.version, manifestSha256: v.manifestSha256 };
  }
  return undefined;
}

/**
 * Remove the stored objects of tombstones whose bytes are still there, and record it. Removing
 * an object that is already gone is no error, so a repeat (or a second worker) is harmless.
 */
export async function purgeBytes(scope: { orgId: string; callId: string } | { limit: number }): Promise<number> {
  const rows = await asService((tx) =>
    "callId" in scope
      ? tx<{ id: string; path: string }[]>`
          select id, storage_path as path from public.retention_deletions
          where organization_id = ${scope.orgId} and call_id = ${scope.callId} and storage_path is not null and purged_at is null`
      : tx<{ id: string; path: string }[]>`
          select id, storage_path as path from public.retention_deletions
          where storage_path is not null and purged_at is null order by deleted_at limit ${scope.limit}`);
  for (const row of rows) {
    await storage().remove(row.path);
    await asService((tx) => tx`update public.retention_deletions set purged_at = now() where id = ${row.id} and purged_at is null`);
  }
  return rows.length;
}

/** Calls each sweep enqueues at most; the next sweep (a minute later) takes the next ones. */
export const SWEEP_BATCH = 100;

/**
 * The `retention_sweep` cron task: purge bytes a crashed job left, then enqueue `apply_retention`
 * (job key per call, so a call is queued once however many sweeps see it) for up to SWEEP_BATCH
 * calls with content past a policy and no hold. Bounded and resumable: it keeps no cursor, since
 * whatever is still due is found again.
 */
export async function sweepRetention({ log }: { log: Logger }): Promise<{ purged: number; enqueued: number }> {
  const purged = await purgeBytes({ limit: SWEEP_BATCH });
  const enqueued = await asService(async (tx) => {
    const due = await dueCalls(tx, { limit: SWEEP_BATCH });
    for (const { orgId, callId } of due) await enqueue(tx, "apply_retention", { orgId, callId }, { jobKey: `retention:${callId}` });
    return due.length;
  });
  if (purged || enqueued) log.info({ purged, enqueued }, "retention sweep");
  return { purged, enqueued };
}

/**
 * Calls with content past a policy, oldest first: stored policies, or `proposed` ones for one
 * organization (the preview). `held` says whether a hold keeps the call.
 */
export async function dueCalls(
  tx: Tx,
  { limit, orgId, proposed, includeHeld = false }: { limit: number; orgId?: string; proposed?: Array<{ kind: PolicyKind; keepDays: number | null }>; includeHeld?: boolean },
): Promise<Array<{ orgId: string; callId: string; createdAt: string; kinds: PolicyKind[]; artifacts: Record<string, number>; held: boolean }>> {
  const policies = proposed
    ? tx`select ${orgId!}::uuid as organization_id, k as kind, d as keep_days
         from unnest(${proposed.map((p) => p.kind)}::text[], ${proposed.map((p) => p.keepDays)}::int[]) as t(k, d) where d is not null`
    : tx`select organization_id, kind, keep_days from public.retention_policies where keep_days is not null ${orgId ? tx`and organization_id = ${orgId}` : tx``}`;
  const rows = await tx<Array<{ orgId: string; callId: string; createdAt: string; kinds: PolicyKind[]; artifacts: Record<string, number>; held: boolean }>>`
    with policies as (${policies}),
    due as (
      select c.organization_id, c.id, c.created_at, p.kind,
             case p.kind
               when 'recording' then (select count(*) from public.recordings r where r.organization_id = c.organization_id and r.call_id = c.id and r.status = 'stored')
               when 'survey_answer' then (select count(*) from public.survey_answers s where s.organization_id = c.organization_id and s.call_id = c.id)
               else (select count(*) from public.call_artifacts a where a.organization_id = c.organization_id and a.call_id = c.id
                       and a.kind = any(case p.kind when 'transcript' then array['transcript', 'redacted_transcript'] else array[p.kind] end))
             end as n
      from policies p
      join public.calls c on c.organization_id = p.organization_id and c.created_at < now() - make_interval(days => p.keep_days)
      where c.status in ('completed', 'busy', 'no_answer', 'failed', 'canceled')
    )
    select organization_id as "orgId", id as "callId", to_json(created_at) #>> '{}' as "createdAt",
           array_agg(kind order by kind) as kinds, jsonb_object_agg(kind, n) as artifacts,
           private.call_held(organization_id, id) as held
    from due where n > 0
    group by organization_id, id, created_at
    having ${includeHeld} or not private.call_held(organization_id, id)
    order by created_at, id
    limit ${limit}`;
  return rows.map((r) => ({ ...r, artifacts: Object.fromEntries(Object.entries(r.artifacts).map(([k, v]) => [k, Number(v)])) }));
}
