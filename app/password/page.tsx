import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AddressProofRequestForm } from "@/components/session/address-proof-request";
import { config } from "@/lib/config";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Set your password · Verbatim" };

/**
 * Embedded default: ask for a link, sent to the address only, that sets the password of the
 * account using it (docs/adr/0027). Supabase mode has no local accounts here.
 */
export default function PasswordPage() {
  if (config().auth !== "local") notFound();
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-6">
      <h1 className="mb-1 text-2xl font-semibold">Set your password</h1>
      <p className="mb-6 text-sm text-muted">
        Forgot it, or someone else chose it for an account that uses your address? We send a link to the address;
        whoever reads its mail sets the password, and every other session of the account ends.
      </p>
      <AddressProofRequestForm />
      <p className="mt-4 text-sm"><Link href="/login" className="text-accent underline">Back to sign-in</Link></p>
    </main>
  );
}
