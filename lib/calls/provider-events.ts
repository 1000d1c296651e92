import "server-only";
import type { Tx } from "@/lib/db";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { enqueue } from "@/lib/jobs/enqueue";
import { callPlanSchema, type CallPlan } from "@/lib/calls/plan";
import { advance, fromProviderStatus, isFinal, type CallStatus } from "@/lib/calls/state-machine";
import { evaluateAnswer, nextSurveyStep, type AnswerResult } from "@/lib/calls/survey";
import type { LamlInput } from "@/lib/telephony/laml";
import { isIgnored, parseDialCallback, parseGatherCallback, parseRecordingCallback, parseStatusCallback } from "@/lib/telephony/callbacks";

/**
 * What provider callbacks do to our rows. Every function runs inside the caller's service
 * transaction, locks the call row first (so concurrent callbacks for one call serialize), stores
 * the callback once in `call_events` (a repeat is a no-op: the dedupe key is provider identity +
 * status + sequence, never the call sid alone), and only then changes state. The result of any
 * order of any number of repeats equals that of one in-order delivery (tests/integration/
 * callbacks-property.test.ts).
 */

export interface WebhookCall {
  id: string;
  orgId: string;
  status: CallStatus;
  providerCallSid: string | null;
  plan: CallPlan;
}

/** The call a webhook URL names, locked for this transaction. Unknown id → 404. */
export async function lockCall(tx: Tx, callId: string, orgId?: string): Promise<WebhookCall> {
  const rows = await tx<{ id: string; orgId: string; status: CallStatus; providerCallSid: string | null; plan: unknown }[]>`
    select id, organization_id as "orgId", status::text as status, provider_call_sid as "providerCallSid", plan
    from public.calls
    where id = ${callId} ${orgId ? tx`and organization_id = ${orgId}` : tx``}
    for update`;
  const row = rows[0];
  if (!row) throw new NotFoundError("No such call.");
  return { ...row, plan: callPlanSchema.parse(row.plan) };
}

/** A callback's CallSid must be this call's; the first one we hear of is adopted. */
function checkCallSid(call: WebhookCall, callSid: string | undefined): void {
  if (callSid && call.providerCallSid && call.providerCallSid !== callSid) {
    throw new ConflictError("The CallSid does not belong to this call.", "call_sid_mismatch");
  }
}

/** A CallSid another call already adopted is not this call's (and would violate calls' unique sid). */
async function checkSidUnclaimed(tx: Tx, callId: string, callSid: string): Promise<void> {
  const [other] = await tx`select 1 from public.calls where provider_call_sid = ${callSid} and id <> ${callId}`;
  if (other) throw new ConflictError("The CallSid belongs to another call.", "call_sid_mismatch");
}

/** Append to a call's timeline once per dedupe key; false when the key was already there. */
export async function insertCallEvent(
  tx: Tx,
  call: { id: string; orgId: string },
  e: { kind: string; dedupeKey: string; payload: Record<string, unknown>; occurredAt?: Date | null },
): Promise<boolean> {
  const rows = await tx`
    insert into public.call_events (organization_id, call_id, kind, dedupe_key, payload, occurred_at)
    values (${call.orgId}, ${call.id}, ${e.kind}, ${e.dedupeKey}, ${tx.json(e.payload as never)}, coalesce(${e.occurredAt ?? null}, now()))
    on conflict (call_id, dedupe_key) do nothing
    returning id`;
  return rows.length > 0;
}

export interface ReportedRecording {
  sid: string;
  /** The provider's media URL without extension: a secret, it goes only into the job. */
  url: string;
  durationSeconds: number | null;
  channels: number | null;
}

/**
 * A recording the provider has: a pending row and its ingest job, once per RecordingSid
 * whoever reports it (the callback or the reconciler). Returns the row id when it is pending.
 */
export async function registerRecording(tx: Tx, call: { id: string; orgId: string }, r: ReportedRecording): Promise<string | null> {
  const channels = r.channels !== null && r.channels >= 1 && r.channels <= 2 ? r.channels : null;
  const [row] = await tx<{ id: string; status: string }[]>`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, duration_seconds, channels)
    values (${call.orgId}, ${call.id}, ${r.sid}, 'pending', ${r.durationSeconds}, ${channels})
    on conflict (provider_recording_sid) do update set provider_recording_sid = excluded.provider_recording_sid
    returning id, status`;
  if (!row || row.status !== "pending") return null;
  await enqueue(tx, "ingest_recording", {
    recordingId: row.id,
    orgId: call.orgId,
    callId: call.id,
    recordingSid: r.sid,
    recordingUrl: r.url,
    ...(r.durationSeconds !== null ? { durationSeconds: r.durationSeconds } : {}),
  }, { jobKey: `ingest:${r.sid}` });
  return row.id;
}

