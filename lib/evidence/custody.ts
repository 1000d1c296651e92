import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json";

/**
 * The custody record's hash chain (pure, so the verifier recomputes it). Event n's hash is the
 * SHA-256 of the canonical JSON of its fields and event n−1's hash (null for the first event of
 * an organization): changing, dropping or reordering any event breaks every later hash.
 */
export interface CustodyEventFields {
  organizationId: string;
  sequence: number;
  actorUserId: string | null;
  action: string;
  callId: string | null;
  manifestId: string | null;
  sha256: string | null;
  requestId: string | null;
  /** ISO 8601 UTC with milliseconds. */
  occurredAt: string;
  previousHash: string | null;
}

export function custodyEventHash(event: CustodyEventFields): string {
  return createHash("sha256").update(canonicalJson(event), "utf8").digest("hex");
}

/** The first sequence number whose hash or link does not hold, or null when the chain is intact. */
export function brokenCustodyLink(events: ReadonlyArray<CustodyEventFields & { hash: string }>): number | null {
  let previous: string | null = null;
  for (const [i, event] of events.entries()) {
    if (event.sequence !== i + 1 || event.previousHash !== previous || custodyEventHash(withoutHash(event)) !== event.hash) return event.sequence;
    previous = event.hash;
  }
  return null;
}

function withoutHash(event: CustodyEventFields & { hash: string }): CustodyEventFields {
  const { hash: _hash, ...fields } = event;
  return fields;
}
