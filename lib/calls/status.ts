import "server-only";
import { checkCallSid, lockCall } from "@/lib/calls/lock";
import type { ModulationSnapshot } from "@/lib/calls/snapshot";
import { fromProviderStatus, type CallStatus } from "@/lib/calls/state-machine";
import { appendCallEvent, checkedPayload } from "@/lib/calls/timeline";
import type { Db, Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { isIgnored, parseDialCallback, parseStatusCallback } from "@/lib/telephony/callbacks";

/**
 * A call's progress as the provider reports it: status callbacks (and the reconciler's reads of
 * the same), applied forward-only, and the bridge flow's target-leg outcome. Every report is
 * stored once on the timeline (the dedupe key is provider identity + status + sequence, never
 * the call sid alone) under the call's row lock, and only then changes state. The result of any
 * order of any number of repeats equals that of one in-order delivery
 * (tests/integration/callbacks-property.test.ts).
 */

export interface StatusEventInput {
  /** Known to the reconciler; a webhook knows only the call id in its URL. */
  orgId?: string;
  callId: string;
  providerCallSid: string;
  providerStatus: string;
  occurredAt: Date | null;
  sequence: string | null;
  durationSeconds: number | null;
  source: "webhook" | "reconciler";
  payload: Record<string, string>;
}

/**
 * Store a status report once and move the call forward by the state machine, never back: one
 * statement (`private.apply_status_report`), so a status callback costs one round trip. It locks
 * the call row, checks the CallSid, refuses a re-split that drops or adds SequenceNumber, appends
 * the report to the timeline and updates the call; the realtime notice follows from triggers.
 * `db` is the reconciler's transaction; webhooks go through `handleStatusCallback`, which
 * applies reports that arrive together in one statement.
 */
export async function applyStatusEvent(db: Db, input: StatusEventInput): Promise<{ stored: boolean; status: CallStatus }> {
  return settle(await applyOne(db, reportOf(input)));
}

async function applyOne(db: Db, r: Report): Promise<ReportResult> {
  const [row] = await db<ReportResult[]>`
    select outcome, status::text as status from private.apply_status_report(
      ${r.callId}::uuid, ${r.orgId}::uuid, ${r.callSid}::text, ${r.providerStatus}::text,
      ${r.status}::public.call_status, ${r.sequence}::text, ${r.occurredAt}::timestamptz,
      ${r.durationSeconds}::integer, ${r.kind}::text, ${db.json(r.payload as never)}::jsonb, ${r.matchSequenceLess}::boolean)`;
  return row!;
}

/** One report as the SQL functions take it (also the element of a batch's JSON array). */
interface Report {
  callId: string;
  orgId: string | null;
  callSid: string;
  providerStatus: string;
  status: CallStatus | null;
  sequence: string | null;
  occurredAt: string | null;
  durationSeconds: number | null;
  kind: "provider.status" | "reconcile.status";
  payload: unknown;
  matchSequenceLess: boolean;
}

interface ReportResult {
  outcome: "stored" | "duplicate" | "not_found" | "sid_mismatch" | "sid_claimed";
  status: CallStatus | null;
}

function reportOf(input: StatusEventInput): Report {
  const kind = input.source === "webhook" ? "provider.status" : "reconcile.status";
  return {
    callId: input.callId,
    orgId: input.orgId ?? null,
    callSid: input.providerCallSid,
    providerStatus: input.providerStatus,
    status: fromProviderStatus(input.providerStatus),
    sequence: input.sequence,
    occurredAt: input.occurredAt?.toISOString() ?? null,
    durationSeconds: input.durationSeconds,
    kind,
    payload: checkedPayload(kind, input.payload),
    matchSequenceLess: input.source === "webhook",
  };
}

function settle(row: ReportResult): { stored: boolean; status: CallStatus } {
  switch (row.outcome) {
    case "not_found":
      throw new NotFoundError("No such call.");
    case "sid_mismatch":
      throw new ConflictError("The CallSid does not belong to this call.", "call_sid_mismatch");
    case "sid_claimed":
      throw new ConflictError("The CallSid belongs to another call.", "call_sid_mismatch");
    default:
      return { stored: row.outcome === "stored", status: row.status! };
  }
}

/** Most reports one statement applies: a bound on the statement's size and on the wait behind it. */
const MAX_BATCH = 64;

interface Waiting {
  report: Report;
  resolve: (row: ReportResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Status reports in hand at the same moment, applied by one statement. A webhook's report waits
 * for nothing: it is queued and the queue is sent on the next turn of the event loop
 * (setImmediate), which under no load is at once and with one report the same single-report
 * statement as before; under load, every report the server has parsed by then goes in one
 * statement, one transaction and one commit (`private.apply_status_reports`) instead of one
 * each. Each report is applied exactly as alone, in arrival order per call. If the batch
 * statement fails (a report that breaks a constraint, say), each of its reports is applied on
 * its own, so one report's failure is never another's.
 */
class ReportBatcher {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly db: Db) {}

  apply(report: Report): Promise<ReportResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ report, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) void this.send(this.queue.splice(0, MAX_BATCH));
  }

  private async send(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]!);
    let rows: (ReportResult & { ordinal: number })[];
    try {
      rows = await this.db<(ReportResult & { ordinal: number })[]>`
        select ordinal, outcome, status::text as status from private.apply_status_reports(${this.db.json(batch.map((w) => w.report) as never)}::jsonb)`;
    } catch {
      await Promise.all(batch.map((w) => this.alone(w)));
      return;
    }
    for (const row of rows) batch[row.ordinal - 1]!.resolve(row);
  }

  private async alone(w: Waiting): Promise<void> {
    try {
      w.resolve(await applyOne(this.db, w.report));
    } catch (err) {
      w.reject(err);
    }
  }
}

