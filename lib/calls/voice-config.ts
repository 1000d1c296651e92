import "server-only";
import { CAPABILITY_ACTIONS, type Capability, type VoiceConfigResponse, type VoiceConfigUpdate, type VoiceConfigView } from "@/lib/calls/contracts";
import { describeProblem, modulationProblem } from "@/lib/calls/modulations";
import { shopperScriptSchema, surveySchema } from "@/lib/surveys/documents";
import { resolveRef } from "@/lib/surveys/versions";
import { config as appConfig } from "@/lib/config";
import type { Tx } from "@/lib/db";
import { ConflictError, NotFoundError, UnprocessableError } from "@/lib/errors";
import { changedVoiceConfigFields, recordOrganizationEvent } from "@/lib/orgs/audit";
import { openNumbers, sealNumber, type NumberField } from "@/lib/pii/numbers";
import { check, type Membership } from "@/lib/rbac/authorize";
import { POLICY, planAllows, roleAllows, type Action } from "@/lib/rbac/policy";
import { carrierKind, carrierNotice } from "@/lib/telephony/client";

/**
 * The organization's default modulations. Read by every member; changed by owners and admins
 * within what the plan includes (checked here for a clear message, and again by RLS).
 */

/** The view as the database returns it: the survey and script still unchecked JSON. */
type VoiceConfigRow = Omit<VoiceConfigView, "survey" | "shopperScript"> & { survey: unknown; shopperScript: unknown };

/** The caller id and operator phone as stored: sealed (docs/adr/0044), either absent. */
const NUMBER_FIELDS = [["callerId", "voice_configs.caller_id"], ["operatorPhone", "voice_configs.operator_phone"]] as const satisfies readonly (readonly [keyof VoiceConfigView, NumberField])[];

/** The config's numbers opened (no statement once the process knows the organization's data keys). */
async function openConfigNumbers(tx: Tx, orgId: string, row: VoiceConfigRow): Promise<VoiceConfigRow> {
  const present = NUMBER_FIELDS.filter(([key]) => row[key] !== null);
  const opened = await openNumbers(tx, present.map(([key, field]) => ({ orgId, field, value: row[key]! })));
  return { ...row, ...Object.fromEntries(present.map(([key], i) => [key, opened[i]!])) };
}

/** A number to store, sealed for its field; null stays null. */
async function sealed(tx: Tx, orgId: string, field: NumberField, e164: string | null): Promise<string | null> {
  return e164 === null ? null : sealNumber(tx, orgId, field, e164);
}

/**
 * The config with its default survey and script as the versions they pin (document and hash).
 * Those are read under RLS: a member who may not read surveys, or a plan without them, sees none.
 */
export async function readVoiceConfig(tx: Tx, { orgId }: { orgId: string }): Promise<VoiceConfigView> {
  const [row] = await tx<VoiceConfigRow[]>`
    select c.flow, c.caller_id as "callerId", c.operator_phone as "operatorPhone", c.record, c.transcribe, c.translate,
           c.translate_languages as "translateLanguages", c.redact_pii as "redactPii",
           sv.document || jsonb_build_object('sha256', sv.sha256) as survey,
           pv.document || jsonb_build_object('sha256', pv.sha256) as "shopperScript",
           c.disclosure_text as "disclosureText", c.version, to_json(c.updated_at) #>> '{}' as "updatedAt"
    from public.voice_configs c
    left join public.survey_versions sv
      on sv.organization_id = c.organization_id and sv.survey_id = c.survey_id and sv.version = c.survey_version
    left join public.shopper_script_versions pv
      on pv.organization_id = c.organization_id and pv.script_id = c.shopper_script_id and pv.version = c.shopper_script_version
    where c.organization_id = ${orgId}`;
  if (!row) throw new NotFoundError("This organization has no voice configuration.");
  const config = await openConfigNumbers(tx, orgId, row);
  return {
    ...config,
    survey: config.survey ? surveySchema.parse(config.survey) : null,
    shopperScript: config.shopperScript ? shopperScriptSchema.parse(config.shopperScript) : null,
  };
}


function capability(membership: Membership, action: Action): Capability {
  const roles = [...POLICY[action].roles];
  if (!roleAllows(membership.role, action)) return { allowed: false, reason: "role", requiredPlan: null, roles };
  if (!planAllows(membership.plan, action)) return { allowed: false, reason: "plan", requiredPlan: POLICY[action].plan, roles };
  return { allowed: true, reason: null, requiredPlan: null, roles };
}

/** The config with what the caller's role and plan allow (any member: `operations.view`). */
export async function getVoiceConfig(tx: Tx, { membership }: { membership: Membership }): Promise<VoiceConfigResponse> {
  const config = await readVoiceConfig(tx, { orgId: membership.orgId });
  const capabilities = Object.fromEntries(
    CAPABILITY_ACTIONS.map((action) => [action, capability(membership, action)]),
  ) as VoiceConfigResponse["capabilities"];
  return { config, capabilities, carrier: carrierKind(), carrierNotice: carrierNotice(), transcriber: transcriberKind() };
}

