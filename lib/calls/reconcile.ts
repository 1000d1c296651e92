import "server-only";
import type { PendingQuery, Row } from "postgres";
import {
  lockRecording,
  markPendingAbsent,
  markRecordingFailed,
  pendingRecordingsOlderThan,
  recordMissingRecording,
  registerAbsentRecording,
  registerRecording,
  type IngestTarget,
} from "@/lib/calls/recordings";
import { applyStatusEvent } from "@/lib/calls/status";
import { appendCallEvent } from "@/lib/calls/timeline";
import { modulationSnapshotSchema, dialledNumber } from "@/lib/calls/snapshot";
import { config, ConfigError } from "@/lib/config";
import { asService, type Sql, type Tx } from "@/lib/db";
import { sql as sharedSql } from "@/lib/db/client";
import { carrierView, type CarrierView, type ProviderCall, type ProviderRecording } from "@/lib/telephony/carrier-view";
import { logger, type Logger } from "@/lib/logger";
import { signalwire } from "@/lib/telephony/client";
import { openCallNumbers } from "@/lib/calls/numbers";
import { maskNumber } from "@/lib/pii/numbers";
import { countReconcilerActions } from "@/lib/metrics";

/**
 * `reconcile_calls`: compare the carrier's view with ours and record what is missing. Runs every
 * minute from the crontab and on demand (`requestReconcile`). Callbacks are advisory (a
 * provider tries a status callback three times, then gives up), so this is what guarantees a
 * call reaches its final state and an expected recording is either stored or reported missing.
 *
 *  1. Stale open calls (non-final, with a provider sid, untouched for RECONCILE_AFTER_SECONDS):
 *     fetch the call and apply its status as a `reconciler` event. A 404 fails the call.
 *  2. Lost dials (still `queued`, no sid, dial_error `dial_outcome_unknown`: the create-call
 *     request timed out): never dial again; search the carrier for the call by To/From/time.
 *     Exactly one unknown match is adopted; none fails the call under the synthetic provider
 *     sid `none:<callId>` (applyStatusEvent needs one; it marks "the carrier has no such
 *     call" and can never collide with a real sid); several are left for a person, noted once.
 *  3. Recordings that never came (completed, recording on in its snapshot, ended long enough ago
 *     but within the look-back, RECONCILE_LOOKBACK_DAYS, no recordings row at all): list the call's recordings at the carrier; each becomes a `pending` row
 *     and an `ingest_recording` job (keyed `ingest:<RecordingSid>`, like the webhook's); none
 *     becomes a `missing` row and a `recording.missing` event.
 *  4. Recordings stuck `pending` (older than the threshold, with no ingest job left in the queue:
 *     a refused or lost job payload): ask the carrier for the recording. If it still has the
 *     audio, queue a fresh ingest job with the media URL from the carrier's own resource (the
 *     row ends `stored`); if it answers 404, `absent` or `failed`, the row becomes `absent`
 *     with the carrier's reason and a `recording.absent` event. Nothing stays pending for ever.
 *
 * Transcriptions are reconciled by their own task, `reconcile_transcriptions`
 * (lib/intelligence/reconcile-transcriptions.ts), on the same schedule.
 *
 * Selection reads across organizations (that is the job); every write names the call's
 * organization. Each call is settled in its own transaction after re-checking, under the row
 * lock, that it still qualifies, so concurrent runs and racing webhooks change nothing twice;
 * one call's error is logged and does not stop the run. A second run changes nothing.
 */

const BATCH_SIZE = 100;
/** How far before our row's creation a carrier call may have been created and still be ours. */
const CLOCK_SKEW_MS = 60_000;
const OPEN_STATUSES = ["queued", "initiated", "ringing", "in_progress"] as const;

export interface ReconcileOptions {
  db?: Sql;
  /**
   * The carrier; by default the SignalWire client from lib/telephony/client.ts. Null means
   * telephony is not configured: the run does nothing.
   */
  carrier?: CarrierView | null;
  thresholdSeconds?: number;
  /** How far back the recording check looks (default RECONCILE_LOOKBACK_DAYS). */
  lookbackSeconds?: number;
  batchSize?: number;
  log?: Logger;
}

