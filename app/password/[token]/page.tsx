import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { SetPasswordForm } from "@/components/session/set-password-form";
import { config } from "@/lib/config";

export const dynamic = "force-dynamic";

// The token is in this page's URL: never send it to another site as a Referer.
export const metadata: Metadata = { title: "Set your password · Verbatim", referrer: "no-referrer" };

/**
 * Where the link sent to an address leads (docs/adr/0027). The token is checked when the form is
 * sent, in the same transaction that uses it; the page itself reads nothing.
 */
export default async function SetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  if (config().auth !== "local") notFound();
  const { token } = await params;
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-6">
      <h1 className="mb-1 text-2xl font-semibold">Set your password</h1>
      <p className="mb-6 text-sm text-muted">
        This link was sent to the account&apos;s address, so opening it shows that you read that address&apos;s mail.
        The password you choose replaces any other, and every other session of the account ends.
      </p>
      <SetPasswordForm token={token} />
    </main>
  );
}
