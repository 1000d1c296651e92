import "server-only";
import { config } from "@/lib/config";
import type { Tx } from "@/lib/db";
import { NotFoundError, UnprocessableError } from "@/lib/errors";
import type { Membership } from "@/lib/rbac/membership";
import type { EndpointCreate, EndpointUpdate, EndpointView, WebhookEventType } from "@/lib/outbound/contracts";
import { newSecret, openSecret, sealSecret } from "@/lib/outbound/secrets";
import { checkEndpointUrl, type Resolver } from "@/lib/outbound/url-policy";

/**
 * The one writer of webhook_endpoints and webhook_endpoint_secrets (docs/adr/0012, 0039).
 * Members' changes run in their transaction under RLS (owners and admins: webhooks.manage);
 * the delivery job disables an endpoint through `disableEndpoint` on the service path. Every
 * query also names the organization.
 */

export interface EndpointOptions {
  /** DNS for the URL check; the default is the system's. */
  resolve?: Resolver;
}

async function assertUrl(url: string, opts: EndpointOptions): Promise<void> {
  const problem = await checkEndpointUrl(url, { loopbackAllowed: config().outbound.loopbackAllowed }, opts.resolve);
  if (problem) throw new UnprocessableError(problem, "endpoint_url_refused", { field: "url" });
}

interface EndpointRow {
  id: string;
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  createdAt: Date;
  secrets: { id: string; createdAt: string; expiresAt: string | null }[];
}

function view(row: EndpointRow): EndpointView {
  return {
    ...row,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    secrets: row.secrets.map((s) => ({ id: s.id, createdAt: new Date(s.createdAt).toISOString(), expiresAt: s.expiresAt ? new Date(s.expiresAt).toISOString() : null })),
  };
}

async function selectEndpoints(tx: Tx, { orgId, id }: { orgId: string; id?: string }): Promise<EndpointView[]> {
  const rows = await tx<EndpointRow[]>`
    select e.id, e.url, e.description, e.event_types as "eventTypes", e.enabled,
           e.disabled_reason as "disabledReason", e.disabled_at as "disabledAt", e.created_at as "createdAt",
           coalesce((select jsonb_agg(jsonb_build_object('id', s.id, 'createdAt', s.created_at, 'expiresAt', s.expires_at) order by s.created_at desc)
                     from public.webhook_endpoint_secrets s
                     where s.organization_id = e.organization_id and s.endpoint_id = e.id and (s.expires_at is null or s.expires_at > now())), '[]') as secrets
    from public.webhook_endpoints e
    where e.organization_id = ${orgId} ${id ? tx`and e.id = ${id}` : tx``}
    order by e.created_at, e.id`;
  return rows.map(view);
}

export function listEndpoints(tx: Tx, { orgId }: { orgId: string }): Promise<EndpointView[]> {
  return selectEndpoints(tx, { orgId });
}