export interface ReconcileReport {
  staleChecked: number;
  statusesApplied: number;
  callsNotFound: number;
  lostDialsChecked: number;
  adopted: number;
  ambiguous: number;
  recordingChecks: number;
  recordingsQueued: number;
  recordingsMissing: number;
  pendingChecked: number;
  pendingRequeued: number;
  /** Settled as `absent` (the carrier has no audio) or `failed` (ingest refused it twice). */
  pendingAbsent: number;
  errors: number;
}

function emptyReport(): ReconcileReport {
  return {
    staleChecked: 0,
    statusesApplied: 0,
    callsNotFound: 0,
    lostDialsChecked: 0,
    adopted: 0,
    ambiguous: 0,
    recordingChecks: 0,
    recordingsQueued: 0,
    recordingsMissing: 0,
    pendingChecked: 0,
    pendingRequeued: 0,
    pendingAbsent: 0,
    errors: 0,
  };
}

/** The synthetic provider sid for a call the carrier never had. */
export function notFoundSid(callId: string): string {
  return `none:${callId}`;
}

/** The configured carrier, or null when telephony is not configured (the reconciler idles). */
function defaultCarrier(): CarrierView | null {
  const telephony = config().telephony;
  try {
    const client = signalwire();
    const origin = telephony?.simulatorUrl ?? `https://${telephony?.spaceUrl}`;
    return carrierView(client, origin.replace(/\/+$/, ""));
  } catch (err) {
    if (err instanceof ConfigError) return null;
    throw err;
  }
}

// ---- pure decisions -------------------------------------------------------------------------

export type LostDialDecision =
  | { kind: "adopt"; call: ProviderCall }
  | { kind: "not_found" }
  | { kind: "ambiguous"; sids: string[] };

/**
 * Which carrier call, if any, is the one our timed-out create request made. Candidates created
 * before our row (minus clock skew) are someone else's, and so are sids another of our calls
 * already holds.
 */
export function decideLostDial(candidates: ProviderCall[], ourCreatedAt: Date, knownSids: ReadonlySet<string>): LostDialDecision {
  const earliest = ourCreatedAt.getTime() - CLOCK_SKEW_MS;
  const ours = candidates.filter(
    (c) => !knownSids.has(c.sid) && (c.dateCreated === null || c.dateCreated.getTime() >= earliest),
  );
  if (ours.length === 1) return { kind: "adopt", call: ours[0]! };
  if (ours.length === 0) return { kind: "not_found" };
  return { kind: "ambiguous", sids: ours.map((c) => c.sid) };
}


