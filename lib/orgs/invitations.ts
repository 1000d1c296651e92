import "server-only";
import { auth } from "@/lib/auth";
import { localAuth, createLocalUser } from "@/lib/auth/local";
import type { Session } from "@/lib/db/claims";
import type { CookieJar } from "@/lib/auth/cookie-jar";
import { config } from "@/lib/config";
import { asService, withUser, type Tx } from "@/lib/db";
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  ProviderError,
  UnauthenticatedError,
  type AppError,
} from "@/lib/errors";
import { logger } from "@/lib/logger";
import { mailer } from "@/lib/mail";
import { keepActiveOrgBeforeJoining } from "@/lib/auth/active-org";
import type {
  AcceptInvitationRequest,
  AcceptInvitationResponse,
  CreateInvitationRequest,
  CreateInvitationResponse,
  Invitation,
  InvitationPreview,
} from "@/lib/orgs/contracts";
import type { OfferedInvitation } from "@/lib/auth/contracts";
import { recordOrganizationEvent } from "@/lib/orgs/audit";
import { endMembershipOfUnprovenHolder } from "@/lib/orgs/members";
import { hashInvitationToken, isWellFormedToken, newInvitationToken } from "@/lib/orgs/invitation-token";
import type { Membership } from "@/lib/rbac/authorize";
import type { Role } from "@/lib/rbac/policy";
import { isUuid } from "@/lib/pg-safe";

/**
 * Invitations: the only way into an organization. This module is the one writer of
 * `public.invitations`: create and revoke as the inviter under RLS; on the service path, record
 * that a link was delivered to the address itself (`delivered_at`), and make invitations again
 * for an address's owner who has just proven it (docs/adr/0027). Acceptance is the SQL function
 * `private.accept_invitation`, called as the invitee. Each change is recorded (lib/orgs/audit.ts)
 * in the transaction that makes it.
 *
 * The invite path never looks the invited address up: its answer, and the work behind it,
 * are the same whether or not anyone has an account with that email.
 */
function acceptUrlFor(token: string): string {
  return `${config().publicBaseUrl}/invite/${token}`;
}

const INVITATION_COLUMNS = (tx: Tx) =>
  tx`id, email, role::text as role, created_at::text as "createdAt", expires_at::text as "expiresAt"`;

/** A token for someone else: the holder is signed in with another address. */
class InvitationEmailMismatchError extends ForbiddenError {
  override readonly code = "invitation_email_mismatch";
}

/**
 * Owners and admins invite (the caller was authorized for `members.manage`); only owners invite
 * owners. Inviting an address again replaces its open invitation. Not one transaction: the email
 * goes out between the insert and the answer, and no connection waits on a mail server.
 */
