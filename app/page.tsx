import { redirect } from "next/navigation";
import { requestSession } from "@/lib/auth";
import { withWorkspace } from "@/lib/auth/active-org";
import { CarrierNote } from "@/components/calls/carrier-note";
import { LazyHeaderTools, LazyOrgChooser, LazyOrgSwitcher } from "@/components/lazy-panels";
import { SignOutButton } from "@/components/session/sign-out-button";
import { VoiceOperations, type VoiceOperationsProps } from "@/components/calls/voice-operations";
import { callFilterSchema, CALL_FILTER_KEYS, type CallFilter } from "@/lib/calls/contracts";
import { listCalls } from "@/lib/calls/queries";
import { getCallDetail } from "@/lib/call-detail/detail";
import { viewFor } from "@/lib/calls/call-view";
import { config } from "@/lib/config";
import type { Tx } from "@/lib/db";
import { check, type Membership } from "@/lib/rbac/authorize";
import { allows } from "@/lib/rbac/policy";
import { getVoiceConfig } from "@/lib/calls/voice-config";
import { isUuid } from "@/lib/pg-safe";

type SearchParams = Record<string, string | string[] | undefined>;

function param(params: SearchParams, name: string): string | undefined {
  const value = params[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/** The URL's filters, each validated on its own: a malformed one is left out of the first paint. */
function filterOf(params: SearchParams): CallFilter {
  const filter: Record<string, unknown> = {};
  for (const key of CALL_FILTER_KEYS) {
    const raw = param(params, key);
    if (raw === undefined) continue;
    const parsed = callFilterSchema.shape[key].safeParse(raw);
    if (parsed.success && parsed.data !== undefined) filter[key] = parsed.data;
  }
  return filter as CallFilter;
}

/**
 * The panels' first data, read under RLS in the page's one transaction (issued together, so
 * pipelined): the voice configuration, the list for the URL's filters, and the URL's selected
 * call. A failure leaves each panel to load and say so itself. The selected call is read as the
 * member, filtered by the active organization: another organization's call, an unknown or a
 * malformed id is null ("Call not found"), never the call.
 */
async function initialData(tx: Tx, active: Membership, { selected, filter }: { selected?: string; filter: CallFilter }) {
  const viewing = (() => {
    try {
      return check(active, "operations.view", active.orgId);
    } catch {
      return null;
    }
  })();
  if (!viewing) return [undefined, undefined, undefined] as const;
  const view = viewFor(viewing);
  return Promise.all([
    getVoiceConfig(tx, { membership: viewing }).catch(() => undefined),
    listCalls(tx, { orgId: viewing.orgId, limit: 50, view, filter }).catch(() => undefined),
    selected === undefined
      ? undefined
      : isUuid(selected)
        ? getCallDetail(tx, { orgId: viewing.orgId, callId: selected, view }).then((call) => ({ id: selected, call }), () => undefined)
        : { id: selected, call: null },
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
export default async function VoiceOperationsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const selected = param(params, "call");
  const filter = filterOf(params);
  const request = await requestSession();
  if (!request) redirect("/login");
  const { session } = request;
  // One transaction; should a panel's read fail in it, the workspace alone, and the panels
  // load (and say so) themselves, as when each had a transaction of its own.
  const workspace = await withWorkspace(request, (tx, active) => initialData(tx, active, { selected, filter })).catch(() =>
    withWorkspace(request, async () => undefined));
  if (!workspace) redirect("/login");
  const { memberships, active } = workspace;
  const [voiceConfig, calls, detail] = workspace.data ?? [undefined, undefined, undefined];

  return (
    <div className="min-h-screen">
      <a href="#call-list-heading"
        className="sr-only rounded bg-white px-3 py-2 font-medium text-accent focus:not-sr-only focus:absolute focus:left-4 focus:top-2 focus:z-10">
        Skip to the calls
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-[96rem] flex-wrap items-center gap-4 px-6 py-3">
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
            {active && (allows(active.role, active.plan, "target.read") || allows(active.role, active.plan, "insights.read") || allows(active.role, active.plan, "retention.read") || allows(active.role, active.plan, "voice_config.update") || allows(active.role, active.plan, "members.manage"))
              ? <LazyHeaderTools key={active.orgId} orgId={active.orgId} role={active.role} plan={active.plan}
                  programs={allows(active.role, active.plan, "target.read")}
                  campaigns={allows(active.role, active.plan, "campaign.read")}
                  insights={allows(active.role, active.plan, "insights.read")}
                  retention={allows(active.role, active.plan, "retention.read")}
                  settings={allows(active.role, active.plan, "voice_config.update") || allows(active.role, active.plan, "members.manage")} />
              : null}
            <span className="text-muted">{session.email}</span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-[96rem] px-6 py-6">
        {active ? (
          <div className="space-y-6">
            <VoiceOperations
              key={active.orgId}
              orgId={active.orgId}
              realtime={realtimeTransport()}
              initialConfig={voiceConfig}
              initialCalls={calls}
              initialDetail={detail}
              userId={session.userId}
              carrierNote={voiceConfig ? <CarrierNote carrier={voiceConfig.carrier} notice={voiceConfig.carrierNotice} transcriber={voiceConfig.transcriber} /> : null}
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
