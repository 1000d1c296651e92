import "server-only";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { z } from "zod";
import type { Session } from "@/lib/db/claims";
import type { CallSummary, PlaceCallRequest, VoiceConfigView } from "@/lib/calls/contracts";
import { describeProblem, MODULATION_IDS, MODULATIONS, modulationProblem, type ModulationSet } from "@/lib/calls/modulations";
import { modulationSnapshotSchema, dialledNumber, type ModulationSnapshot } from "@/lib/calls/snapshot";
import { type ShopperScript, type Survey } from "@/lib/surveys/documents";
import { findCall } from "@/lib/calls/queries";
import { viewFor } from "@/lib/calls/call-view";
import { callNumberColumns, openCallNumbers, sealSnapshotNumbers } from "@/lib/calls/numbers";
import { appendCallEvent } from "@/lib/calls/timeline";
import { config } from "@/lib/config";
import { currentRequestId } from "@/lib/correlation";
import { asService, continueAsUser, withUser, type Tx } from "@/lib/db";
import { ConflictError, NotFoundError, ProviderError, UnprocessableError, ValidationError } from "@/lib/errors";
import type { Logger } from "@/lib/logger";
import { check, requirePlan, type Membership } from "@/lib/rbac/authorize";
import { signalwire } from "@/lib/telephony/client";
import { wholeCallRecording } from "@/lib/telephony/laml";
import { callUrls } from "@/lib/telephony/urls";
import { readVoiceConfig } from "@/lib/calls/voice-config";
import { numberHash } from "@/lib/pii/numbers";
import { resolveRef } from "@/lib/surveys/versions";

/**
 * Placing a call (docs/architecture.md): validate, authorize, snapshot the modulations, insert
 * the call as `queued` — all before anything is dialled — then ask SignalWire to dial.
 * An Idempotency-Key makes a repeated request return the first call without a second dial.
 * A create-call request is not idempotent at the provider, so an ambiguous failure (timeout,
 * 5xx) is never retried: the call is marked `dial_outcome_unknown` and the reconciler settles it.
 */

export interface PlaceCallResult {
  call: CallSummary;
  /** True when the Idempotency-Key had already been used: nothing was dialled this time. */
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,255}$/;

function normalizeNumber(input: string, field: string): string {
  const parsed = parsePhoneNumberFromString(input.trim());
  if (!parsed || !parsed.isValid()) {
    throw new UnprocessableError(
      `${field} ${JSON.stringify(input)} is not a valid phone number. Use international format, such as +14155550100.`,
      "invalid_number",
      { field },
    );
  }
  return parsed.number;
}

/**
 * The snapshot: the org's defaults with this request's toggles. Any modulation may be turned
 * off; turning one on that the defaults leave off needs its "enable" permission; every
 * modulation in use must be on the organization's plan today, and its prerequisites and flows
 * hold (lib/calls/modulations.ts, the same rules SQL enforces on the stored snapshot).
 */
