import "server-only";
import { asService, type Tx } from "@/lib/db";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { recordOrganizationEvent } from "@/lib/orgs/audit";
import type { Member } from "@/lib/orgs/contracts";
import type { Membership } from "@/lib/rbac/authorize";
import type { Role } from "@/lib/rbac/policy";
import { isUuid } from "@/lib/pg-safe";

/**
 * Members of an organization: the one module that changes or removes `org_members` rows
 * (nobody is added here: people join by accepting an invitation, lib/orgs/invitations.ts).
 * Callers were authorized for `members.manage`; the finer rules are checked here, and again in
 * SQL (RLS: only an owner touches an owner row; the trigger `org_members_keep_an_owner`: no
 * organization loses its last owner). Each change is recorded (lib/orgs/audit.ts) in the
 * transaction that makes it, after the change: a refused one records nothing.
 */

/** The organization's members with their emails; the caller was authorized for `members.manage`. */
export async function listMembers(tx: Tx, { orgId }: { orgId: string }): Promise<Member[]> {
  const rows = await tx<{ userId: string; role: Role; createdAt: string }[]>`
    select user_id as "userId", role::text as role, created_at::text as "createdAt"
    from public.org_members where organization_id = ${orgId} order by created_at, user_id`;
  return withEmails(rows);
}

/**
 * Emails of these users. They live in auth.users, which no API role may read: exactly these ids
 * are looked up on the service path. Callers pass only ids the member may already see (their
 * organization's members, the actors of custody events they may read).
 */
export async function emailsOf(userIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return new Map();
  const rows = await asService((service) => service<{ id: string; email: string }[]>`
    select id, email from auth.users where id = any(${ids}::uuid[])`);
  return new Map(rows.map((e) => [e.id, e.email]));
}

async function withEmails(rows: { userId: string; role: Role; createdAt: string }[]): Promise<Member[]> {
  const byId = await emailsOf(rows.map((r) => r.userId));
  return rows.map((r) => ({ ...r, email: byId.get(r.userId) ?? null }));
}

export class LastOwnerError extends ConflictError {
  constructor(change: "demote" | "remove") {
    super(
      `This is the organization's last owner, so they cannot be ${change === "demote" ? "given another role" : "removed"}: ` +
        "an organization always keeps at least one owner. Make another member an owner first, then try again.",
      "last_owner",
    );
  }
}

/** The trigger's refusal (supabase/migrations/*_guard_last_owner.sql), recognised by its constraint name. */
function isLastOwnerRefusal(err: unknown): boolean {
  return (err as { constraint_name?: string } | null)?.constraint_name === "org_members_last_owner";
}

/**
 * The target's membership; another organization's member or an unknown id is 404. Not locked
 * (`for update` would apply the update policy and hide an owner from an admin, who must hear
 * 403, not 404): the change itself re-checks the row, and answers 409 if it moved meanwhile.
 */
async function target(tx: Tx, orgId: string, userId: string): Promise<{ role: Role; createdAt: string }> {
  if (!isUuid(userId)) throw new ValidationError("userId: not a member id (a UUID).", { issues: [{ path: "userId", message: "not a UUID" }] });
  const [row] = await tx<{ role: Role; createdAt: string }[]>`
    select role::text as role, created_at::text as "createdAt" from public.org_members
    where organization_id = ${orgId} and user_id = ${userId}`;
  if (!row) throw new NotFoundError("No such member in this organization.");
  return row;
}

function changedMeanwhile(): ConflictError {
  return new ConflictError("This member's role changed while you were looking. Reload the list and try again.", "member_changed");
}

function requireOwnerFor(caller: Membership, message: string): void {
  if (caller.role !== "owner") throw new ForbiddenError(message);
}

/**
 * Give a member another role. Only an owner grants or takes away the owner role; the last owner
 * keeps it (409 `last_owner`). People may change their own role, within the same rules.
 */
export async function changeMemberRole(
  tx: Tx,
  { membership, userId, role }: { membership: Membership; userId: string; role: Role },
): Promise<{ member: Member; previousRole: Role }> {
  const current = await target(tx, membership.orgId, userId);
  if (current.role === "owner" || role === "owner") {
    requireOwnerFor(membership, current.role === "owner"
      ? "Only an owner can change an owner's role."
      : "Only an owner can make someone an owner.");
  }
  if (current.role !== role) {
    try {
      const rows = await tx`
        update public.org_members set role = ${role}
        where organization_id = ${membership.orgId} and user_id = ${userId} and role = ${current.role}`;
      if (rows.count === 0) throw changedMeanwhile();
    } catch (err) {
      if (isLastOwnerRefusal(err)) throw new LastOwnerError("demote");
      throw err;
    }
    await recordOrganizationEvent(tx, {
      orgId: membership.orgId,
      event: { kind: "member.role_changed", subject: userId, payload: { from: current.role, to: role } },
    });
  }
  const [member] = await withEmails([{ userId, role, createdAt: current.createdAt }]);
  return { member: member!, previousRole: current.role };
}

/**
 * Remove a member. Only an owner removes an owner; the last owner stays (409 `last_owner`).
 * Their next request finds no membership (every request resolves it afresh in its first
 * statement) and their open live streams are closed (the revocation notice).
 */
export async function removeMember(
  tx: Tx,
  { membership, userId }: { membership: Membership; userId: string },
): Promise<{ previousRole: Role }> {
  const current = await target(tx, membership.orgId, userId);
  if (current.role === "owner") requireOwnerFor(membership, "Only an owner can remove an owner.");
  // Written first, while the remover certainly holds member management here (they may be
  // removing themselves); a refused removal rolls it back with everything else.
  await recordOrganizationEvent(tx, { orgId: membership.orgId, event: { kind: "member.removed", subject: userId, payload: { role: current.role } } });
  try {
    const rows = await tx`
      delete from public.org_members where organization_id = ${membership.orgId} and user_id = ${userId} and role = ${current.role}`;
    if (rows.count === 0) throw changedMeanwhile();
  } catch (err) {
    if (isLastOwnerRefusal(err)) throw new LastOwnerError("remove");
    throw err;
  }
  return { previousRole: current.role };
}

/**
 * The owner of an address has just proven it and taken back an account that nobody had proven
 * before (lib/orgs/address-proofs.ts, docs/adr/0027): a membership that account obtained is not
 * theirs until they accept it, so it ends here, on the service path, in their transaction, and is
 * recorded as such. The organization's last owner stays (an organization always keeps one,
 * docs/adr/0019): answers false then, and nothing changed.
 */
export async function endMembershipOfUnprovenHolder(
  tx: Tx,
  { orgId, userId, role }: { orgId: string; userId: string; role: Role },
): Promise<boolean> {
  if (role === "owner") {
    // The trigger's own check, made first so that a refusal does not fail the transaction: with
    // the organization's row locked (as the trigger locks it), no other owner leaves meanwhile.
    await tx`select 1 from public.organizations where id = ${orgId} for update`;
    const [another] = await tx`
      select 1 from public.org_members where organization_id = ${orgId} and role = 'owner' and user_id <> ${userId} limit 1`;
    if (!another) return false;
  }
  const rows = await tx`
    delete from public.org_members where organization_id = ${orgId} and user_id = ${userId} and role = ${role}`;
  if (rows.count === 0) return false;
  await recordOrganizationEvent(tx, { orgId, event: { kind: "member.removed", subject: userId, payload: { role, reason: "address_proven" } } });
  return true;
}