export async function findEndpoint(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<EndpointView> {
  const [endpoint] = await selectEndpoints(tx, { orgId, id });
  if (!endpoint) throw new NotFoundError("Webhook endpoint not found.");
  return endpoint;
}

/** A new endpoint and its first secret, which is returned here and never again. */
export async function createEndpoint(
  tx: Tx,
  { membership, input }: { membership: Membership; input: EndpointCreate },
  opts: EndpointOptions = {},
): Promise<{ endpoint: EndpointView; secret: string }> {
  await assertUrl(input.url, opts);
  const [row] = await tx<{ id: string }[]>`
    insert into public.webhook_endpoints (organization_id, url, description, event_types, created_by)
    values (${membership.orgId}, ${input.url}, ${input.description}, ${input.eventTypes}::text[], ${membership.userId})
    returning id`;
  const secret = newSecret();
  await tx`insert into public.webhook_endpoint_secrets (organization_id, endpoint_id, sealed) values (${membership.orgId}, ${row!.id}, ${await sealSecret(secret)})`;
  return { endpoint: await findEndpoint(tx, { orgId: membership.orgId, id: row!.id }), secret };
}

/**
 * Change an endpoint. A new URL is checked as at creation. Turning it on clears the reason it
 * was off; turning it off records that a member did.
 */
export async function updateEndpoint(
  tx: Tx,
  { orgId, id, input }: { orgId: string; id: string; input: EndpointUpdate },
  opts: EndpointOptions = {},
): Promise<EndpointView> {
  await findEndpoint(tx, { orgId, id });
  if (input.url !== undefined) await assertUrl(input.url, opts);
  const enabled = input.enabled;
  await tx`
    update public.webhook_endpoints set
      url = coalesce(${input.url ?? null}::text, url),
      description = coalesce(${input.description ?? null}::text, description),
      event_types = coalesce(${input.eventTypes ?? null}::text[], event_types),
      enabled = coalesce(${enabled ?? null}::boolean, enabled),
      disabled_reason = case when ${enabled ?? null}::boolean is null then disabled_reason
                             when ${enabled ?? null}::boolean then null
                             when enabled then 'Turned off by an owner or admin.'
                             else disabled_reason end,
      disabled_at = case when ${enabled ?? null}::boolean is null then disabled_at
                         when ${enabled ?? null}::boolean then null
                         when enabled then now()
                         else disabled_at end,
      updated_at = now()
    where organization_id = ${orgId} and id = ${id}`;
  return findEndpoint(tx, { orgId, id });
}

export async function deleteEndpoint(tx: Tx, { orgId, id }: { orgId: string; id: string }): Promise<void> {
  const rows = await tx`delete from public.webhook_endpoints where organization_id = ${orgId} and id = ${id} returning id`;
  if (rows.length === 0) throw new NotFoundError("Webhook endpoint not found.");
}

/**
 * A new secret for the endpoint, returned once. The secrets it replaces keep signing for
 * `overlapSeconds` (every delivery meanwhile carries a signature by each, space-separated, as
 * Standard Webhooks allows), so the receiver can switch without losing a delivery.
 */
export async function rotateSecret(tx: Tx, { orgId, id, overlapSeconds }: { orgId: string; id: string; overlapSeconds: number }): Promise<{ endpoint: EndpointView; secret: string }> {
  await findEndpoint(tx, { orgId, id });
  await tx`
    update public.webhook_endpoint_secrets
       set expires_at = least(coalesce(expires_at, 'infinity'::timestamptz), now() + make_interval(secs => ${overlapSeconds}))
     where organization_id = ${orgId} and endpoint_id = ${id} and (expires_at is null or expires_at > now())`;
  const secret = newSecret();
  await tx`insert into public.webhook_endpoint_secrets (organization_id, endpoint_id, sealed) values (${orgId}, ${id}, ${await sealSecret(secret)})`;
  return { endpoint: await findEndpoint(tx, { orgId, id }), secret };
}

/** The delivery job gave up: the endpoint is off, with the reason shown on the page. Service path. */
export async function disableEndpoint(tx: Tx, { orgId, id, reason }: { orgId: string; id: string; reason: string }): Promise<void> {
  await tx`
    update public.webhook_endpoints set enabled = false, disabled_reason = ${reason.slice(0, 2000)}, disabled_at = now(), updated_at = now()
    where organization_id = ${orgId} and id = ${id} and enabled`;
}

/** The secrets that sign a delivery now, newest first, opened. Service path (members never read them). */
export async function signingSecrets(tx: Tx, { orgId, endpointId }: { orgId: string; endpointId: string }): Promise<string[]> {
  const rows = await tx<{ sealed: string }[]>`
    select sealed from public.webhook_endpoint_secrets
    where organization_id = ${orgId} and endpoint_id = ${endpointId} and (expires_at is null or expires_at > now())
    order by created_at desc`;
  return Promise.all(rows.map((r) => openSecret(r.sealed)));
}