const batchers = new WeakMap<Db, ReportBatcher>();

/**
 * A status callback's form → its report, applied together with whatever other reports the
 * server has in hand (`pool` is the pool, never a transaction: see ReportBatcher). Only
 * validated fields reach the dedupe key and the timeline; an unknown CallStatus (or a malformed
 * SequenceNumber, which is part of the key) is acknowledged and not stored.
 */
export async function handleStatusCallback(
  pool: Db,
  callId: string,
  form: Record<string, string>,
): Promise<{ stored: boolean; status?: CallStatus; ignored?: string; dropped?: string[] }> {
  const cb = parseStatusCallback(form);
  if (isIgnored(cb)) return { stored: false, ignored: cb.ignored };
  let batcher = batchers.get(pool);
  if (!batcher) batchers.set(pool, (batcher = new ReportBatcher(pool)));
  const result = settle(await batcher.apply(reportOf({
    callId,
    providerCallSid: cb.callSid,
    providerStatus: cb.callStatus,
    occurredAt: cb.occurredAt,
    sequence: cb.sequence === null ? null : String(cb.sequence),
    durationSeconds: cb.durationSeconds,
    source: "webhook",
    payload: cb.payload,
  })));
  return { ...result, dropped: cb.dropped };
}

/** The Dial action of the bridge flow: the target leg's outcome goes on the timeline. */
export async function handleDialResult(tx: Tx, callId: string, form: Record<string, string>): Promise<ModulationSnapshot> {
  const cb = parseDialCallback(form);
  const call = await lockCall(tx, callId);
  checkCallSid(call, cb.callSid);
  // A DialCallStatus outside the documented values is acknowledged (the document is still
  // served) and not stored.
  if (cb.dialCallStatus) {
    await appendCallEvent(tx, call, "provider.dial", cb.payload, { dedupeKey: `dial:${cb.dialCallSid ?? cb.callSid ?? ""}:${cb.dialCallStatus}` });
  }
  return call.snapshot;
}
