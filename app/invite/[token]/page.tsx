import type { Metadata } from "next";
import Link from "next/link";
import { AcceptInvitation } from "@/components/session/accept-invitation";
import { EmailLinkSession } from "@/components/session/email-link-session";
import { getSession } from "@/lib/auth";
import { config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import type { InvitationPreview } from "@/lib/orgs/contracts";
import { previewInvitation } from "@/lib/orgs/invitations";

export const dynamic = "force-dynamic";

// The token is in this page's URL: never send it to another site as a Referer. Not no-referrer,
// under which the browser sends `Origin: null` with the page's own accept request, which the
// cross-site check (docs/adr/0026) then has only Sec-Fetch-Site to judge by.
export const metadata: Metadata = { title: "Invitation · Verbatim", referrer: "same-origin" };

/**
 * The public accept page: which organization and role the invitation is for (nothing about any
 * account), then accept while signed in, sign in and come back, or (embedded default) create
 * the account for the invitation's email with a password.
 */
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const session = await getSession();
  let preview: InvitationPreview | null = null;
  let problem: string | null = null;
  try {
    preview = await previewInvitation(token);
  } catch (err) {
    problem = err instanceof AppError ? err.message : "This invitation could not be read. Try again shortly.";
  }

  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-6">
      <h1 className="mb-4 text-2xl font-semibold">Invitation to Verbatim</h1>
      {!session && config().auth === "supabase" ? <EmailLinkSession /> : null}
      {preview ? (
        <>
          <p className="mb-6">
            You are invited to join <strong data-testid="invite-org">{preview.orgName}</strong> as{" "}
            <strong data-testid="invite-role" className="capitalize">{preview.role}</strong>.
          </p>
          <AcceptInvitation
            token={token}
            orgName={preview.orgName}
            signedInAs={session?.email ?? null}
            canCreateAccount={!session && config().auth === "local"}
            signInHref={`/login?next=${encodeURIComponent(`/invite/${token}`)}`}
          />
        </>
      ) : (
        <>
          <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-4 text-sm">{problem}</p>
          <p className="mt-4 text-sm"><Link href="/" className="text-accent underline">Go to Voice Operations</Link></p>
        </>
      )}
    </main>
  );
}