/** The media URL of a recording resource: its `uri` without `.json`, on the API origin. */
export function recordingMediaUrl(origin: string, uri: string): string {
  const path = uri.replace(/\.json$/, "");
  if (/^https?:\/\//i.test(path)) return path;
  return `${origin.replace(/\/+$/, "")}${path.startsWith("/") ? "" : "/"}${path}`;
}

/** When the carrier says the call ended (or started), for the event's occurred_at. */
function occurredAtOf(call: ProviderCall): Date | null {
  return call.endTime ?? call.startTime ?? null;
}

function statusPayload(call: ProviderCall): Record<string, string> {
  const payload: Record<string, string> = { CallSid: call.sid, CallStatus: call.status, Source: "reconciler" };
  if (call.durationSeconds !== null) payload.CallDuration = String(call.durationSeconds);
  if (call.startTime) payload.StartTime = call.startTime.toISOString();
  if (call.endTime) payload.EndTime = call.endTime.toISOString();
  return payload;
}

/** Recordings still being produced are not settled yet; look again on the next run. */
export function recordingsSettled(recordings: ProviderRecording[]): boolean {
  return recordings.every((r) => r.status === null || r.status === "completed" || r.status === "absent" || r.status === "failed");
}

// ---- the run --------------------------------------------------------------------------------

export async function reconcileCalls(options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const log = options.log ?? logger().child({ task: "reconcile_calls" });
  const report = emptyReport();
  const db = options.db ?? sharedSql();
  const threshold = options.thresholdSeconds ?? config().reconcileAfterSeconds;
  const lookback = options.lookbackSeconds ?? config().reconcileLookbackSeconds;
  const limit = options.batchSize ?? BATCH_SIZE;
  const onError = (callId: string, what: string, err: unknown) => {
    report.errors += 1;
    log.error({ callId, err: err instanceof Error ? err.message : String(err) }, `reconcile_calls: ${what} failed for one call`);
  };
  const carrier = options.carrier === undefined ? defaultCarrier() : options.carrier;
  if (!carrier) {
    log.debug("reconcile_calls: telephony is not configured; no calls to reconcile");
    return report;
  }
  const ctx: RunContext = { db, carrier, threshold, log, report };

  const settle = async (callId: string, what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      onError(callId, what, err);
    }
  };

  for (const call of await staleOpenCalls(db, threshold, limit)) await settle(call.id, "status check", () => checkStaleCall(ctx, call));
  for (const call of await lostDials(db, threshold, limit)) await settle(call.id, "lost dial search", () => checkLostDial(ctx, call));
  for (const call of await callsMissingRecordings(db, { threshold, lookback }, limit)) {
    await settle(call.id, "recording check", () => checkRecordings(ctx, call));
  }
  for (const recording of await stuckPendingRecordings(db, threshold, limit)) {
    await settle(recording.callId, "pending recording check", () => settlePendingRecording(ctx, recording));
  }

  const changed =
    report.statusesApplied + report.adopted + report.callsNotFound + report.recordingsQueued + report.recordingsMissing +
    report.pendingRequeued + report.pendingAbsent;
  log[changed > 0 || report.errors > 0 ? "info" : "debug"]({ ...report }, "reconcile_calls finished");
  countReconcilerActions("calls", report);
  return report;
}

interface RunContext {
  db: Sql;
  carrier: CarrierView;
  threshold: number;
  log: Logger;
  report: ReconcileReport;
}

interface StaleCall {
  id: string;
  orgId: string;
  sid: string;
}

async function staleOpenCalls(db: Sql, threshold: number, limit: number): Promise<StaleCall[]> {
  return asService(
    (tx) => tx<StaleCall[]>`
      select id, organization_id as "orgId", provider_call_sid as sid
      from public.calls
      -- Literal statuses (= OPEN_STATUSES), not bind parameters: the planner can use the
      -- partial index calls_open_idx only when it can prove the index predicate from the query
      -- text itself, and it cannot from $1..$4. Bound, this scanned every call.
      where status in ('queued', 'initiated', 'ringing', 'in_progress')
        and provider_call_sid is not null
        and updated_at < now() - make_interval(secs => ${threshold})
      order by updated_at
      limit ${limit}`,
    db,
  );
}

/** Lock the call and re-check a condition; false when it no longer qualifies. */
async function stillQualifies(tx: Tx, callId: string, orgId: string, condition: PendingQuery<Row[]>): Promise<boolean> {
  const rows = await tx`
    select 1 from public.calls
    where id = ${callId} and organization_id = ${orgId} and ${condition}
    for update`;
  return rows.length > 0;
}