/** A recording the provider reports it could not capture. */
export async function registerAbsentRecording(tx: Tx, call: { id: string; orgId: string }, sid: string, error: string | null): Promise<boolean> {
  const rows = await tx`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, error)
    values (${call.orgId}, ${call.id}, ${sid}, 'absent', ${error})
    on conflict (provider_recording_sid) do nothing
    returning id`;
  return rows.length > 0;
}

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
 * A webhook status report without a SequenceNumber is the same report as one with it for the
 * same CallSid and status (and the other way round). Without this, re-splitting a signed callback
 * so that the field before SequenceNumber swallows it (From=+1555…SequenceNumber4) would verify
 * and store a second row. The call row is locked, so this check and the insert cannot interleave.
 */
async function reportedWithOtherSequence(tx: Tx, callId: string, input: StatusEventInput): Promise<boolean> {
  const prefix = `status:${input.providerCallSid}:${input.providerStatus}:`;
  const rows = input.sequence === null
    ? await tx`select 1 from public.call_events
               where call_id = ${callId} and kind = 'provider.status' and starts_with(dedupe_key, ${prefix}) limit 1`
    : await tx`select 1 from public.call_events
               where call_id = ${callId} and kind = 'provider.status' and dedupe_key = ${prefix} limit 1`;
  return rows.length > 0;
}

/** Store a status report once and move the call forward by the state machine, never back. */
export async function applyStatusEvent(tx: Tx, input: StatusEventInput): Promise<{ stored: boolean; status: CallStatus }> {
  const call = await lockCall(tx, input.callId, input.orgId);
  checkCallSid(call, input.providerCallSid);
  if (!call.providerCallSid) await checkSidUnclaimed(tx, call.id, input.providerCallSid);
  if (input.source === "webhook" && (await reportedWithOtherSequence(tx, call.id, input))) {
    return { stored: false, status: call.status };
  }
  const stored = await insertCallEvent(tx, call, {
    kind: input.source === "webhook" ? "provider.status" : "reconcile.status",
    dedupeKey: `status:${input.providerCallSid}:${input.providerStatus}:${input.sequence ?? ""}`,
    payload: input.payload,
    occurredAt: input.occurredAt,
  });
  if (!stored) return { stored, status: call.status };

  const incoming = fromProviderStatus(input.providerStatus);
  const next = incoming ? advance(call.status, incoming) : call.status;
  const becameFinal = !isFinal(call.status) && isFinal(next);
  // answered_at is the earliest "in progress" report whatever order reports come in, so a late
  // `answered` after `completed` still records when the call was answered.
  const answered = incoming === "in_progress" ? (input.occurredAt ?? new Date()) : null;
  await tx`
    update public.calls set
      status = ${next},
      provider_call_sid = coalesce(provider_call_sid, ${input.providerCallSid}),
      answered_at = case when ${answered}::timestamptz is null then answered_at
                         else least(coalesce(answered_at, ${answered}::timestamptz), ${answered}::timestamptz) end,
      ended_at = case when ${becameFinal} then coalesce(${input.occurredAt}, now()) else ended_at end,
      duration_seconds = case when ${becameFinal} then ${input.durationSeconds} else duration_seconds end,
      updated_at = now()
    where id = ${call.id} and organization_id = ${call.orgId}`;
  return { stored, status: next };
}

/**
 * A status callback's form → applyStatusEvent. Only validated fields reach the dedupe key and
 * the timeline; an unknown CallStatus (or a malformed SequenceNumber, which is part of the key)
 * is acknowledged and not stored.
 */
export async function handleStatusCallback(tx: Tx, callId: string, form: Record<string, string>): Promise<{ stored: boolean; status?: CallStatus; ignored?: string; dropped?: string[] }> {
  const cb = parseStatusCallback(form);
  if (isIgnored(cb)) return { stored: false, ignored: cb.ignored };
  const result = await applyStatusEvent(tx, {
    callId,
    providerCallSid: cb.callSid,
    providerStatus: cb.callStatus,
    occurredAt: cb.occurredAt,
    sequence: cb.sequence === null ? null : String(cb.sequence),
    durationSeconds: cb.durationSeconds,
    source: "webhook",
    payload: cb.payload,
  });
  return { ...result, dropped: cb.dropped };
}

/** Where a recording may be fetched from: https always; http only from the configured simulator. */
export function acceptableRecordingUrl(value: string, simulatorUrl: string | undefined): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === "https:") return true;
  return Boolean(simulatorUrl) && url.origin === new URL(simulatorUrl!).origin;
}

/**
 * A recording callback: `completed` makes a pending recordings row and enqueues the ingest job
 * (keyed by RecordingSid, so a repeat never ingests twice); `absent` records that the provider
 * captured nothing. The RecordingUrl goes only into the job payload, never a table.
 */
