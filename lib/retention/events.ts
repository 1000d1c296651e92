import "server-only";
import type { Tx } from "@/lib/db";
import { logger } from "@/lib/logger";

/**
 * `retention.deleted`: what one deletion did, in one place. `applyRetention` calls
 * `retentionDeleted` once per call, inside the transaction that recorded the tombstones,
 * deleted the rows and sealed the version that lists them, so whatever is hooked here commits
 * with the deletion or not at all. Outbound webhooks (issue 21) enqueue their delivery here.
 */
export interface RetentionDeletedEvent {
  organizationId: string;
  callId: string;
  reason: "retention_policy" | "erasure_request";
  erasureRequestId: string | null;
  deletedAt: string;
  /** The artifacts deleted, by manifest kind and id (their hashes are in the manifest's `deleted[]`). */
  artifacts: Array<{ kind: string; id: string }>;
  /** The sealed version that lists them as deleted. */
  manifest: { id: string; version: number; sha256: string; leafIndex: number };
}

export async function retentionDeleted(_tx: Tx, event: RetentionDeletedEvent): Promise<void> {
  logger().info({ event: "retention.deleted", orgId: event.organizationId, callId: event.callId, reason: event.reason, artifacts: event.artifacts.length, manifestVersion: event.manifest.version }, "retention.deleted");
}
