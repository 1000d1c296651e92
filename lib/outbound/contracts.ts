import { z } from "zod";
import { pgText } from "@/lib/pg-safe";

/**
 * Outbound webhooks' contracts (docs/adr/0039): the event types and each one's `data`, the
 * endpoints API's bodies and the views it answers with. Client-safe (the settings panel uses
 * them): zod and data only. The catalogue (docs/webhooks.md) lists the same payloads.
 */

export const WEBHOOK_EVENT_TYPES = ["call.completed", "artifact.stored", "manifest.sealed", "campaign.completed", "export.ready", "retention.deleted"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const iso = z.string().nullable();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** Each event type's `data`, as the emitting triggers (…_emit_outbound_events.sql) build it. */
export const WEBHOOK_EVENT_DATA = {
  "call.completed": z.object({
    callId: z.uuid(),
    status: z.enum(["completed", "busy", "no_answer", "failed", "canceled"]),
    direction: z.string(),
    flow: z.string(),
    campaignId: z.uuid().nullable(),
    answeredAt: iso,
    endedAt: iso,
    durationSeconds: z.number().int().nullable(),
  }),
  "artifact.stored": z.object({
    callId: z.uuid(),
    artifactId: z.uuid(),
    kind: z.enum(["recording", "transcript", "translation", "redacted_transcript", "redacted_audio", "score"]),
    language: z.string().nullable(),
    sha256,
    bytes: z.number().int().nullable(),
    mediaType: z.string().nullable(),
    storedAt: z.string(),
  }),
  "manifest.sealed": z.object({
    callId: z.uuid(),
    manifestId: z.uuid(),
    version: z.number().int().min(1),
    manifestSha256: sha256,
    previousSha256: sha256.nullable(),
    kid: z.string(),
    sealedAt: z.string(),
  }),
  "campaign.completed": z.object({ campaignId: z.uuid(), completedAt: z.string() }),
  "export.ready": z.object({ exportId: z.uuid(), calls: z.number().int(), sha256, bytes: z.number().int(), expiresAt: z.string() }),
  /**
   * Emitted by retention (issue 21) in the transaction that deletes: what went, by hash, why,
   * and the manifest version (the tombstone) that records it.
   */
  "retention.deleted": z.object({
    callId: z.uuid(),
    reason: z.enum(["retention_policy", "erasure_request"]),
    /** The erasure request, for reason `erasure_request`. */
    erasureRequestId: z.uuid().nullable(),
    deletedAt: z.string(),
    /** Each artifact deleted, by its id and kind in the manifest and its SHA-256 there. */
    deleted: z.array(z.object({ artifactId: z.string().min(1).max(200), kind: z.string().min(1).max(64), sha256 })).min(1).max(500),
    /** The sealed manifest version that lists them as deleted (its tombstones). */
    manifest: z.object({ id: z.uuid(), version: z.number().int().positive(), sha256 }),
  }),
} as const satisfies Record<WebhookEventType, z.ZodType>;

export type WebhookEventData<T extends WebhookEventType> = z.infer<(typeof WEBHOOK_EVENT_DATA)[T]>;

/** What every delivery's body is: Standard Webhooks' recommended envelope. */
export interface WebhookEnvelope {
  type: WebhookEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

const eventTypesSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1, "subscribe to at least one event type")
  .max(WEBHOOK_EVENT_TYPES.length)
  .transform((types) => [...new Set(types)]);

const descriptionSchema = pgText.transform((s) => s.trim()).pipe(z.string().max(500));
/** The URL's policy (lib/outbound/url-policy.ts) is applied by the domain, which answers 422 with the reason. */
const urlSchema = pgText.pipe(z.string().min(1, "give the endpoint a URL").max(4096));

export const endpointCreateSchema = z.strictObject({
  url: urlSchema,
  description: descriptionSchema.default(""),
  eventTypes: eventTypesSchema,
});
export type EndpointCreate = z.infer<typeof endpointCreateSchema>;

export const endpointUpdateSchema = z
  .strictObject({
    url: urlSchema.optional(),
    description: descriptionSchema.optional(),
    eventTypes: eventTypesSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "change at least one field");
export type EndpointUpdate = z.infer<typeof endpointUpdateSchema>;

/** How long the previous secrets keep signing after a rotation (default a day, at most a week; 0 ends them now). */
export const rotateSecretSchema = z.strictObject({
  overlapSeconds: z.number().int().min(0).max(7 * 86_400).default(86_400),
});

export const endpointViewSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  disabledAt: z.string().nullable(),
  createdAt: z.string(),
  /** The secrets that sign now: when each was made and, after a rotation, when it stops. Never the secret. */
  secrets: z.array(z.object({ id: z.uuid(), createdAt: z.string(), expiresAt: z.string().nullable() })),
});
export type EndpointView = z.infer<typeof endpointViewSchema>;

export const deliveryViewSchema = z.object({
  id: z.uuid(),
  /** The webhook-id header every attempt of this delivery sends. */
  webhookId: z.string(),
  endpointId: z.uuid(),
  eventId: z.uuid(),
  eventType: z.enum(WEBHOOK_EVENT_TYPES),
  occurredAt: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.array(
    z.object({
      attempt: z.number().int(),
      startedAt: z.string(),
      latencyMs: z.number().int(),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
      replay: z.boolean(),
    }),
  ),
  nextAttemptAt: z.string().nullable(),
});
export type DeliveryView = z.infer<typeof deliveryViewSchema>;

export const deliveryListQuerySchema = z.strictObject({
  endpoint: z.uuid().optional(),
  before: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** The webhook-id of a delivery: stable across its attempts and replays. */
export function webhookIdOf(deliveryId: string): string {
  return `msg_${deliveryId.replaceAll("-", "")}`;
}