export async function handleRecordingCallback(
  tx: Tx,
  callId: string,
  form: Record<string, string>,
  opts: { simulatorUrl: string | undefined },
): Promise<{ stored: boolean; ignored?: string; dropped?: string[] }> {
  const cb = parseRecordingCallback(form);
  if (isIgnored(cb)) return { stored: false, ignored: cb.ignored };
  const call = await lockCall(tx, callId);
  checkCallSid(call, cb.callSid);
  if (cb.recordingStatus === "completed" && !acceptableRecordingUrl(cb.recordingUrl ?? "", opts.simulatorUrl)) {
    throw new ValidationError("RecordingUrl is missing or not an https URL.", { field: "RecordingUrl" });
  }
  // The provider's media URL ends in the recording's own sid (…/Recordings/{RecordingSid}); one that
  // does not was cut from another string (a re-split) or names another recording.
  if (cb.recordingStatus === "completed" && new URL(cb.recordingUrl!).pathname.split("/").at(-1) !== cb.recordingSid) {
    throw new ValidationError("RecordingUrl does not name this RecordingSid.", { field: "RecordingUrl" });
  }
  const stored = await insertCallEvent(tx, call, {
    kind: "provider.recording",
    dedupeKey: `recording:${cb.recordingSid}:${cb.recordingStatus}`,
    payload: cb.payload,
    occurredAt: cb.startedAt,
  });
  if (!stored) return { stored, dropped: cb.dropped };

  if (cb.recordingStatus === "completed") {
    await registerRecording(tx, call, {
      sid: cb.recordingSid,
      url: cb.recordingUrl!,
      durationSeconds: cb.durationSeconds,
      channels: cb.channels,
    });
  } else if (cb.recordingStatus === "absent") {
    await registerAbsentRecording(tx, call, cb.recordingSid, null);
  }
  return { stored, dropped: cb.dropped };
}

/**
 * A survey Gather action: store the answer (once per question), then say what comes next —
 * the next question, a single re-prompt after an answer out of range, or the thank-you.
 * A repeated delivery answers with the same next step and stores nothing new.
 */
export async function handleGather(
  tx: Tx,
  callId: string,
  at: { question: number; attempt: 1 | 2 },
  form: Record<string, string>,
): Promise<{ plan: CallPlan; next: LamlInput }> {
  const cb = parseGatherCallback(form);
  const call = await lockCall(tx, callId);
  checkCallSid(call, cb.callSid);
  const survey = call.plan.survey;
  const question = survey?.questions[at.question];
  if (!survey || !question) throw new NotFoundError("This call has no such survey question.");

  await insertCallEvent(tx, call, {
    kind: "provider.gather",
    dedupeKey: `gather:${cb.callSid ?? ""}:${at.question}:${at.attempt}`,
    payload: { ...cb.payload, question: at.question, attempt: at.attempt },
    occurredAt: null,
  });

  const [existing] = await tx<{ answer: string }[]>`
    select answer from public.survey_answers where call_id = ${call.id} and question_index = ${at.question}`;
  let result: AnswerResult;
  if (existing) {
    result = existing.answer === "invalid" ? { kind: "invalid" } : { kind: "accepted", value: Number(existing.answer) };
  } else {
    result = evaluateAnswer(question, cb.digits, at.attempt);
    if (result.kind !== "reprompt") {
      await tx`
        insert into public.survey_answers
          (organization_id, call_id, survey_id, survey_version, question_index, question_id, answer, digits, attempts)
        values (${call.orgId}, ${call.id}, ${survey.id}, ${survey.version}, ${at.question}, ${question.id},
                ${result.kind === "accepted" ? String(result.value) : "invalid"}, ${cb.digits ?? null}, ${at.attempt})
        on conflict (call_id, question_index) do nothing`;
    }
  }
  return { plan: call.plan, next: nextSurveyStep(call.plan, at.question, result) };
}

/** The Dial action of the bridge flow: the target leg's outcome goes on the timeline. */
export async function handleDialResult(tx: Tx, callId: string, form: Record<string, string>): Promise<CallPlan> {
  const cb = parseDialCallback(form);
  const call = await lockCall(tx, callId);
  checkCallSid(call, cb.callSid);
  // A DialCallStatus outside the documented values is acknowledged (the document is still
  // served) and not stored.
  if (cb.dialCallStatus) {
    await insertCallEvent(tx, call, {
      kind: "provider.dial",
      dedupeKey: `dial:${cb.dialCallSid ?? cb.callSid ?? ""}:${cb.dialCallStatus}`,
      payload: cb.payload,
      occurredAt: null,
    });
  }
  return call.plan;
}