export async function createInvitation(
  session: Session,
  membership: Membership,
  input: CreateInvitationRequest,
): Promise<CreateInvitationResponse> {
  if (input.role === "owner" && membership.role !== "owner") {
    throw new ForbiddenError("Only an owner can invite another owner.");
  }
  // Consent means something only if a session for the address shows who owns it.
  await auth().assertSessionsProveAddresses?.();
  const orgId = membership.orgId;
  const email = input.email.trim().toLowerCase();
  const { token, hash } = newInvitationToken();
  const invitation = await withUser(session.claims, async (tx) => {
    const replaced = await tx<{ id: string; role: Role }[]>`
      update public.invitations set revoked_at = now(), revoked_by = ${session.userId}
      where organization_id = ${orgId} and email = ${email} and accepted_at is null and revoked_at is null
      returning id, role::text as role`;
    for (const old of replaced) {
      await recordOrganizationEvent(tx, { orgId, event: { kind: "invitation.revoked", subject: old.id, payload: { email, role: old.role } } });
    }
    const [row] = await tx<Invitation[]>`
      insert into public.invitations (organization_id, email, role, token_hash, invited_by)
      values (${orgId}, ${email}, ${input.role}, ${hash}, ${session.userId})
      returning ${INVITATION_COLUMNS(tx)}`;
    await recordOrganizationEvent(tx, { orgId, event: { kind: "invitation.created", subject: row!.id, payload: { email, role: input.role } } });
    return row!;
  });
  const acceptUrl = acceptUrlFor(token);
  let delivered: boolean;
  try {
    ({ delivered } = await mailer().sendInvitation({
      to: email,
      orgName: membership.orgName,
      role: input.role,
      inviterEmail: session.email,
      acceptUrl,
      expiresAt: invitation.expiresAt,
    }));
  } catch (err) {
    // The link must not stay usable when nobody was told: revoke what we just made.
    await withUser(session.claims, async (tx) => {
      const rows = await tx`
        update public.invitations set revoked_at = now(), revoked_by = ${session.userId}
        where id = ${invitation.id} and accepted_at is null and revoked_at is null returning id`;
      if (rows.length > 0) {
        await recordOrganizationEvent(tx, { orgId, event: { kind: "invitation.revoked", subject: invitation.id, payload: { email, role: input.role } } });
      }
    }).catch(() => {});
    logger().error({ orgId, invitationId: invitation.id, mailer: mailer().kind, err: (err as Error).message }, "invitation email failed");
    throw new ProviderError("The invitation email could not be sent. Try again shortly.", "mail_failed");
  }
  if (!delivered) return { invitation, acceptUrl };
  // Only the address got the link: accepting it proves the address (docs/adr/0027).
  await asService((tx) => tx`update public.invitations set delivered_at = now() where id = ${invitation.id} and delivered_at is null`);
  return { invitation };
}

/** Open invitations (not accepted, not revoked, not expired), newest first. */
export async function listInvitations(tx: Tx, { orgId }: { orgId: string }): Promise<Invitation[]> {
  return tx<Invitation[]>`
    select ${INVITATION_COLUMNS(tx)} from public.invitations
    where organization_id = ${orgId} and accepted_at is null and revoked_at is null and expires_at > now()
    order by created_at desc, id`;
}

/** Revoke an open invitation; another organization's id, or one already closed, is 404. */
export async function revokeInvitation(
  tx: Tx,
  { orgId, userId, invitationId }: { orgId: string; userId: string; invitationId: string },
): Promise<void> {
  const [row] = isUuid(invitationId)
    ? await tx<{ email: string; role: Role }[]>`
        update public.invitations set revoked_at = now(), revoked_by = ${userId}
        where id = ${invitationId} and organization_id = ${orgId} and accepted_at is null and revoked_at is null
        returning email, role::text as role`
    : [];
  if (!row) throw new NotFoundError("Invitation not found, or no longer open.");
  await recordOrganizationEvent(tx, { orgId, event: { kind: "invitation.revoked", subject: invitationId, payload: { email: row.email, role: row.role } } });
}

/** Thrown inside the accepting transaction so that it rolls back. */
class Refused extends Error {
  constructor(readonly outcome: Exclude<Outcome, "accepted">) {
    super(outcome);
  }
}

type Outcome = "accepted" | "not_found" | "used" | "revoked" | "expired" | "wrong_email" | "already_member" | "unauthenticated";

/** Why a token cannot be used, worded for the person holding the link. */
function refusal(outcome: Exclude<Outcome, "accepted">): AppError {
  switch (outcome) {
    case "not_found":
      return new NotFoundError("This invitation link is not valid. Check that you copied all of it, or ask for a new one.");
    case "used":
      return new GoneError("This invitation has already been used.", "invitation_used");
    case "revoked":
      return new GoneError("This invitation was withdrawn. Ask for a new one if you still need access.", "invitation_revoked");
    case "expired":
      return new GoneError("This invitation has expired. Ask for a new one.", "invitation_expired");
    case "wrong_email":
      return new InvitationEmailMismatchError(
        "This invitation was sent to a different email address. Sign in with the address it was sent to, then open the link again.",
      );
    case "already_member":
      return new ConflictError("You are already a member of this organization.", "already_member");
    case "unauthenticated":
      return new UnauthenticatedError("Sign in to accept this invitation.");
  }
}

