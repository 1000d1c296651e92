import "server-only";
import type { Session } from "@/lib/auth/claims";
import { createLocalUser } from "@/lib/auth/local";
import { config } from "@/lib/config";
import { asService, withUser } from "@/lib/db";
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from "@/lib/errors";
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

export interface AddMemberInput {
  email: string;
  role: Role;
  /** Local accounts only: the new person's first password. */
  password?: string;
}

/**
 * Owners and admins add members; only owners add owners. In the embedded default a new email
 * gets a local account with the given password; on Supabase the person must have signed up.
 */
export async function addMember(session: Session, orgId: string, input: AddMemberInput): Promise<Member> {
  const membership = await authorize(session, "members.manage", orgId);
  if (input.role === "owner" && membership.role !== "owner") {
    throw new ForbiddenError("Only an owner can add another owner.");
  }
  const email = input.email.trim().toLowerCase();
  let userId: string | undefined;
  const [existing] = await asService((tx) => tx<{ id: string }[]>`select id from auth.users where email = ${email}`);
  userId = existing?.id;
  if (!userId) {
    if (config().auth !== "local") {
      throw new NotFoundError(`No account uses ${email}. Ask them to sign up first, then add them.`);
    }
    if (!input.password) {
      throw new UnprocessableError(`No account uses ${email} yet: give a first password (12+ characters) to create one.`, "password_required");
    }
    userId = (await createLocalUser(email, input.password)).id;
  }
  const id = userId;
  const [row] = await withUser(session.claims, (tx) => tx<{ createdAt: string }[]>`
    insert into public.org_members (organization_id, user_id, role)
    values (${orgId}, ${id}, ${input.role})
    on conflict do nothing
    returning created_at::text as "createdAt"`);
  if (!row) throw new ConflictError(`${email} is already a member of this organization.`, "already_member");
  return { userId: id, email, role: input.role, createdAt: row.createdAt };
}