function snapshotModulations(
  membership: Membership,
  defaults: VoiceConfigView,
  request: PlaceCallRequest & { to: string },
  fromNumber: string,
  chosen: Chosen,
): ModulationSnapshot {
  const orgId = membership.orgId;
  const flow = request.flow ?? defaults.flow;
  const orgDefault: ModulationSet = {
    record: defaults.record,
    transcribe: defaults.transcribe,
    translate: defaults.translate,
    survey: Boolean(defaults.survey),
    shopperScript: Boolean(defaults.shopperScript),
  };
  const want: ModulationSet = {
    record: request.record ?? orgDefault.record,
    transcribe: request.transcribe ?? orgDefault.transcribe,
    translate: request.translate ?? orgDefault.translate,
    survey: request.survey ?? (request.surveyVersion ? true : orgDefault.survey),
    shopperScript: request.shopperScript ?? (request.shopperScriptVersion ? true : orgDefault.shopperScript),
  };

  for (const id of MODULATION_IDS) {
    if (!want[id]) continue;
    const rule = MODULATIONS[id];
    if (!orgDefault[id]) check(membership, rule.enable, orgId);
    requirePlan(membership, rule.enable);
    if (rule.run) check(membership, rule.run, orgId);
  }
  const problem = modulationProblem(want, flow);
  if (problem) throw new UnprocessableError(describeProblem(problem), "invalid_modulations");
  // Choosing another published version than the default is part of placing the call (the
  // permissions above still decide whether the survey or script may run at all).
  if (request.surveyVersion && !chosen.survey) throw new NotFoundError("No such survey version in this organization.");
  if (request.shopperScriptVersion && !chosen.shopperScript) throw new NotFoundError("No such shopper script version in this organization.");
  const survey = chosen.survey ?? defaults.survey;
  const shopperScript = chosen.shopperScript ?? defaults.shopperScript;
  if (want.survey && !survey) throw new UnprocessableError("This organization has no survey configured.", "invalid_modulations");
  if (want.shopperScript && !shopperScript) {
    throw new UnprocessableError("This organization has no shopper script configured.", "invalid_modulations");
  }

  let operatorPhone: string | null = null;
  if (flow === "bridge") {
    const given = request.operatorPhone ?? defaults.operatorPhone;
    if (!given) throw new UnprocessableError("The bridge flow calls your phone first: give an operator phone number.", "operator_phone_required");
    operatorPhone = normalizeNumber(given, "Operator phone");
    if (operatorPhone === request.to) {
      throw new UnprocessableError("The operator phone and the number to call are the same.", "invalid_number");
    }
  }

  return modulationSnapshotSchema.parse({
    flow,
    from: fromNumber,
    to: request.to,
    operatorPhone,
    record: want.record,
    transcribe: want.transcribe,
    translate: want.translate ? { languages: defaults.translateLanguages } : null,
    redact: want.transcribe && defaults.redactPii,
    disclosure: want.record ? defaults.disclosureText : null,
    survey: want.survey ? survey : null,
    shopperScript: want.shopperScript ? shopperScript : null,
    configVersion: defaults.version,
  });
}

/** The versions a request chose (null: none chosen, or none such in this organization). */
interface Chosen {
  survey: Survey | null;
  shopperScript: ShopperScript | null;
}

interface ExistingCall {
  id: string;
  toNumber: string;
  fromNumber: string;
  flow: string;
}

async function findByKey(tx: Tx, orgId: string, key: string): Promise<ExistingCall | undefined> {
  const [row] = await tx<ExistingCall[]>`
    select id, to_number as "toNumber", from_number as "fromNumber", flow from public.calls where organization_id = ${orgId} and idempotency_key = ${key}`;
  return row && (await openCallNumbers(tx, orgId, [row]))[0];
}

function replay(existing: ExistingCall, to: string, flow: string | undefined): string {
  if (existing.toNumber !== to || (flow && existing.flow !== flow)) {
    throw new ConflictError(
      "This Idempotency-Key was already used for a different call. Send a new key for a new call.",
      "idempotency_key_reused",
    );
  }
  return existing.id;
}

/** Provider outcome of the create request, as our classification. */
type DialFailure =
  | { kind: "rejected"; code: string; message: string; status: number }
  | { kind: "ambiguous"; message: string };

interface RestErrorLike {
  status?: number;
  code?: number | string;
  message?: string;
}

export function classifyDialError(err: unknown): DialFailure {
  const e = (err ?? {}) as RestErrorLike;
  const status = typeof e.status === "number" ? e.status : undefined;
  const providerMessage = typeof e.message === "string" ? e.message : "unknown error";
  if (status === undefined || status >= 500 || status === 408) {
    return { kind: "ambiguous", message: `No clear answer from the carrier (${status ?? providerMessage}).` };
  }
  if (status === 401 || status === 403) {
    return { kind: "rejected", code: "carrier_credentials_rejected", status: 502, message: "The carrier rejected our credentials. An owner must check the SignalWire settings." };
  }
  if ([21211, 21214, 21217, 21401, 21407].includes(Number(e.code))) {
    return { kind: "rejected", code: "invalid_number", status: 422, message: `The carrier refused the number: ${providerMessage}` };
  }
  if (status === 429) {
    return { kind: "rejected", code: "carrier_rate_limited", status: 502, message: "The carrier is limiting our requests. Try again in a minute." };
  }
  return { kind: "rejected", code: "carrier_refused", status: 502, message: `The carrier refused the call: ${providerMessage}` };
}

