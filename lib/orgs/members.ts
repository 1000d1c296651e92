import "server-only";
import type { Session } from "@/lib/auth/claims";
import { asService, withUser } from "@/lib/db";
import { authorize } from "@/lib/rbac/authorize";
import type { Role } from "@/lib/rbac/policy";

export interface Member {
  userId: string;
  email: string | null;
  role: Role;
  createdAt: string;
}

export async function listMembers(session: Session, orgId: string): Promise<Member[]> {
  await authorize(session, "members.manage", orgId);
  const rows = await withUser(session.claims, (tx) => tx<{ userId: string; role: Role; createdAt: string }[]>`
    select user_id as "userId", role::text as role, created_at::text as "createdAt"
    from public.org_members where organization_id = ${orgId} order by created_at, user_id`);
  // Emails live in auth.users, which no API role may read: look up exactly these ids.
  const emails = await asService((tx) => tx<{ id: string; email: string }[]>`
    select id, email from auth.users where id = any(${rows.map((r) => r.userId)}::uuid[])`);
  const byId = new Map(emails.map((e) => [e.id, e.email]));
  return rows.map((r) => ({ ...r, email: byId.get(r.userId) ?? null }));
}
