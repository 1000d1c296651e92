import "server-only";
import type { Session } from "@/lib/db/claims";
import { ORG_HEADER } from "@/lib/auth/contracts";
import type { RequestSession } from "@/lib/auth";
import { withRequest, withUser, type Tx } from "@/lib/db";
import { UnauthenticatedError } from "@/lib/errors";
import { listMemberships, organizationRequired, type Membership } from "@/lib/rbac/authorize";

/**
 * The organization a request acts on, always an explicit choice, never list order:
 * 1. the `x-organization-id` header (API clients; still checked by `authorize`, so an id the
 *    user does not belong to answers 404);
 * 2. else the choice the user stored (`public.user_preferences`), while they are a member;
 * 3. else their only membership, when they have exactly one;
 * 4. else none: API requests answer 409 `organization_required`, the page shows a chooser.
 * Accepting an invitation never changes the stored choice; only `chooseActiveOrg` does.
 * This module is the one writer of `public.user_preferences`.
 */

export interface Workspace {
  memberships: Membership[];
  active: Membership | null;
}

async function storedChoice(tx: Tx, { userId }: { userId: string }): Promise<string | null> {
  const [row] = await tx<{ orgId: string | null }[]>`
    select active_organization_id as "orgId" from public.user_preferences where user_id = ${userId}`;
  return row?.orgId ?? null;
}

function resolveActive(memberships: Membership[], stored: string | null): Membership | null {
  const chosen = stored ? memberships.find((m) => m.orgId === stored) : undefined;
  if (chosen) return chosen;
  return memberships.length === 1 ? memberships[0]! : null;
}

export async function loadWorkspace(session: Session): Promise<Workspace> {
  return withUser(session.claims, async (tx) => {
    const memberships = await listMemberships(tx, { userId: session.userId });
    const stored = await storedChoice(tx, { userId: session.userId });
    return { memberships, active: resolveActive(memberships, stored) };
  });
}

/**
 * The page's one transaction: its first statement checks the session (`liveCheck`) and reads
 * the workspace (`private.request_context`, the same rules as `loadWorkspace`); then `fn` runs
 * in the active organization, if there is one, in the same transaction. Null when the session
 * was revoked or expired (the page sends the person to sign in).
 */
export async function withWorkspace<T>(
  request: RequestSession,
  fn: (tx: Tx, active: Membership) => Promise<T>,
): Promise<(Workspace & { data: T | undefined }) | null> {
  try {
    return await withRequest<Membership, Workspace & { data: T | undefined }>(
      request.session.claims,
      { liveCheck: request.liveCheck, orgId: null },
      async (tx, { memberships, membership }) => ({ memberships, active: membership, data: membership ? await fn(tx, membership) : undefined }),
    );
  } catch (err) {
    if (err instanceof UnauthenticatedError) return null;
    throw err;
  }
}

export async function activeOrgId(session: Session, req?: Request): Promise<string> {
  const explicit = req?.headers.get(ORG_HEADER);
  if (explicit) return explicit;
  const { memberships, active } = await loadWorkspace(session);
  if (active) return active.orgId;
  throw organizationRequired(memberships);
}

/**
 * Before a new membership appears, keep today's answer: a user with no stored choice and one
 * membership works in that one implicitly; store it, so that joining a second organization
 * does not leave them without one (or move them). Called in the accepting transaction.
 */
export async function keepActiveOrgBeforeJoining(tx: Tx, { userId }: { userId: string }): Promise<void> {
  const memberships = await listMemberships(tx, { userId });
  const stored = await storedChoice(tx, { userId });
  const current = resolveActive(memberships, stored);
  if (!current || current.orgId === stored) return;
  await tx`
    insert into public.user_preferences (user_id, active_organization_id, updated_at)
    values (${userId}, ${current.orgId}, now())
    on conflict (user_id) do update set active_organization_id = excluded.active_organization_id, updated_at = now()`;
}

/**
 * Remember the organization the user works in. The caller was authorized for `operations.view`
 * in `orgId` (so one they do not belong to was 404 before this).
 */
export async function chooseActiveOrg(tx: Tx, { userId, orgId }: { userId: string; orgId: string }): Promise<void> {
  await tx`
    insert into public.user_preferences (user_id, active_organization_id, updated_at)
    values (${userId}, ${orgId}, now())
    on conflict (user_id) do update set active_organization_id = excluded.active_organization_id, updated_at = now()`;
}