async function checkStaleCall(ctx: RunContext, call: StaleCall): Promise<void> {
  ctx.report.staleChecked += 1;
  const remote = await ctx.carrier.fetchCall(call.sid);
  await asService(async (tx) => {
    const open = await stillQualifies(tx, call.id, call.orgId, tx`status in ${tx(OPEN_STATUSES)} and provider_call_sid = ${call.sid}`);
    if (!open) return;
    if (!remote) {
      await applyStatusEvent(tx, {
        orgId: call.orgId,
        callId: call.id,
        providerCallSid: call.sid,
        providerStatus: "failed",
        occurredAt: null,
        sequence: null,
        durationSeconds: null,
        source: "reconciler",
        payload: { CallSid: call.sid, CallStatus: "failed", Source: "reconciler", Reason: "The carrier has no such call (HTTP 404)." },
      });
      ctx.report.callsNotFound += 1;
      ctx.log.warn({ callId: call.id, orgId: call.orgId }, "reconcile_calls: the carrier does not know this call; marked failed");
      return;
    }
    const result = await applyStatusEvent(tx, {
      orgId: call.orgId,
      callId: call.id,
      providerCallSid: call.sid,
      providerStatus: remote.status,
      occurredAt: occurredAtOf(remote),
      sequence: null,
      durationSeconds: remote.durationSeconds,
      source: "reconciler",
      payload: statusPayload(remote),
    });
    if (result.stored) ctx.report.statusesApplied += 1;
  }, ctx.db);
}

interface LostDial {
  id: string;
  orgId: string;
  fromNumber: string;
  toNumber: string;
  modulations: unknown;
  createdAt: Date;
}

async function lostDials(db: Sql, threshold: number, limit: number): Promise<LostDial[]> {
  const rows = await asService(
    async (tx) => {
      const found = await tx<(Omit<LostDial, "createdAt"> & { createdAt: string })[]>`
      select id, organization_id as "orgId", from_number as "fromNumber", to_number as "toNumber", modulations,
             created_at::text as "createdAt"
      from public.calls
      -- The literals let the planner prove calls_lost_dial_idx's predicate, so this reads only
      -- queued calls without a sid (not every open call).
      where status = 'queued'
        and provider_call_sid is null
        and dial_error->>'code' = 'dial_outcome_unknown'
        and updated_at < now() - make_interval(secs => ${threshold})
      order by updated_at
      limit ${limit}`;
      // The carrier is asked by number, so the numbers are opened (docs/adr/0044).
      return Promise.all(found.map(async (r) => (await openCallNumbers(tx, r.orgId, [r]))[0]!));
    },
    db,
  );
  return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt) }));
}

