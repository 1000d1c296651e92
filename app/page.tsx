import { redirect } from "next/navigation";
import { requestSession } from "@/lib/auth";
import { withWorkspace } from "@/lib/auth/active-org";
import { CarrierNote } from "@/components/carrier-note";
import { LazyOrgChooser, LazyOrgSwitcher, LazySettingsButton } from "@/components/lazy-panels";
import { SignOutButton } from "@/components/sign-out-button";
import { VoiceOperations, type VoiceOperationsProps } from "@/components/voice-operations";
import { listCalls, viewFor } from "@/lib/calls/queries";
import { config } from "@/lib/config";
import type { Tx } from "@/lib/db";
import { check, type Membership } from "@/lib/rbac/authorize";
import { allows } from "@/lib/rbac/policy";
import { getVoiceConfig } from "@/lib/calls/voice-config";

/**
 * The panels' first data, read under RLS in the page's one transaction (issued together, so
 * pipelined); a failure leaves each panel to load and say so itself.
 */
async function initialData(tx: Tx, active: Membership) {
  const viewing = (() => {
    try {
      return check(active, "operations.view", active.orgId);
    } catch {
      return null;
    }
  })();
  if (!viewing) return [undefined, undefined] as const;
  return Promise.all([
    getVoiceConfig(tx, { membership: viewing }).catch(() => undefined),
    listCalls(tx, { orgId: viewing.orgId, limit: 50, view: viewFor(viewing) }).catch(() => undefined),
  ]);
}

/** Only public values reach the browser: the Supabase URL and publishable key, never secrets. */
function realtimeTransport(): VoiceOperationsProps["realtime"] {
  const cfg = config();
  return cfg.realtime === "supabase" && cfg.supabase
    ? { kind: "supabase", url: cfg.supabase.url, publishableKey: cfg.supabase.publishableKey, tokenUrl: "/api/realtime/token" }
    : { kind: "sse" };
}

export const dynamic = "force-dynamic";

/** The Voice Operations page: one page, a server shell with client islands per panel. */
export default async function VoiceOperationsPage() {
  const request = await requestSession();
  if (!request) redirect("/login");
  const { session } = request;
  // One transaction; should a panel's read fail in it, the workspace alone, and the panels
  // load (and say so) themselves, as when each had a transaction of its own.
  const workspace = await withWorkspace(request, initialData).catch(() => withWorkspace(request, async () => undefined));
  if (!workspace) redirect("/login");
  const { memberships, active } = workspace;
  const [voiceConfig, calls] = workspace.data ?? [undefined, undefined];

  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-4 px-6 py-3">
          <h1 className="text-lg font-semibold">Voice Operations</h1>
          {active ? (
            <dl className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm" aria-label="Current organization">
              <div className="flex items-center gap-1">
                <dt className="sr-only">Organization</dt>
                <dd data-testid="org-name">
                  {memberships.length > 1 ? (
                    <LazyOrgSwitcher options={memberships} activeOrgId={active.orgId} />
                  ) : (
                    active.orgName
                  )}
                </dd>
              </div>
              <div className="flex items-center gap-1">
                <dt className="text-muted">Plan</dt>
                <dd data-testid="org-plan" className="rounded bg-slate-100 px-2 py-0.5 font-medium capitalize">{active.plan}</dd>
              </div>
              <div className="flex items-center gap-1">
                <dt className="text-muted">Role</dt>
                <dd data-testid="org-role" className="rounded bg-slate-100 px-2 py-0.5 font-medium capitalize">{active.role}</dd>
              </div>
            </dl>
          ) : null}
          <div className="ml-auto flex items-center gap-3 text-sm">
            {active && (allows(active.role, active.plan, "voice_config.update") || allows(active.role, active.plan, "members.manage")) ? <LazySettingsButton key={active.orgId} orgId={active.orgId} role={active.role} /> : null}
            <span className="text-muted">{session.email}</span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-6 py-6">
        {active ? (
          <div className="space-y-6">
            <VoiceOperations
              key={active.orgId}
              orgId={active.orgId}
              realtime={realtimeTransport()}
              initialConfig={voiceConfig}
              initialCalls={calls}
              carrierNote={voiceConfig ? <CarrierNote carrier={voiceConfig.carrier} transcriber={voiceConfig.transcriber} /> : null}
            />
          </div>
        ) : memberships.length > 0 ? (
          <LazyOrgChooser options={memberships} />
        ) : (
          <p role="status" className="rounded border border-amber-300 bg-amber-50 p-4 text-sm">
            You are not a member of any organization yet. Ask an owner or admin to invite you, then open the link
            in their invitation.
          </p>
        )}
      </main>
    </div>
  );
}
