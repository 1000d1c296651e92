import "server-only";
import type { Tx } from "@/lib/db";
import { logger } from "@/lib/logger";
import { emitWebhookEvent } from "@/lib/outbound/events";

/**
 * `retention.deleted`: what one deletion did, in one place. `applyRetention` calls
 * `retentionDeleted` once per call, inside the transaction that recorded the tombstones,
 * deleted the rows and sealed the version that lists them, so whatever is hooked here commits
 * with the deletion or not at all: the outbound `retention.deleted` event (docs/webhooks.md) is
 * emitted here, keyed by the tombstone version, so a retried job never sends it twice.
 */
export interface RetentionDeletedEvent {
  organizationId: string;
  callId: string;
  reason: "retention_policy" | "erasure_request";
  erasureRequestId: string | null;
  deletedAt: string;
  /** The artifacts deleted, by manifest kind, id and SHA-256 (the manifest's `deleted[]` has the rest). */
  artifacts: Array<{ kind: string; id: string; sha256: string }>;
  /** The sealed version that lists them as deleted. */
  manifest: { id: string; version: number; sha256: string; leafIndex: number };
}

export async function retentionDeleted(tx: Tx, event: RetentionDeletedEvent): Promise<void> {
  await emitWebhookEvent(tx, {
    orgId: event.organizationId,
    type: "retention.deleted",
    data: {
      callId: event.callId,
      reason: event.reason,
      erasureRequestId: event.erasureRequestId,
      deletedAt: event.deletedAt,
      deleted: event.artifacts.map((a) => ({ artifactId: a.id, kind: a.kind, sha256: a.sha256 })),
      manifest: { id: event.manifest.id, version: event.manifest.version, sha256: event.manifest.sha256 },
    },
    dedupe: `retention:${event.manifest.id}`,
  });
  logger().info({ event: "retention.deleted", orgId: event.organizationId, callId: event.callId, reason: event.reason, artifacts: event.artifacts.length, manifestVersion: event.manifest.version }, "retention.deleted");
}