async function checkLostDial(ctx: RunContext, call: LostDial): Promise<void> {
  ctx.report.lostDialsChecked += 1;
  const snapshot = modulationSnapshotSchema.safeParse(call.modulations);
  const to = snapshot.success ? dialledNumber(snapshot.data) : call.toNumber;
  const candidates = await ctx.carrier.findCalls({
    to,
    from: call.fromNumber,
    startTimeAfter: new Date(call.createdAt.getTime() - CLOCK_SKEW_MS),
    limit: 20,
  });
  await asService(async (tx) => {
    const lost = await stillQualifies(tx, call.id, call.orgId, tx`status = 'queued' and provider_call_sid is null`);
    if (!lost) return;
    const sids = candidates.map((c) => c.sid);
    const known = sids.length
      ? await tx<{ sid: string }[]>`select provider_call_sid as sid from public.calls where provider_call_sid in ${tx(sids)}`
      : [];
    const decision = decideLostDial(candidates, call.createdAt, new Set(known.map((k) => k.sid)));

    if (decision.kind === "adopt") {
      const match = decision.call;
      await tx`update public.calls set provider_call_sid = ${match.sid}, updated_at = now()
               where id = ${call.id} and organization_id = ${call.orgId} and provider_call_sid is null`;
      await appendCallEvent(tx, call, "reconcile.adopted", {
        CallSid: match.sid,
        CallStatus: match.status,
        Reason: "The create-call request timed out; the carrier had exactly one matching call.",
      }, { dedupeKey: "reconcile.adopted" });
      await applyStatusEvent(tx, {
        orgId: call.orgId,
        callId: call.id,
        providerCallSid: match.sid,
        providerStatus: match.status,
        occurredAt: occurredAtOf(match),
        sequence: null,
        durationSeconds: match.durationSeconds,
        source: "reconciler",
        payload: statusPayload(match),
      });
      ctx.report.adopted += 1;
      ctx.log.info({ callId: call.id, orgId: call.orgId, callSid: match.sid }, "reconcile_calls: adopted the carrier's call after a lost dial");
    } else if (decision.kind === "not_found") {
      const sid = notFoundSid(call.id);
      await appendCallEvent(tx, call, "reconcile.not_found", {
        Reason: "The create-call request timed out and the carrier has no matching call.",
        // As a viewer sees them: the timeline keeps no number (docs/adr/0044).
        SearchedTo: maskNumber(to),
        SearchedFrom: maskNumber(call.fromNumber),
      }, { dedupeKey: "reconcile.not_found" });
      await applyStatusEvent(tx, {
        orgId: call.orgId,
        callId: call.id,
        providerCallSid: sid,
        providerStatus: "failed",
        occurredAt: null,
        sequence: null,
        durationSeconds: null,
        source: "reconciler",
        payload: { CallSid: sid, CallStatus: "failed", Source: "reconciler", Reason: "not_found" },
      });
      ctx.report.callsNotFound += 1;
      ctx.log.warn({ callId: call.id, orgId: call.orgId }, "reconcile_calls: lost dial not found at the carrier; marked failed");
    } else {
      // Several unknown calls to the same number in the window: guessing could attach someone
      // else's call (and its recording) to this one. Noted once; looked at again after the
      // threshold, not every minute.
      await appendCallEvent(tx, call, "reconcile.ambiguous", {
        Reason: "The create-call request timed out and the carrier has several matching calls.",
        CandidateSids: decision.sids.join(","),
      }, { dedupeKey: "reconcile.ambiguous" });
      await tx`update public.calls set updated_at = now() where id = ${call.id} and organization_id = ${call.orgId}`;
      ctx.report.ambiguous += 1;
      ctx.log.warn({ callId: call.id, orgId: call.orgId, candidates: decision.sids.length }, "reconcile_calls: lost dial is ambiguous; left for a person");
    }
  }, ctx.db);
}

interface RecordedCall {
  id: string;
  orgId: string;
  sid: string | null;
}

/**
 * Proving that a call has no recording row means looking at it, so the check reads only the
 * calls that ended within the look-back (calls_recorded_completed_idx, a range): its cost
 * follows the calls of the last days, not the history (docs/adr/0030). A call that ended
 * earlier was checked every minute of those days.
 */
async function callsMissingRecordings(db: Sql, { threshold, lookback }: { threshold: number; lookback: number }, limit: number): Promise<RecordedCall[]> {
  return asService(
    (tx) => tx<RecordedCall[]>`
      select c.id, c.organization_id as "orgId", c.provider_call_sid as sid
      from public.calls c
      where c.status = 'completed'
        and (c.modulations->>'record')::boolean is true
        and coalesce(c.ended_at, c.updated_at) < now() - make_interval(secs => ${threshold})
        and coalesce(c.ended_at, c.updated_at) >= now() - make_interval(secs => ${lookback})
        and not exists (select 1 from public.recordings r where r.call_id = c.id and r.organization_id = c.organization_id)
      order by coalesce(c.ended_at, c.updated_at)
      limit ${limit}`,
    db,
  );
}