/** The caller was authorized for `calls.place` in `membership` (memberRoute, `transaction: false`). */
export async function placeCall(
  session: Session,
  membership: Membership,
  request: PlaceCallRequest,
  idempotencyKey: string | null,
  log: Logger,
): Promise<PlaceCallResult> {
  const orgId = membership.orgId;
  if (!idempotencyKey || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ValidationError("Send an Idempotency-Key header (8–255 visible characters, e.g. a UUID) with each new call.");
  }
  const telephony = config().telephony;
  const to = normalizeNumber(request.to, "The number to call");

  const toHash = await numberHash(orgId, to);
  const created = await withUser(session.claims, async (tx) => {
    // Independent reads, issued together (pipelined: one round trip).
    const [existing, defaults, survey, shopperScript, [doNotCall]] = await Promise.all([
      findByKey(tx, orgId, idempotencyKey),
      readVoiceConfig(tx, { orgId }).then((v) => ({ ok: true as const, v }), (err: unknown) => ({ ok: false as const, err })),
      request.surveyVersion ? resolveRef(tx, "survey", { orgId, ref: request.surveyVersion }) : null,
      request.shopperScriptVersion ? resolveRef(tx, "shopperScript", { orgId, ref: request.shopperScriptVersion }) : null,
      // A number typed by hand is held to the saved targets' do-not-call mark as the picker is.
      // By the keyed hash, or still in E.164 for a target the re-sealing pass has not sealed yet (docs/adr/0044).
      tx<{ name: string }[]>`select name from public.voice_targets where organization_id = ${orgId} and (number_hash = ${toHash} or number = ${to}) and dnc`,
    ]);
    if (existing) return { membership, callId: replay(existing, to, request.flow), replayed: true, snapshot: null };
    if (doNotCall) {
      throw new UnprocessableError(`${to} is marked do-not-call (saved target "${doNotCall.name}"): an owner or admin must clear the mark in Targets before it can be called.`, "do_not_call");
    }
    if (!telephony) throw new UnprocessableError("Telephony is not configured for this deployment.", "telephony_unconfigured");
    if (!defaults.ok) throw defaults.err;

    const snapshot = snapshotModulations(membership, defaults.v, { ...request, to }, defaults.v.callerId ?? telephony.fromNumber, { survey, shopperScript });
    const numbers = await callNumberColumns(tx, orgId, snapshot);
    const rows = await tx<{ id: string }[]>`
      insert into public.calls ${tx({ organization_id: orgId, created_by: session.userId, flow: snapshot.flow, ...numbers, idempotency_key: idempotencyKey, modulations: tx.json((await sealSnapshotNumbers(tx, orgId, "calls.modulations", snapshot)) as never), plan_tier: membership.plan, request_id: currentRequestId() ?? null })}
      on conflict (organization_id, idempotency_key) do nothing
      returning id`;
    if (!rows[0]) {
      // A concurrent request with the same key won the insert: answer with its call.
      const winner = await findByKey(tx, orgId, idempotencyKey);
      return { membership, callId: replay(winner!, to, request.flow), replayed: true, snapshot: null };
    }
    return { membership, callId: rows[0].id, replayed: false, snapshot };
  });

  // The call as the caller may see it, under RLS: read in the transaction that records the
  // carrier's answer (after its writes, as the caller), or on its own for a replay.
  const readBack = (tx: Tx) => findCall(tx, { orgId, callId: created.callId, view: viewFor(created.membership) });
  const call = !created.replayed && created.snapshot
    ? await dial(created.callId, orgId, created.snapshot, log, (tx) => (continueAsUser(tx, session.claims), readBack(tx)))
    : await withUser(session.claims, readBack);
  return { call: call!, replayed: created.replayed };
}