function staleVersion(currentVersion: number | null): ConflictError {
  return new ConflictError(
    "Someone else changed the voice configuration since you opened it. Reload it to see their changes, then make yours again.",
    "stale_version",
    currentVersion === null ? undefined : { currentVersion },
  );
}

/**
 * Apply a partial update (the caller was authorized for `voice_config.update`). Turning a
 * modulation on needs its permission (role and plan); the result must be coherent
 * (transcription needs recording, translation needs transcription and at least one language).
 * The organization's record (`voice_config.updated`: the new version and which fields changed)
 * is written in the same transaction.
 */
export async function updateVoiceConfig(
  tx: Tx,
  { membership, update: change }: { membership: Membership; update: VoiceConfigUpdate },
): Promise<VoiceConfigResponse> {
  const orgId = membership.orgId;
  const { basedOn, ...update } = change;
  const current = await readVoiceConfig(tx, { orgId });
  if (basedOn !== undefined && basedOn !== current.version) throw staleVersion(current.version);
  // Plan and role first (403), then whether the version exists here (404).
  if (update.survey || update.shopperScript) check(membership, "survey.enable", orgId);
  // A new default survey or script must be a published version here: resolved to what it pins.
  const [survey, shopperScript] = await Promise.all([
    update.survey ? resolveRef(tx, "survey", { orgId, ref: update.survey }) : undefined,
    update.shopperScript ? resolveRef(tx, "shopperScript", { orgId, ref: update.shopperScript }) : undefined,
  ]);
  if (survey === null) throw new NotFoundError("No such survey version in this organization.");
  if (shopperScript === null) throw new NotFoundError("No such shopper script version in this organization.");
  const next = {
    ...current,
    ...update,
    survey: update.survey === undefined ? current.survey : (survey ?? null),
    shopperScript: update.shopperScript === undefined ? current.shopperScript : (shopperScript ?? null),
  };

  const turnedOn = (key: "record" | "transcribe" | "translate") => next[key] && !current[key];
  if (turnedOn("record") || turnedOn("transcribe")) check(membership, "recording.enable", orgId);
  if (turnedOn("translate") || (next.translate && update.translateLanguages)) check(membership, "translation.enable", orgId);
  const problem = modulationProblem(
    { record: next.record, transcribe: next.transcribe, translate: next.translate, survey: next.survey !== null, shopperScript: next.shopperScript !== null },
    // Flows are a property of each call: the org's default flow may be bridge while a survey
    // is configured for the direct calls it also places.
    null,
  );
  if (problem) throw new UnprocessableError(describeProblem(problem), "invalid_modulations");
  if (next.translate && next.translateLanguages.length === 0) {
    throw new UnprocessableError("Choose at least one language to translate into.", "invalid_modulations");
  }

  // Sealed one after the other: the first may read the data key, the second finds it in memory.
  const callerId = await sealed(tx, orgId, "voice_configs.caller_id", next.callerId);
  const operatorPhone = await sealed(tx, orgId, "voice_configs.operator_phone", next.operatorPhone);
  const written = await tx`
    update public.voice_configs set
      flow = ${next.flow}, caller_id = ${callerId}, operator_phone = ${operatorPhone},
      record = ${next.record}, transcribe = ${next.transcribe}, translate = ${next.translate},
      translate_languages = ${next.translateLanguages}, redact_pii = ${next.redactPii},
      ${update.survey === undefined ? tx`` : tx`survey_id = ${next.survey?.id ?? null}, survey_version = ${next.survey?.version ?? null},
        survey_sha256 = ${next.survey?.sha256 ?? null},`}
      ${update.shopperScript === undefined ? tx`` : tx`shopper_script_id = ${next.shopperScript?.id ?? null},
        shopper_script_version = ${next.shopperScript?.version ?? null}, shopper_script_sha256 = ${next.shopperScript?.sha256 ?? null},`}
      disclosure_text = ${next.disclosureText}, version = version + 1, updated_at = now(), updated_by = ${membership.userId}
    where organization_id = ${orgId} and version = ${current.version}`;
  // Someone else saved between our read and this write: theirs stands, ours is refused.
  if (written.count === 0) throw staleVersion(null);
  await recordOrganizationEvent(tx, {
    orgId,
    event: { kind: "voice_config.updated", subject: null, payload: { version: current.version + 1, fields: changedVoiceConfigFields(current, next) } },
  });
  return getVoiceConfig(tx, { membership });
}

/** What the page says about transcription: "simulated" in the embedded default. */
export function transcriberKind(): "simulated" | "assemblyai" | "unconfigured" {
  const transcriber = appConfig().transcriber;
  if (!transcriber) return "unconfigured";
  return transcriber.simulated ? "simulated" : "assemblyai";
}
