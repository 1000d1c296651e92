import "server-only";
import type { ActivityEvent, ActivityResponse, ActivitySource } from "@/lib/activity/contracts";
import { ACTIVITY_SOURCES } from "@/lib/activity/contracts";
import { maskNumber, viewFor } from "@/lib/calls/queries";
import { summarizeEvent } from "@/lib/calls/timeline";
import type { Tx } from "@/lib/db";
import { ValidationError } from "@/lib/errors";
import type { Membership } from "@/lib/rbac/authorize";
import { allows } from "@/lib/rbac/policy";

/**
 * The organization's activity: its calls' timelines (`call_events`), sealed evidence manifests
 * and custody events (evidence viewed, exported, verified), newest first in one keyset order
 * `(time, source, id)`. Read as the caller under RLS and filtered by organization too; manifests
 * and custody events are read only for roles that may export evidence (RLS shows nobody else
 * any). Each source is read by its own index range (supabase/migrations/*_index_activity_feed.sql),
 * at most `limit + 1` rows each, then merged.
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
}

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
  const n = limit + 1;
  // Each branch: the index range up to the cursor's time, then the exact keyset comparison.
  const after = (at: ReturnType<Tx>, source: ActivitySource, sortId: ReturnType<Tx>) =>
    cursor
      ? tx`and ${at} <= ${cursor.at}::text::timestamptz and (${at}, ${source}::text, ${sortId}) < (${cursor.at}::text::timestamptz, ${cursor.source}::text, ${cursor.sortId}::text)`
      : tx``;
  const rows = await tx<Row[]>`
    select * from (
      (select 'call' as source, lpad(e.id::text, 20, '0') as "sortId", e.id::text as id, e.kind, e.payload,
              to_json(e.occurred_at) #>> '{}' as at, e.call_id as "callId", c.to_number as "toNumber", e.occurred_at as ts
       from public.call_events e
       join public.calls c on c.organization_id = e.organization_id and c.id = e.call_id
       where e.organization_id = ${orgId} ${after(tx`e.occurred_at`, "call", tx`lpad(e.id::text, 20, '0')`)}
       order by e.occurred_at desc, e.id desc limit ${n})
      ${evidence ? tx`
      union all
      (select 'evidence', m.id::text, m.id::text, 'manifest.sealed', jsonb_build_object('version', m.version),
              to_json(m.sealed_at) #>> '{}', m.call_id, c.to_number, m.sealed_at
       from public.evidence_manifests m
       join public.calls c on c.organization_id = m.organization_id and c.id = m.call_id
       where m.organization_id = ${orgId} ${after(tx`m.sealed_at`, "evidence", tx`m.id::text`)}
       order by m.sealed_at desc, m.id desc limit ${n})
      union all
      (select 'custody', x.id::text, x.id::text, x.action, null::jsonb,
              to_json(x.occurred_at) #>> '{}', x.call_id, c.to_number, x.occurred_at
       from public.custody_events x
       left join public.calls c on c.organization_id = x.organization_id and c.id = x.call_id
       where x.organization_id = ${orgId} and x.action = any(${CUSTODY_ACTIONS}::text[])
         ${after(tx`x.occurred_at`, "custody", tx`x.id::text`)}
       order by x.occurred_at desc, x.id desc limit ${n})` : tx``}
    ) feed
    order by ts desc, source desc, "sortId" desc
    limit ${n}`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    events: page.map((row) => event(row, view)),
    nextBefore: rows.length > limit && last ? encodeCursor({ at: last.at, source: last.source, sortId: last.sortId }) : null,
  };
}

function event(row: Row, view: ReturnType<typeof viewFor>): ActivityEvent {
  return {
    id: `${row.source}:${row.id}`,
    source: row.source,
    kind: row.kind,
    occurredAt: row.at,
    summary: summary(row, view),
    callId: row.callId,
    number: row.toNumber === null ? null : view.numbers ? row.toNumber : maskNumber(row.toNumber),
  };
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
