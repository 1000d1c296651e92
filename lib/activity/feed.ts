import "server-only";
import type { ActivityEvent, ActivityResponse, ActivitySource } from "@/lib/activity/contracts";
import { ACTIVITY_SOURCES } from "@/lib/activity/contracts";
import { maskNumber, viewFor } from "@/lib/calls/call-view";
import { openNumbers } from "@/lib/pii/numbers";
import { summarizeEvent } from "@/lib/calls/timeline";
import type { Tx } from "@/lib/db";
import { ValidationError } from "@/lib/errors";
import { organizationEventSchema, VOICE_CONFIG_FIELDS, type OrganizationEvent } from "@/lib/orgs/audit";
import { emailsOf } from "@/lib/orgs/members";
import type { Membership } from "@/lib/rbac/authorize";
import { allows } from "@/lib/rbac/policy";

/**
 * The organization's activity: its calls' timelines (`call_events`), sealed evidence manifests
 * and custody events (evidence viewed, exported, verified), newest first in one keyset order
 * `(time, source, id)`. Read as the caller under RLS and filtered by organization too; manifests
 * and custody events are read only for roles that may export evidence (RLS shows nobody else
 * any). The organization's own changes (`organization_events`: voice configuration, members,
 * invitations) are read only for roles that may manage members, as RLS shows nobody else any;
 * the people they name are shown by email, looked up for exactly the page's ids. Each source
 * is read by its own index range (supabase/migrations/*_index_activity_feed.sql and
 * *_create_organization_events.sql), at most `limit + 1` rows each, then merged.
 */

/** Custody actions that are someone's act on evidence; sealing is the manifest's own event. */
const CUSTODY_ACTIONS = ["evidence.viewed", "evidence.exported", "evidence.verified"];

/** Timeline kinds whose summary carries a result only `survey.read` may see. */
const RESULT_KINDS: Record<string, string> = { "score.stored": "Shopper score stored" };

interface Cursor {
  at: string;
  source: ActivitySource;
  sortId: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at, c.source, c.sortId])).toString("base64url");
}

function decodeCursor(value: string): Cursor {
  const invalid = () => new ValidationError("The `before` cursor is not one this API gave out.", { issues: [{ path: "before", message: "unknown cursor" }] });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [at, source, sortId] = parsed as unknown[];
  if (typeof at !== "string" || Number.isNaN(Date.parse(at)) || at.length > 40) throw invalid();
  if (!ACTIVITY_SOURCES.includes(source as ActivitySource)) throw invalid();
  if (typeof sortId !== "string" || !/^(\d{20}|[0-9a-f-]{36})$/.test(sortId)) throw invalid();
  return { at, source: source as ActivitySource, sortId };
}

interface Row {
  source: ActivitySource;
  sortId: string;
  id: string;
  kind: string;
  payload: unknown;
  at: string;
  callId: string | null;
  toNumber: string | null;
  actorUserId: string | null;
  subject: string | null;
}

const SOURCE_LABEL = { call: "Call", evidence: "Evidence", custody: "Custody" } as const;

const CUSTODY_SUMMARY: Record<string, string> = {
  "evidence.viewed": "Evidence viewed",
  "evidence.exported": "Evidence exported",
  "evidence.verified": "Evidence verified",
};

