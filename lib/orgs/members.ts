import "server-only";
import { asService, type Tx } from "@/lib/db";
import type { Member } from "@/lib/orgs/contracts";
import type { Role } from "@/lib/rbac/policy";

/** The organization's members with their emails; the caller was authorized for `members.manage`. */
export async function listMembers(tx: Tx, { orgId }: { orgId: string }): Promise<Member[]> {
  const rows = await tx<{ userId: string; role: Role; createdAt: string }[]>`
    select user_id as "userId", role::text as role, created_at::text as "createdAt"
    from public.org_members where organization_id = ${orgId} order by created_at, user_id`;
  // Emails live in auth.users, which no API role may read: look up exactly these ids.
  const emails = await asService((service) => service<{ id: string; email: string }[]>`
    select id, email from auth.users where id = any(${rows.map((r) => r.userId)}::uuid[])`);
  const byId = new Map(emails.map((e) => [e.id, e.email]));
  return rows.map((r) => ({ ...r, email: byId.get(r.userId) ?? null }));
}