async function dial<R>(callId: string, orgId: string, snapshot: ModulationSnapshot, log: Logger, then: (tx: Tx) => Promise<R>): Promise<R> {
  const urls = callUrls(config().publicBaseUrl, callId);
  try {
    const resource = await signalwire().calls.create({
      // Bridge: the operator is dialled by REST and the target by the LaML's <Dial>; direct:
      // only the target, by REST. Never the same party twice.
      to: dialledNumber(snapshot),
      from: snapshot.from,
      url: urls.laml("start"),
      method: "POST",
      statusCallback: urls.status(),
      statusCallbackMethod: "POST",
      statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
      timeout: 30,
      timeLimit: 3600,
      // A script or survey call is recorded whole, dual channel, here and nowhere else (laml.ts).
      ...wholeCallRecording(snapshot, urls),
    });
    // The service's writes, then `then` as the caller, all sent together (one round trip):
    // each is sent as it is issued (`execute`), and Postgres runs them in that order, so the
    // caller's read sees the writes and the writes run before the role changes.
    const result = await asService(async (tx) => {
      const [, , value] = await Promise.all([
        tx`update public.calls set provider_call_sid = coalesce(provider_call_sid, ${resource.sid}), updated_at = now()
           where id = ${callId} and organization_id = ${orgId}`.execute(),
        appendCallEvent(tx, { id: callId, orgId }, "call.dialled", { CallSid: resource.sid }, { dedupeKey: "call.dialled" }),
        then(tx),
      ]);
      return value;
    });
    log.info({ callId, orgId, callSid: resource.sid }, "call dialled");
    return result;
  } catch (err) {
    const failure = classifyDialError(err);
    const dialError =
      failure.kind === "ambiguous"
        ? { code: "dial_outcome_unknown", message: `${failure.message} The call is being checked with the carrier; it will not be dialled again.` }
        : { code: failure.code, message: failure.message };
    const result = await asService(async (tx) => {
      await Promise.all([
        tx`update public.calls set dial_error = ${tx.json(dialError)},
             status = ${failure.kind === "ambiguous" ? tx`status` : tx`'failed'`}, updated_at = now(),
             ended_at = ${failure.kind === "ambiguous" ? null : new Date()}
           where id = ${callId} and organization_id = ${orgId}`,
        appendCallEvent(tx, { id: callId, orgId }, "call.dial_failed", dialError, { dedupeKey: "call.dial_failed" }),
      ]);
      return failure.kind === "ambiguous" ? then(tx) : null;
    });
    log.warn({ callId, orgId, code: dialError.code, err }, "dialling failed");
    if (failure.kind === "rejected") {
      if (failure.status === 422) throw new UnprocessableError(failure.message, failure.code, { callId });
      throw new ProviderError(failure.message, failure.code, { callId });
    }
    return result!;
  }
}

// ---------------------------------------------------------------------------------------------
// Campaign calls (docs/adr/0035)

/** A campaign's snapshot: everything a call runs with but the number it dials, which each call adds. */
export const frozenSnapshotSchema = modulationSnapshotSchema.omit({ to: true });
export type FrozenSnapshot = z.infer<typeof frozenSnapshotSchema>;

/** What a campaign asks its calls to run with: the call API's toggles and versions, always the direct flow. */
export type CampaignModulationsRequest = Omit<PlaceCallRequest, "to" | "flow" | "operatorPhone">;

/** Stands in for the number while a campaign's snapshot is taken (a campaign dials many); removed before it is stored. */
const NO_NUMBER_YET = "+10000000000";

/**
 * The snapshot a campaign's calls will all run with, taken as POST /api/calls takes a call's:
 * the organization's defaults with the request's toggles, under the same permission, plan and
 * coherence rules, and the chosen survey or script version frozen with its hash. `tx` is the
 * member's transaction (the campaign is being saved in it).
 */