export async function listActivity(
  tx: Tx,
  { membership, before, limit }: { membership: Membership; before?: string; limit: number },
): Promise<ActivityResponse> {
  const orgId = membership.orgId;
  const cursor = before ? decodeCursor(before) : null;
  const view = viewFor(membership);
  const evidence = allows(membership.role, membership.plan, "evidence.export");
  const organization = allows(membership.role, membership.plan, "members.manage");
  const n = limit + 1;
  // Each branch: the index range up to the cursor's time, then the exact keyset comparison.
  const after = (at: ReturnType<Tx>, source: ActivitySource, sortId: ReturnType<Tx>) =>
    cursor
      ? tx`and ${at} <= ${cursor.at}::text::timestamptz and (${at}, ${source}::text, ${sortId}) < (${cursor.at}::text::timestamptz, ${cursor.source}::text, ${cursor.sortId}::text)`
      : tx``;
  const rows = await tx<Row[]>`
    select * from (
      (select 'call' as source, lpad(e.id::text, 20, '0') as "sortId", e.id::text as id, e.kind, e.payload,
              to_json(e.occurred_at) #>> '{}' as at, e.call_id as "callId", c.to_number as "toNumber",
              null::uuid as "actorUserId", null::text as subject, e.occurred_at as ts
       from public.call_events e
       join public.calls c on c.organization_id = e.organization_id and c.id = e.call_id
       where e.organization_id = ${orgId} ${after(tx`e.occurred_at`, "call", tx`lpad(e.id::text, 20, '0')`)}
       order by e.occurred_at desc, e.id desc limit ${n})
      ${evidence ? tx`
      union all
      (select 'evidence', m.id::text, m.id::text, 'manifest.sealed', jsonb_build_object('version', m.version),
              to_json(m.sealed_at) #>> '{}', m.call_id, c.to_number, null, null, m.sealed_at
       from public.evidence_manifests m
       join public.calls c on c.organization_id = m.organization_id and c.id = m.call_id
       where m.organization_id = ${orgId} ${after(tx`m.sealed_at`, "evidence", tx`m.id::text`)}
       order by m.sealed_at desc, m.id desc limit ${n})
      union all
      (select 'custody', x.id::text, x.id::text, x.action, null::jsonb,
              to_json(x.occurred_at) #>> '{}', x.call_id, c.to_number, null, null, x.occurred_at
       from public.custody_events x
       left join public.calls c on c.organization_id = x.organization_id and c.id = x.call_id
       where x.organization_id = ${orgId} and x.action = any(${CUSTODY_ACTIONS}::text[])
         ${after(tx`x.occurred_at`, "custody", tx`x.id::text`)}
       order by x.occurred_at desc, x.id desc limit ${n})` : tx``}
      ${organization ? tx`
      union all
      (select 'organization', lpad(o.id::text, 20, '0'), o.id::text, o.kind, o.payload,
              to_json(o.occurred_at) #>> '{}', null, null, o.actor_user_id, o.subject, o.occurred_at
       from public.organization_events o
       where o.organization_id = ${orgId} ${after(tx`o.occurred_at`, "organization", tx`lpad(o.id::text, 20, '0')`)}
       order by o.occurred_at desc, o.id desc limit ${n})` : tx``}
    ) feed
    order by ts desc, source desc, "sortId" desc
    limit ${n}`;
  const page = await openedNumbers(tx, orgId, rows.slice(0, limit));
  const last = page.at(-1);
  const people = await emailsOf(page.filter((r) => r.source === "organization").flatMap((r) => peopleOf(r)));
  return {
    events: page.map((row) => event(row, view, people)),
    nextBefore: rows.length > limit && last ? encodeCursor({ at: last.at, source: last.source, sortId: last.sortId }) : null,
  };
}

/** The page's called numbers opened (docs/adr/0044): a warm process reads no key to do it. */
async function openedNumbers(tx: Tx, orgId: string, rows: Row[]): Promise<Row[]> {
  const numbered = rows.filter((r) => r.toNumber !== null);
  const opened = await openNumbers(tx, numbered.map((r) => ({ orgId, field: "calls.to_number" as const, value: r.toNumber! })));
  const byRow = new Map(numbered.map((r, i) => [r, opened[i]!]));
  return rows.map((r) => (byRow.has(r) ? { ...r, toNumber: byRow.get(r)! } : r));
}

function event(row: Row, view: ReturnType<typeof viewFor>, people: Map<string, string>): ActivityEvent {
  return {
    id: `${row.source}:${row.id}`,
    source: row.source,
    label: row.source === "organization" ? organizationLabel(row.kind) : SOURCE_LABEL[row.source],
    kind: row.kind,
    occurredAt: row.at,
    summary: row.source === "organization" ? describeChange(row, people) : summary(row, view),
    callId: row.callId,
    number: row.toNumber === null ? null : view.numbers ? row.toNumber : maskNumber(row.toNumber),
  };
}

