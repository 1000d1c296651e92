import "server-only";
import type { Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { webhookIdOf, type DeliveryView, type WebhookEventType } from "@/lib/outbound/contracts";

/**
 * The delivery log as owners and admins read it (under RLS, webhooks.manage): each delivery
 * with its event and every attempt (status, latency, error), newest first; and replay.
 */

interface DeliveryRow {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: WebhookEventType;
  occurredAt: Date;
  createdAt: Date;
  status: DeliveryView["status"];
  nextAttemptAt: Date | null;
  attempts: { attempt: number; startedAt: string; latencyMs: number; statusCode: number | null; error: string | null; replay: boolean }[];
}

export async function listDeliveries(
  tx: Tx,
  { orgId, endpointId, before, limit }: { orgId: string; endpointId?: string; before?: string; limit: number },
): Promise<{ deliveries: DeliveryView[]; next: string | null }> {
  const rows = await tx<DeliveryRow[]>`
    select d.id, d.endpoint_id as "endpointId", d.event_id as "eventId", ev.type as "eventType", ev.occurred_at as "occurredAt",
           d.created_at as "createdAt", d.status, d.next_attempt_at as "nextAttemptAt",
           coalesce((select jsonb_agg(jsonb_build_object('attempt', a.attempt, 'startedAt', a.started_at, 'latencyMs', a.latency_ms,
                                                         'statusCode', a.status_code, 'error', a.error, 'replay', a.replay) order by a.attempt)
                     from public.webhook_delivery_attempts a where a.organization_id = d.organization_id and a.delivery_id = d.id), '[]') as attempts
    from public.webhook_deliveries d
    join public.webhook_events ev on ev.organization_id = d.organization_id and ev.id = d.event_id
    where d.organization_id = ${orgId}
      ${endpointId ? tx`and d.endpoint_id = ${endpointId}` : tx``}
      ${before ? tx`and d.created_at < ${before}::timestamptz` : tx``}
    order by d.created_at desc, d.id desc
    limit ${limit + 1}`;
  const page = rows.slice(0, limit);
  return {
    deliveries: page.map((r) => ({
      id: r.id,
      webhookId: webhookIdOf(r.id),
      endpointId: r.endpointId,
      eventId: r.eventId,
      eventType: r.eventType,
      occurredAt: r.occurredAt.toISOString(),
      status: r.status,
      nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null,
      attempts: r.attempts.map((a) => ({ ...a, startedAt: new Date(a.startedAt).toISOString() })),
    })),
    next: rows.length > limit ? page.at(-1)!.createdAt.toISOString() : null,
  };
}

/**
 * Send a delivery again, now, with the same webhook-id (private.replay_webhook_delivery checks
 * the caller's authority in the delivery's organization). 404 across organizations; 409 while
 * it is still being tried.
 */
export async function replayDelivery(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<void> {
  const [owned] = await tx`select 1 from public.webhook_deliveries where organization_id = ${orgId} and id = ${id}`;
  if (!owned) throw new NotFoundError("Delivery not found.");
  const [row] = await tx<{ outcome: string }[]>`select private.replay_webhook_delivery(${id}) as outcome`;
  const outcome = row?.outcome;
  if (outcome === "not_found") throw new NotFoundError("Delivery not found.");
  if (outcome === "pending") throw new ConflictError("This delivery is still being tried; its next attempt is already queued.", "delivery_pending");
}
