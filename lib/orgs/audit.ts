import "server-only";
import { z } from "zod";
import type { Tx } from "@/lib/db";
import { ROLES } from "@/lib/rbac/policy";

/**
 * The organization's own changes (`organization_events`): the one module that writes them,
 * over a catalogue of kinds. Each writer of a change (lib/calls/voice-config.ts,
 * lib/orgs/members.ts, lib/orgs/invitations.ts) calls `recordOrganizationEvent` with the
 * transaction that made the change, so the change and its event commit or roll back together.
 * The insert is one SQL function, `private.append_organization_event`
 * (supabase/migrations/*_create_organization_events.sql), which takes the actor from the
 * transaction's own claims (null on the service path): nobody records an act in another's name.
 * Payloads carry no secrets, tokens or links: field names, roles, the invited address.
 */

const role = z.enum(ROLES);
/**
 * Why the system made a change no member made: the owner of an address proved it and took back an
 * account nobody had proven, whose memberships end and are offered to them again (docs/adr/0027).
 */
const reason = z.literal("address_proven").optional();

/** Voice-configuration fields as the feed names them, in the order it lists them. */
export const VOICE_CONFIG_FIELDS = {
  flow: "flow",
  callerId: "caller ID",
  operatorPhone: "operator phone",
  record: "record",
  transcribe: "transcribe",
  translate: "translate",
  translateLanguages: "translation languages",
  redactPii: "PII redaction",
  survey: "default survey",
  shopperScript: "shopper script",
  disclosureText: "disclosure text",
} as const;
export type VoiceConfigField = keyof typeof VOICE_CONFIG_FIELDS;
const voiceConfigField = z.enum(Object.keys(VOICE_CONFIG_FIELDS) as [VoiceConfigField, ...VoiceConfigField[]]);

export const organizationEventSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("voice_config.updated"),
    subject: z.null(),
    /** The version the change made, and which fields it changed (names, not values). */
    payload: z.strictObject({ version: z.number().int().positive(), fields: z.array(voiceConfigField) }),
  }),
  z.object({
    kind: z.literal("member.role_changed"),
    /** The member's user id. */
    subject: z.uuid(),
    payload: z.strictObject({ from: role, to: role }),
  }),
  z.object({
    kind: z.literal("member.removed"),
    subject: z.uuid(),
    payload: z.strictObject({ role, reason }),
  }),
  z.object({
    kind: z.literal("invitation.created"),
    /** The invitation's id. */
    subject: z.uuid(),
    payload: z.strictObject({ email: z.email().max(255), role, reason }),
  }),
  z.object({
    kind: z.literal("invitation.revoked"),
    subject: z.uuid(),
    payload: z.strictObject({ email: z.email().max(255), role }),
  }),
  z.object({
    kind: z.literal("target.dnc_set"),
    /** The target's id. */
    subject: z.uuid(),
    /** Its name (never its number: the feed names, it does not dial). */
    payload: z.strictObject({ name: z.string().max(200) }),
  }),
  z.object({
    kind: z.literal("target.dnc_cleared"),
    subject: z.uuid(),
    payload: z.strictObject({ name: z.string().max(200) }),
  }),
  z.object({
    kind: z.literal("targets.imported"),
    subject: z.null(),
    /** How many targets the import saved, and how many of them it marked do-not-call. */
    payload: z.strictObject({ created: z.number().int().min(0), dnc: z.number().int().min(0) }),
  }),
  z.object({
    kind: z.literal("invitation.accepted"),
    /** The user who joined (also the actor). */
    subject: z.uuid(),
    payload: z.strictObject({ role }),
  }),
]);
export type OrganizationEvent = z.infer<typeof organizationEventSchema>;
export type OrganizationEventKind = OrganizationEvent["kind"];
export const ORGANIZATION_EVENT_KINDS = organizationEventSchema.options.map((o) => o.shape.kind.value) as OrganizationEventKind[];

/**
 * Record a change in the transaction that made it. Call it after the change's own statement:
 * a refused change throws first, and a failed statement fails the transaction anyway.
 */
export async function recordOrganizationEvent(tx: Tx, { orgId, event }: { orgId: string; event: OrganizationEvent }): Promise<void> {
  const e = organizationEventSchema.parse(event);
  await tx`select private.append_organization_event(${orgId}::uuid, ${e.kind}, ${e.subject}, ${tx.json(e.payload)})`;
}

/** Which of the configuration's fields differ between two views of it (surveys by version). */
export function changedVoiceConfigFields(before: Record<VoiceConfigField, unknown>, after: Record<VoiceConfigField, unknown>): VoiceConfigField[] {
  const comparable = (field: VoiceConfigField, value: unknown) => {
    if ((field === "survey" || field === "shopperScript") && value && typeof value === "object") {
      const v = value as { id?: unknown; version?: unknown; sha256?: unknown };
      return JSON.stringify([v.id, v.version, v.sha256]);
    }
    return JSON.stringify(value ?? null);
  };
  return (Object.keys(VOICE_CONFIG_FIELDS) as VoiceConfigField[]).filter((f) => comparable(f, before[f]) !== comparable(f, after[f]));
}