interface InvitationRow {
  id: string;
  organizationId: string;
  orgName: string;
  email: string;
  role: Role;
  expiresAt: string;
  /** Whether the link went to the address itself (mailed), not only to the inviter. */
  delivered: boolean;
  outcome: Outcome;
}

/** The open invitation for a token, read by the service path (the holder may not be signed in). */
async function findByToken(token: string): Promise<InvitationRow> {
  if (!isWellFormedToken(token)) throw refusal("not_found");
  const hash = hashInvitationToken(token);
  const [row] = await asService((tx) => tx<InvitationRow[]>`
    select i.id, i.organization_id as "organizationId", o.name as "orgName", i.email, i.role::text as role,
           i.expires_at::text as "expiresAt", i.delivered_at is not null as delivered,
           case when i.accepted_at is not null then 'used'
                when i.revoked_at is not null then 'revoked'
                when i.expires_at <= now() then 'expired'
                else 'accepted' end as outcome
    from public.invitations i join public.organizations o on o.id = i.organization_id
    where i.token_hash = ${hash}`);
  if (!row) throw refusal("not_found");
  if (row.outcome !== "accepted") throw refusal(row.outcome);
  return row;
}

/** What the accept page shows: organization and role, nothing about any account. */
export async function previewInvitation(token: string): Promise<InvitationPreview> {
  const row = await findByToken(token);
  return { orgName: row.orgName, role: row.role, expiresAt: row.expiresAt };
}

/** Accept as the signed-in person; their active organization does not change. */
async function acceptInvitation(session: Session, token: string): Promise<AcceptInvitationResponse> {
  if (!isWellFormedToken(token)) throw refusal("not_found");
  const hash = hashInvitationToken(token);
  const result = await withUser(session.claims, async (tx) => {
    // Rolled back with everything else when the invitation is refused.
    await keepActiveOrgBeforeJoining(tx, { userId: session.userId });
    const [row] = await tx<{ outcome: Outcome; organizationId: string | null; role: Role | null }[]>`
      select outcome, organization_id as "organizationId", role::text as role
      from private.accept_invitation(${hash})`;
    if (row?.outcome !== "accepted") throw new Refused(row?.outcome ?? "not_found");
    await recordOrganizationEvent(tx, {
      orgId: row.organizationId!,
      event: { kind: "invitation.accepted", subject: session.userId, payload: { role: row.role! } },
    });
    const [org] = await tx<{ name: string }[]>`select name from public.organizations where id = ${row.organizationId}`;
    return { row, orgName: org!.name };
  }).catch((err: unknown) => {
    throw err instanceof Refused ? refusal(err.outcome) : err;
  });
  const { row } = result;
  return { organization: { id: row.organizationId!, name: result.orgName! }, role: row.role! };
}

/**
 * `POST /api/invitations/accept`: signed in, accept as that session's verified email; signed
 * out with a password (embedded default), create or sign in to the invitation's own account and
 * accept in one step; signed out without one, 401. The active organization does not change.
 */
export async function acceptInvitationRequest(
  session: Session | null,
  jar: CookieJar,
  input: AcceptInvitationRequest & { ip: string; userAgent?: string },
): Promise<{ accepted: AcceptInvitationResponse; userId: string; signedIn: boolean }> {
  if (session) return { accepted: await acceptInvitation(session, input.token), userId: session.userId, signedIn: false };
  if (!input.password) throw new UnauthenticatedError("Sign in to accept this invitation, or create your account with a password.");
  const { session: created, accepted } = await acceptInvitationWithPassword(jar, { ...input, password: input.password });
  return { accepted, userId: created.userId, signedIn: true };
}