async function checkRecordings(ctx: RunContext, call: RecordedCall): Promise<void> {
  ctx.report.recordingChecks += 1;
  const recordings = call.sid && !call.sid.startsWith("none:") ? await ctx.carrier.listRecordings(call.sid) : [];
  if (!recordingsSettled(recordings)) return;
  await asService(async (tx) => {
    const qualifies = await stillQualifies(
      tx,
      call.id,
      call.orgId,
      tx`not exists (select 1 from public.recordings r where r.call_id = ${call.id} and r.organization_id = ${call.orgId})`,
    );
    if (!qualifies) return;

    let rows = 0;
    for (const recording of recordings) {
      if (recording.status === "absent" || recording.status === "failed") {
        await registerAbsentRecording(tx, call, recording.sid, `The carrier reports the recording ${recording.status}.`);
        rows += 1;
        continue;
      }
      const registered = await registerRecording(tx, call, {
        sid: recording.sid,
        url: recordingMediaUrl(ctx.carrier.mediaOrigin, recording.uri),
        durationSeconds: recording.durationSeconds,
        channels: recording.channels,
      });
      if (!registered) continue;
      rows += 1;
      await appendCallEvent(tx, call, "reconcile.recording_found", {
        RecordingSid: recording.sid,
        Reason: "No recording callback arrived; the carrier lists this recording.",
      }, { dedupeKey: `reconcile.recording_found:${recording.sid}` });
      ctx.report.recordingsQueued += 1;
    }
    if (rows > 0) return;

    if (!(await recordMissingRecording(tx, call))) return;
    ctx.report.recordingsMissing += 1;
    ctx.log.warn({ callId: call.id, orgId: call.orgId }, "reconcile_calls: expected recording is missing");
  }, ctx.db);
}

/**
 * Pending rows past the threshold whose ingest job is gone (never enqueued, refused, or lost).
 * A job that is still waiting or retrying owns its row; graphile-worker's view is read on the
 * owner's connection (the API roles have no grant on the queue schema).
 */
async function stuckPendingRecordings(db: Sql, threshold: number, limit: number): Promise<IngestTarget[]> {
  const rows = await asService((tx) => pendingRecordingsOlderThan(tx, { thresholdSeconds: threshold, limit }), db);
  if (rows.length === 0) return [];
  const queued = await db<{ key: string }[]>`
    select key from graphile_worker.jobs where key in ${db(rows.map((r) => `ingest:${r.recordingSid}`))}`;
  const owned = new Set(queued.map((j) => j.key));
  return rows.filter((r) => !owned.has(`ingest:${r.recordingSid}`));
}

async function settlePendingRecording(ctx: RunContext, pending: IngestTarget): Promise<void> {
  ctx.report.pendingChecked += 1;
  const remote = await ctx.carrier.fetchRecording(pending.recordingSid);
  const call = { id: pending.callId, orgId: pending.orgId };
  await asService(async (tx) => {
    if ((await lockRecording(tx, pending)) !== "pending") return;

    const gone = !remote ? "The carrier has no such recording (HTTP 404)." :
      remote.status === "absent" || remote.status === "failed" ? `The carrier reports the recording ${remote.status}.` : null;
    if (gone) {
      await markPendingAbsent(tx, pending, `The recording stayed pending without an ingest job; ${gone}`);
      ctx.report.pendingAbsent += 1;
      ctx.log.warn({ callId: call.id, orgId: call.orgId, recordingId: pending.recordingId }, "reconcile_calls: pending recording settled as absent");
      return;
    }
    if (remote!.status !== null && remote!.status !== "completed") return; // still being produced: next run
    // Queued again once; a second time means ingest keeps refusing it: settle it as failed.
    const first = await appendCallEvent(tx, call, "reconcile.recording_requeued", {
      recordingId: pending.recordingId,
      RecordingSid: pending.recordingSid,
      Reason: "The recording stayed pending without an ingest job; the carrier still has it, so it is fetched again.",
    }, { dedupeKey: `reconcile.recording_requeued:${pending.recordingSid}` });
    if (!first) {
      await markRecordingFailed(tx, pending, "The recording stayed pending: ingest did not complete even after the reconciler queued it again.");
      ctx.report.pendingAbsent += 1;
      return;
    }
    await registerRecording(tx, call, {
      sid: pending.recordingSid,
      url: recordingMediaUrl(ctx.carrier.mediaOrigin, remote!.uri),
      durationSeconds: remote!.durationSeconds,
      channels: remote!.channels,
    });
    ctx.report.pendingRequeued += 1;
    ctx.log.info({ callId: call.id, orgId: call.orgId, recordingId: pending.recordingId }, "reconcile_calls: pending recording queued for ingest again");
  }, ctx.db);
}