export async function campaignSnapshot(tx: Tx, membership: Membership, request: CampaignModulationsRequest): Promise<FrozenSnapshot> {
  const telephony = config().telephony;
  if (!telephony) throw new UnprocessableError("Telephony is not configured for this deployment.", "telephony_unconfigured");
  const orgId = membership.orgId;
  const [defaults, survey, shopperScript] = await Promise.all([
    readVoiceConfig(tx, { orgId }),
    request.surveyVersion ? resolveRef(tx, "survey", { orgId, ref: request.surveyVersion }) : null,
    request.shopperScriptVersion ? resolveRef(tx, "shopperScript", { orgId, ref: request.shopperScriptVersion }) : null,
  ]);
  const full = snapshotModulations(membership, defaults, { ...request, flow: "direct", to: NO_NUMBER_YET }, defaults.callerId ?? telephony.fromNumber, { survey, shopperScript });
  const { to: _placeholder, ...frozen } = full;
  return frozenSnapshotSchema.parse(frozen);
}

export interface PlaceCampaignCall {
  orgId: string;
  campaignId: string;
  /** Who launched the campaign: the calls are theirs (`created_by`). */
  userId: string;
  planTier: Membership["plan"];
  snapshot: FrozenSnapshot;
  to: string;
  /** `campaign:<campaign>:<target>:<attempt>`: the attempt's own key, so a retried dial finds its call. */
  idempotencyKey: string;
  log: Logger;
  /** Runs once the call is recorded (by this caller) and just before the carrier is asked to dial it: the campaign's send gate. */
  beforeSend?: () => Promise<void>;
}

export interface CampaignCallResult {
  callId: string;
  /** The key had been used: this call was inserted before (by a crashed run or a racing worker), nothing was dialled now. */
  replayed: boolean;
  /** The carrier refused the dial (the call is `failed`, its outcome follows as for any final status). */
  dialError: { code: string; message: string } | null;
}

/**
 * Place one dial of a campaign on the service path (a job, no member session): insert the call
 * as `queued` under the attempt's Idempotency-Key, with the campaign's frozen snapshot and the
 * target's number, then dial, exactly as POST /api/calls does after its checks. The key decides
 * who dials: whoever inserts the row; a second caller with the same key (a retry after a crash,
 * another worker) gets the existing call and dials nobody.
 */
export async function placeCampaignCall(input: PlaceCampaignCall): Promise<CampaignCallResult> {
  const { orgId, campaignId, userId, planTier, to, idempotencyKey, log } = input;
  if (!config().telephony) throw new UnprocessableError("Telephony is not configured for this deployment.", "telephony_unconfigured");
  const snapshot = modulationSnapshotSchema.parse({ ...input.snapshot, to });
  const inserted = await asService(async (tx) => {
    const numbers = await callNumberColumns(tx, orgId, snapshot);
    const rows = await tx<{ id: string }[]>`
      insert into public.calls ${tx({ organization_id: orgId, created_by: userId, flow: snapshot.flow, ...numbers, idempotency_key: idempotencyKey, modulations: tx.json((await sealSnapshotNumbers(tx, orgId, "calls.modulations", snapshot)) as never), plan_tier: planTier, campaign_id: campaignId })}
      on conflict (organization_id, idempotency_key) do nothing
      returning id`;
    if (rows[0]) return { callId: rows[0].id, replayed: false };
    const existing = await findByKey(tx, orgId, idempotencyKey);
    return { callId: existing!.id, replayed: true };
  });
  if (inserted.replayed) return { ...inserted, dialError: null };
  // The carrier's client first (its SDK loads its modules on first use, hundreds of milliseconds
  // in a worker that has just started), so the send slot's instant is the send's.
  void signalwire().calls;
  await input.beforeSend?.();
  try {
    await dial(inserted.callId, orgId, snapshot, log, async () => null);
    return { ...inserted, dialError: null };
  } catch (err) {
    if (err instanceof UnprocessableError || err instanceof ProviderError) return { ...inserted, dialError: { code: err.code, message: err.message } };
    throw err;
  }
}