function organizationLabel(kind: string): ActivityEvent["label"] {
  if (kind.startsWith("voice_config.")) return "Settings";
  if (kind.startsWith("target.") || kind.startsWith("targets.")) return "Targets";
  return "Members";
}

function summary(row: Row, view: ReturnType<typeof viewFor>): string {
  const text = describe(row, view);
  // A provider's message may quote a number (a refused dial, say): masked like the call's own.
  return view.numbers ? text : text.replace(/\+\d{7,15}/g, (n) => maskNumber(n));
}

function describe(row: Row, view: ReturnType<typeof viewFor>): string {
  if (row.source === "evidence") return `Evidence sealed (manifest version ${(row.payload as { version?: number } | null)?.version ?? "?"})`;
  if (row.source === "custody") return CUSTODY_SUMMARY[row.kind] ?? row.kind;
  if (!view.surveys && RESULT_KINDS[row.kind]) return RESULT_KINDS[row.kind]!;
  return summarizeEvent(row.kind, row.payload);
}

/** The user ids an organization event names: its actor, and the member it is about. */
function peopleOf(row: Row): string[] {
  const ids = row.actorUserId ? [row.actorUserId] : [];
  if (row.subject && (row.kind.startsWith("member.") || row.kind === "invitation.accepted")) ids.push(row.subject);
  return ids;
}

const withArticle = (role: string) => `${/^[aeiou]/.test(role) ? "an" : "a"} ${role}`;

function describeChange(row: Row, people: Map<string, string>): string {
  const parsed = organizationEventSchema.safeParse({ kind: row.kind, subject: row.subject, payload: row.payload });
  if (!parsed.success) return row.kind;
  const e: OrganizationEvent = parsed.data;
  const who = (id: string | null) => (id ? (people.get(id) ?? "a deleted account") : "The system");
  const actor = who(row.actorUserId);
  switch (e.kind) {
    case "voice_config.updated": {
      const fields = e.payload.fields.map((f) => VOICE_CONFIG_FIELDS[f]).join(", ") || "no changes";
      return `${actor} changed the voice configuration (version ${e.payload.version}: ${fields})`;
    }
    case "member.role_changed":
      return `${actor} made ${e.subject === row.actorUserId ? "themselves" : who(e.subject)} ${withArticle(e.payload.to)} (was ${withArticle(e.payload.from)})`;
    case "member.removed":
      if (e.payload.reason === "address_proven") {
        return `${who(e.subject)} was no longer a member once the address's owner proved it and set the account's password (was ${withArticle(e.payload.role)}); it is offered to them again`;
      }
      return e.subject === row.actorUserId
        ? `${actor} left the organization (was ${withArticle(e.payload.role)})`
        : `${actor} removed ${who(e.subject)} (was ${withArticle(e.payload.role)})`;
    case "invitation.created":
      if (e.payload.reason === "address_proven") return `${e.payload.email} was invited again as ${withArticle(e.payload.role)}, for the address's proven owner to accept`;
      return `${actor} invited ${e.payload.email} as ${withArticle(e.payload.role)}`;
    case "invitation.revoked":
      return `${actor} withdrew the invitation of ${e.payload.email} (${e.payload.role})`;
    case "invitation.accepted":
      return `${who(e.subject)} accepted an invitation and joined as ${withArticle(e.payload.role)}`;
    case "target.dnc_set":
      return `${actor} marked the target ${JSON.stringify(e.payload.name)} do-not-call`;
    case "target.dnc_cleared":
      return `${actor} cleared the do-not-call mark of the target ${JSON.stringify(e.payload.name)}`;
    case "targets.imported":
      return `${actor} imported ${e.payload.created} target${e.payload.created === 1 ? "" : "s"}${e.payload.dnc ? ` (${e.payload.dnc} marked do-not-call)` : ""}`;
  }
}
