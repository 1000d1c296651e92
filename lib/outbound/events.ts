import "server-only";
import type { Tx } from "@/lib/db";
import { WEBHOOK_EVENT_DATA, type WebhookEventData, type WebhookEventType } from "@/lib/outbound/contracts";

/**
 * Emit an outbound event from TypeScript, in the caller's transaction (service path), for a
 * fact no trigger sees: retention's deletions (`retention.deleted`). The other events are
 * emitted by triggers on their facts' tables (…_emit_outbound_events.sql). `data` is checked
 * against the catalogue's schema first, so a receiver never gets a payload the catalogue does
 * not describe. `dedupe` names the fact (`retention:{manifestId}`): emitting it again is a no-op.
 * Returns the event's id, or null when it was already emitted.
 */
export async function emitWebhookEvent<T extends WebhookEventType>(
  tx: Tx,
  { orgId, type, data, dedupe }: { orgId: string; type: T; data: WebhookEventData<T>; dedupe: string },
): Promise<string | null> {
  const checked = WEBHOOK_EVENT_DATA[type].parse(data) as Record<string, unknown>;
  const [row] = await tx<{ id: string | null }[]>`
    select private.emit_webhook_event(${orgId}::uuid, ${type}::text, ${tx.json(checked as never)}::jsonb, ${dedupe}::text) as id`;
  return row?.id ?? null;
}
