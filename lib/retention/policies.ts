import "server-only";
import { createHash } from "node:crypto";
import { asService, type Tx } from "@/lib/db";
import { ConflictError } from "@/lib/errors";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import type { Membership } from "@/lib/rbac/authorize";
import { dueCalls } from "@/lib/retention/deletions";
import {
  POLICY_KINDS,
  PREVIEW_MAX_CALLS,
  PREVIEW_TTL_MS,
  type PolicyKind,
  type RetentionPolicyInput,
  type RetentionPolicyView,
  type RetentionPreview,
} from "@/lib/retention/contracts";

/**
 * Retention policies (docs/adr/0037): the one writer of `retention_policies`, and the preview
 * that must come first. A preview changes nothing; it answers what the proposed policies would
 * delete now (artifacts and calls per kind, the calls, and how many a hold keeps) and a token:
 * its expiry (PREVIEW_TTL_MS) and the SHA-256 of the organization, the whole resulting policy
 * set, the expiry and the answer. Applying sends the same policies and the token; the preview is
 * made again in the applying transaction, and only the same answer before the expiry applies
 * (409 `preview_expired` or `preview_stale`, nothing changed). Deletion itself is the job's:
 * the sweep finds what is due within a minute.
 */
export async function readPolicies(tx: Tx, { orgId }: { orgId: string }): Promise<RetentionPolicyView[]> {
  const rows = await tx<RetentionPolicyView[]>`
    select kind, keep_days as "keepDays", to_json(updated_at) #>> '{}' as "updatedAt", updated_by as "updatedBy"
    from public.retention_policies where organization_id = ${orgId}`;
  return POLICY_KINDS.map((kind) => rows.find((r) => r.kind === kind) ?? { kind, keepDays: null, updatedAt: null, updatedBy: null });
}

/** The stored policies with the proposed ones over them: the set a confirmation would leave. */
function merged(current: RetentionPolicyView[], proposed: RetentionPolicyInput): Array<{ kind: PolicyKind; keepDays: number | null }> {
  return current.map((c) => ({ kind: c.kind, keepDays: proposed.find((p) => p.kind === c.kind)?.keepDays ?? (proposed.some((p) => p.kind === c.kind) ? null : c.keepDays) }));
}

/** Most calls a preview looks at; a larger backlog is deleted in the sweep's batches all the same. */
const PREVIEW_SCAN = 100_000;

export async function previewPolicies({ orgId, policies }: { orgId: string; policies: RetentionPolicyInput }): Promise<RetentionPreview> {
  return asService((tx) => previewIn(tx, { orgId, policies }));
}

async function previewIn(tx: Tx, { orgId, policies, expiresAt }: { orgId: string; policies: RetentionPolicyInput; expiresAt?: number }): Promise<RetentionPreview> {
  const set = merged(await readPolicies(tx, { orgId }), policies);
  const due = await dueCalls(tx, { orgId, proposed: set, limit: PREVIEW_SCAN, includeHeld: true });
  const deleting = due.filter((c) => !c.held);
  const kinds = set.map(({ kind, keepDays }) => ({
    kind,
    keepDays,
    artifacts: deleting.reduce((n, c) => n + (c.artifacts[kind] ?? 0), 0),
    calls: deleting.filter((c) => c.kinds.includes(kind)).length,
  }));
  const answer = {
    kinds,
    calls: deleting.slice(0, PREVIEW_MAX_CALLS).map((c) => ({ id: c.callId, createdAt: c.createdAt, kinds: c.kinds })),
    totalCalls: deleting.length,
    heldCalls: due.length - deleting.length,
  };
  const expiry = expiresAt ?? Date.now() + PREVIEW_TTL_MS;
  const token = `${expiry}.${createHash("sha256").update(canonicalJson({ kind: "verbatim.retention.preview.v1", orgId, set, expiry, answer })).digest("hex")}`;
  return { token, expiresAt: new Date(expiry).toISOString(), ...answer };
}

export async function applyPolicies({ membership, policies, token }: { membership: Membership; policies: RetentionPolicyInput; token: string }): Promise<RetentionPolicyView[]> {
  const orgId = membership.orgId;
  const expiry = Number(token.split(".")[0]);
  if (!(expiry > Date.now())) throw new ConflictError("This preview has expired: nothing was changed. Preview the policies again and confirm what it shows.", "preview_expired");
  return asService(async (tx) => {
    // One confirmation at a time per organization, and the preview made again in the same
    // transaction as the write: a change landing between the check and the write (another
    // owner's confirmation) cannot slip past the token.
    await tx`select pg_advisory_xact_lock(hashtextextended(${`retention_policies:${orgId}`}, 0))`;
    const again = await previewIn(tx, { orgId, policies, expiresAt: expiry });
    if (again.token !== token) {
      throw new ConflictError("What these policies would delete changed since the preview (or the policies differ from the ones previewed): nothing was changed. Preview again.", "preview_stale");
    }
    for (const p of policies) {
      await tx`
        insert into public.retention_policies (organization_id, kind, keep_days, updated_by, updated_at)
        values (${orgId}, ${p.kind}, ${p.keepDays}, ${membership.userId}, now())
        on conflict (organization_id, kind) do update set keep_days = excluded.keep_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`;
    }
    return readPolicies(tx, { orgId });
  });
}