/**
 * The embedded default's one-step join: create the local account for the invitation's own
 * email (the body never names an email), sign in, accept. Someone whose account already exists
 * signs in with its password the same way; a wrong password is the generic sign-in failure, and
 * the address's owner can always set the password through a proof of the address instead
 * (lib/orgs/address-proofs.ts). A new account's address counts as proven only when the link was
 * mailed to it: a link the inviter was shown proves nothing about who accepts (docs/adr/0027).
 */
async function acceptInvitationWithPassword(
  jar: CookieJar,
  input: Required<AcceptInvitationRequest> & { ip: string; userAgent?: string },
): Promise<{ session: Session; accepted: AcceptInvitationResponse }> {
  if (config().auth !== "local") throw refusal("unauthenticated");
  const invitation = await findByToken(input.token);
  await createLocalUser(invitation.email, input.password, { addressProven: invitation.delivered });
  const session = await localAuth.signIn(jar, {
    email: invitation.email,
    password: input.password,
    ip: input.ip,
    userAgent: input.userAgent,
  });
  return { session, accepted: await acceptInvitation(session, input.token) };
}

/**
 * The owner of an address has just proven it and taken back an account nobody had proven before
 * (lib/orgs/address-proofs.ts, docs/adr/0027). Whoever held the account joined organizations by
 * accepting invitations addressed to it; the owner never consented to those memberships. Each
 * one ends (lib/orgs/members.ts) and its organization's invitation is made again, in the
 * original inviter's name, with a link handed to the owner, who joins only the ones they choose.
 * Kept: memberships that came from no invitation (made by whoever runs the server), and an
 * organization's last owner (an organization always keeps one). In the caller's service
 * transaction, which sets the password and ends the account's sessions.
 */
export async function offerMembershipsToProvenOwner(
  tx: Tx,
  { userId, email }: { userId: string; email: string },
): Promise<{ offered: OfferedInvitation[]; kept: { orgId: string; orgName: string; role: Role }[] }> {
  const memberships = await tx<{ orgId: string; orgName: string; role: Role; invitedBy: string | null }[]>`
    select m.organization_id as "orgId", o.name as "orgName", m.role::text as role,
           (select i.invited_by from public.invitations i
            where i.organization_id = m.organization_id and i.accepted_by = m.user_id
            order by i.accepted_at desc limit 1) as "invitedBy"
    from public.org_members m join public.organizations o on o.id = m.organization_id
    where m.user_id = ${userId}
    order by o.name, m.organization_id`;
  const offered: OfferedInvitation[] = [];
  const kept: { orgId: string; orgName: string; role: Role }[] = [];
  for (const m of memberships) {
    if (!m.invitedBy || !(await endMembershipOfUnprovenHolder(tx, { orgId: m.orgId, userId, role: m.role }))) {
      kept.push({ orgId: m.orgId, orgName: m.orgName, role: m.role });
      continue;
    }
    const replaced = await tx<{ id: string; role: Role }[]>`
      update public.invitations set revoked_at = now(), revoked_by = ${m.invitedBy}
      where organization_id = ${m.orgId} and email = ${email} and accepted_at is null and revoked_at is null
      returning id, role::text as role`;
    for (const old of replaced) {
      await recordOrganizationEvent(tx, { orgId: m.orgId, event: { kind: "invitation.revoked", subject: old.id, payload: { email, role: old.role } } });
    }
    const { token, hash } = newInvitationToken();
    const [row] = await tx<{ id: string; expiresAt: string }[]>`
      insert into public.invitations (organization_id, email, role, token_hash, invited_by, delivered_at)
      values (${m.orgId}, ${email}, ${m.role}, ${hash}, ${m.invitedBy}, now())
      returning id, expires_at::text as "expiresAt"`;
    await recordOrganizationEvent(tx, {
      orgId: m.orgId,
      event: { kind: "invitation.created", subject: row!.id, payload: { email, role: m.role, reason: "address_proven" } },
    });
    offered.push({ orgName: m.orgName, role: m.role, acceptUrl: acceptUrlFor(token), expiresAt: row!.expiresAt });
  }
  return { offered, kept };
}
