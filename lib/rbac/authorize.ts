import "server-only";
import type { Session } from "@/lib/db/claims";
import { ORG_HEADER } from "@/lib/rbac/org-header";
import { requestContext, withRequest, withUser, type RequestContext, type Tx } from "@/lib/db";
import { ForbiddenError, NotFoundError, OrganizationRequiredError, PlanRequiredError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import type { Membership } from "@/lib/rbac/membership";
import { POLICY, planAllows, roleAllows, whoMay, type Action } from "@/lib/rbac/policy";
import { isUuid } from "@/lib/pg-safe";

/** The caller's membership as the API shows it (`GET /api/me`); defined once in lib/rbac/membership.ts. */
export type { Membership };

/** The caller's memberships, read under RLS (so only their own). */
export async function listMemberships(tx: Tx, { userId }: { userId: string }): Promise<Membership[]> {
  return tx<Membership[]>`
    select o.id as "orgId", o.name as "orgName", o.plan::text as plan, m.role::text as role, m.user_id as "userId"
    from public.org_members m
    join public.organizations o on o.id = m.organization_id
    where m.user_id = ${userId}
    order by o.name, o.id`;
}

async function findMembership(tx: Tx, { userId, orgId }: { userId: string; orgId: string }): Promise<Membership | null> {
  const [row] = await tx<Membership[]>`
    select o.id as "orgId", o.name as "orgName", o.plan::text as plan, m.role::text as role, m.user_id as "userId"
    from public.org_members m
    join public.organizations o on o.id = m.organization_id
    where m.organization_id = ${orgId} and m.user_id = ${userId}`;
  return row ?? null;
}

/**
 * Check a membership against the policy. An organization the caller does not belong to is
 * 404 (its existence is not ours to reveal); a role that may not is 403; a plan that does not
 * include the action is 403 `plan_required` naming the plan that does. Denials are logged.
 */
export function check(membership: Membership | null, action: Action, orgId: string): Membership {
  const log = logger().child({ action, orgId });
  if (!membership) {
    log.warn({ reason: "not_member" }, "authorization denied");
    throw new NotFoundError("Organization not found.");
  }
  if (!roleAllows(membership.role, action)) {
    log.warn({ reason: "role", role: membership.role, userId: membership.userId }, "authorization denied");
    throw new ForbiddenError(
      `Your role (${membership.role}) does not allow this: ${POLICY[action].label.toLowerCase()}. ${whoMay(action)} may.`,
      { action, roles: [...POLICY[action].roles] },
    );
  }
  if (!planAllows(membership.plan, action)) {
    log.warn({ reason: "plan", plan: membership.plan, userId: membership.userId }, "authorization denied");
    throw new PlanRequiredError(POLICY[action].label, POLICY[action].plan, membership.plan);
  }
  return membership;
}

/**
 * The plan half of a check only: whoever asks, the organization's plan must include the action
 * (a call may run the org's recording default, but not on a plan that no longer includes it).
 */
export function requirePlan(membership: Membership, action: Action): void {
  if (!planAllows(membership.plan, action)) {
    logger().child({ action, orgId: membership.orgId }).warn({ reason: "plan", plan: membership.plan }, "authorization denied");
    throw new PlanRequiredError(POLICY[action].label, POLICY[action].plan, membership.plan);
  }
}

/**
 * Resolve the caller's membership and check the action. Member routes reach it only through
 * `memberRoute` (lib/http/member-route.ts); server components and tests through `withMember`.
 */
export async function authorize(session: Session, action: Action, orgId: string, tx?: Tx): Promise<Membership> {
  if (!isUuid(orgId)) return check(null, action, orgId);
  const load = (t: Tx) => findMembership(t, { userId: session.userId, orgId });
  const membership = tx ? await load(tx) : await withUser(session.claims, load);
  return check(membership, action, orgId);
}

/**
 * The member path's core: one transaction as the caller, `action` authorized inside it, then
 * `fn` with the membership that passed. `memberRoute` is this plus HTTP; the page uses it too.
 */
export async function withMember<T>(
  session: Session,
  action: Action,
  orgId: string,
  fn: (tx: Tx, membership: Membership) => Promise<T>,
): Promise<T> {
  return withUser(session.claims, async (tx) => fn(tx, await authorize(session, action, orgId, tx)));
}

/** The 409 for a request that names no organization when the caller has no active one. */
export function organizationRequired(memberships: unknown[]): OrganizationRequiredError {
  return new OrganizationRequiredError(
    memberships.length === 0
      ? "You are not a member of any organization yet. Accept an invitation to join one."
      : `You belong to ${memberships.length} organizations: choose one (POST /api/session/org, or the ${ORG_HEADER} header).`,
  );
}

/** Matches no organization: an `x-organization-id` that is not a UUID is 404, not "the active one". */
const NO_ORG = "00000000-0000-0000-0000-000000000000";

/**
 * A member request in ONE transaction (`memberRoute`, the page): its first statement checks the
 * session's `auth.sessions` row (`liveCheck`; 401 when gone) and resolves the membership in
 * `orgId`, or in the active organization when `orgId` is null (`withRequest`). Then, in the
 * order the API has always answered: `before` (the per-user limit), 409 when no organization
 * is active, `deferred` (an input error found before the transaction opened), and the action's
 * check (another organization 404, role or plan 403); then `fn` in the same transaction.
 */
export async function withMemberRequest<T>(
  { session, liveCheck }: { session: Session; liveCheck: string | null },
  action: Action,
  orgId: string | null,
  fn: (tx: Tx, membership: Membership, memberships: Membership[]) => Promise<T>,
  { before, deferred }: { before?: () => Promise<void>; deferred?: unknown } = {},
): Promise<T> {
  const named = orgId === null ? null : isUuid(orgId) ? orgId : NO_ORG;
  return withRequest<Membership, T>(session.claims, { liveCheck, orgId: named }, async (tx, context) => {
    const membership = await checked(context, action, orgId, { before, deferred });
    return fn(tx, membership, context.memberships);
  });
}

/**
 * `withMemberRequest` without the transaction, for a handler that opens its own (placing a call
 * must not hold one across the carrier request): the same checks in the same order, the
 * session and membership read in ONE statement on the pool.
 */
export async function authorizeRequest(
  { session, liveCheck }: { session: Session; liveCheck: string | null },
  action: Action,
  orgId: string | null,
  { before, deferred }: { before?: () => Promise<void>; deferred?: unknown } = {},
): Promise<Membership> {
  const named = orgId === null ? null : isUuid(orgId) ? orgId : NO_ORG;
  const context = await requestContext<Membership>(session.claims, { liveCheck, orgId: named });
  return checked(context, action, orgId, { before, deferred });
}

async function checked(
  context: RequestContext<Membership>,
  action: Action,
  orgId: string | null,
  { before, deferred }: { before?: () => Promise<void>; deferred?: unknown },
): Promise<Membership> {
  await before?.();
  if (orgId === null && !context.membership) throw organizationRequired(context.memberships);
  if (deferred) throw deferred;
  return check(context.membership, action, orgId ?? context.membership!.orgId);
}
