import "server-only";
import { cookies } from "next/headers";
import type { Session } from "@/lib/auth/claims";
import { withUser } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { listMemberships, type Membership } from "@/lib/rbac/authorize";

/**
 * The organization a request acts on: the `x-organization-id` header (API clients), else the
 * `verbatim-org` cookie (the page's switcher), else the user's first membership. Whatever is
 * chosen still goes through `authorize`, so an id the user does not belong to answers 404.
 */
export const ACTIVE_ORG_COOKIE = "verbatim-org";
export const ORG_HEADER = "x-organization-id";

export interface Workspace {
  memberships: Membership[];
  active: Membership | null;
}

export async function loadWorkspace(session: Session): Promise<Workspace> {
  const memberships = await withUser(session.claims, (tx) => listMemberships(tx, { userId: session.userId }));
  const wanted = (await cookies()).get(ACTIVE_ORG_COOKIE)?.value;
  const active = memberships.find((m) => m.orgId === wanted) ?? memberships[0] ?? null;
  return { memberships, active };
}

export async function activeOrgId(session: Session, req?: Request): Promise<string> {
  const explicit = req?.headers.get(ORG_HEADER);
  if (explicit) return explicit;
  const { active } = await loadWorkspace(session);
  if (!active) throw new NotFoundError("You are not a member of any organization.");
  return active.orgId;
}
