import Link from "next/link";
import { redirect } from "next/navigation";
import { getSession } from "@/lib/auth";
import { safeNextPath } from "@/lib/auth/gate";
import { SignInForm } from "@/components/session/sign-in-form";
import { config } from "@/lib/config";

export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = safeNextPath((await searchParams).next);
  if (await getSession()) redirect(next);
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-6">
      <h1 className="mb-1 text-2xl font-semibold">Verbatim</h1>
      <p className="mb-6 text-sm text-muted">Sign in to Voice Operations.</p>
      <SignInForm next={next} />
      {config().auth === "local" ? (
        <p className="mt-4 text-sm">
          <Link href="/password" className="text-accent underline">Forgot your password, or never chose it?</Link>
        </p>
      ) : null}
    </main>
  );
}
