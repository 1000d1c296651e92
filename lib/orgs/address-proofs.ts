import "server-only";
import { consumeAddressProofRequest } from "@/lib/auth/address-proof-limiter";
import type { AddressProofRequestedResponse, AddressProvenResponse } from "@/lib/auth/contracts";
import type { CookieJar } from "@/lib/auth/cookie-jar";
import { setPasswordOfProvenAddress, startLocalSession } from "@/lib/auth/local";
import { hashPassword } from "@/lib/auth/passwords";
import { recordSignInSuccess } from "@/lib/auth/sign-in-limiter";
import { config } from "@/lib/config";
import { asService, type Tx } from "@/lib/db";
import { GoneError, NotFoundError, ProviderError, type AppError } from "@/lib/errors";
import { hashLinkToken, isWellFormedLinkToken, newLinkToken } from "@/lib/link-token";
import { logger } from "@/lib/logger";
import { mailer } from "@/lib/mail";
import { offerMembershipsToProvenOwner } from "@/lib/orgs/invitations";

/**
 * Proofs of an email address, for the embedded default's local accounts (docs/adr/0027): the one
 * writer of `private.address_proofs`.
 *
 * Anyone may ask for a link for an address; it is sent to that address only (SMTP, or the
 * embedded default's outbox, which only whoever runs the server reads), so whoever opens it has
 * shown that they read mail sent there. They choose the password of the account that uses the
 * address, which ends every session of that account, whoever had set a password before. The owner
 * of an address can therefore always take its account back, whoever created it.
 *
 * When nobody had proven the address before (the account was made by accepting an invitation
 * whose link the inviter was shown), the memberships the account obtained are not the owner's
 * until they accept them: they end, and are offered to the owner again
 * (lib/orgs/invitations.ts). Nobody joins an organization without consenting.
 *
 * Asking is answered the same way, and costs the same work (one limit check, one insert, one
 * message), whether or not an account uses the address; the message to an address without an
 * account holds no link and says so.
 */

const setPasswordUrlFor = (token: string) => `${config().publicBaseUrl}/password/${token}`;

/** Local accounts only: Supabase Auth proves the addresses of its own accounts. */
function assertLocalAccounts(): void {
  if (config().auth !== "local") throw new NotFoundError();
}

/** `POST /api/auth/address-proof`: limit, record, send; the same answer for every address. */
export async function requestAddressProof({ email, ip }: { email: string; ip: string }): Promise<AddressProofRequestedResponse> {
  assertLocalAccounts();
  const address = email.trim().toLowerCase();
  await consumeAddressProofRequest(ip, address);
  const { token, hash } = newLinkToken();
  const proof = await asService(async (tx) => {
    await tx`delete from private.address_proofs where email = ${address} and expires_at < now() - interval '1 day'`;
    const [row] = await tx<{ forAccount: boolean; expiresAt: string }[]>`
      insert into private.address_proofs (email, user_id, token_hash)
      values (${address}, (select id from auth.users where email = ${address}), ${hash})
      returning user_id is not null as "forAccount", expires_at::text as "expiresAt"`;
    return row!;
  });
  try {
    await mailer().sendAddressProof({ to: address, setPasswordUrl: proof.forAccount ? setPasswordUrlFor(token) : null, expiresAt: proof.expiresAt });
  } catch (err) {
    logger().error({ mailer: mailer().kind, err: (err as Error).message }, "address proof email failed");
    throw new ProviderError("The email could not be sent. Try again shortly.", "mail_failed");
  }
  const where =
    mailer().kind === "link"
      ? `No mail server is configured here, so the message for ${address} was written to the server's outbox: ask whoever runs Verbatim for it.`
      : `We sent a message to ${address}.`;
  return { message: `${where} If an account uses this address, the message holds a link to set its password; the link works once, for an hour.` };
}

type Refusal = "not_found" | "used" | "expired";

/** Why a proof's link cannot be used, worded for the person holding it. */
function refusal(outcome: Refusal): AppError {
  switch (outcome) {
    case "not_found":
      return new NotFoundError("This link is not valid. Check that you copied all of it, or ask for a new one.");
    case "used":
      return new GoneError("This link has already been used. Ask for a new one if you still need to set your password.", "proof_used");
    case "expired":
      return new GoneError("This link has expired. Ask for a new one.", "proof_expired");
  }
}

/** Thrown inside the transaction so that it rolls back. */
class Refused extends Error {
  constructor(readonly outcome: Refusal) {
    super(outcome);
  }
}

/**
 * The proof with this token hash and the account it is for, or why it cannot be used. The account
 * must still use the address the proof was sent to; a proof for an address without an account was
 * never sent as a link. `lock`: inside the transaction that uses it, so that two uses at once
 * cannot both succeed.
 */
async function usableProof(tx: Tx, hash: Buffer, { lock }: { lock: boolean }): Promise<{ id: string; email: string }> {
  const [proof] = await tx<{ userId: string | null; email: string | null; used: boolean; expired: boolean }[]>`
    select p.user_id as "userId", u.email, p.used_at is not null as used, p.expires_at <= now() as expired
    from private.address_proofs p left join auth.users u on u.id = p.user_id and u.email = p.email
    where p.token_hash = ${hash}
    ${lock ? tx`for update of p` : tx``}`;
  if (!proof?.userId || !proof.email) throw new Refused("not_found");
  if (proof.used) throw new Refused("used");
  if (proof.expired) throw new Refused("expired");
  return { id: proof.userId, email: proof.email };
}

/**
 * `POST /api/auth/address-proof/confirm`: in one transaction, use the proof (and void the
 * account's other open ones), set the password and mark the address proven, end every session of
 * the account, and, if nobody had proven the address before, end and offer again what the
 * account had joined. Then sign this browser in. The link is checked before the password is
 * hashed, so a forged link costs a lookup, not an Argon2 hash.
 */
export async function confirmAddressProof(
  jar: CookieJar,
  { token, password, ip, userAgent }: { token: string; password: string; ip: string; userAgent?: string },
): Promise<AddressProvenResponse> {
  assertLocalAccounts();
  if (!isWellFormedLinkToken(token)) throw refusal("not_found");
  const hash = hashLinkToken(token);
  const result = await (async () => {
    await asService((tx) => usableProof(tx, hash, { lock: false }));
    const passwordHash = await hashPassword(password);
    return asService(async (tx) => {
      const user = await usableProof(tx, hash, { lock: true });
      await tx`update private.address_proofs set used_at = now() where user_id = ${user.id} and used_at is null`;
      const { wasProven } = await setPasswordOfProvenAddress(tx, { userId: user.id, passwordHash });
      const memberships = wasProven ? { offered: [], kept: [] } : await offerMembershipsToProvenOwner(tx, { userId: user.id, email: user.email });
      return { user, ...memberships };
    });
  })().catch((err: unknown) => {
    throw err instanceof Refused ? refusal(err.outcome) : err;
  });
  await recordSignInSuccess(ip, result.user.email);
  await startLocalSession(jar, result.user, { ip, userAgent });
  return {
    user: result.user,
    offeredAgain: result.offered,
    kept: result.kept.map(({ orgName, role }) => ({ orgName, role })),
  };
}
