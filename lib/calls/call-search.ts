import "server-only";
import type { CallFilter, CallHighlightsResponse, HighlightFragment, SearchMatch } from "@/lib/calls/contracts";
import type { CallView } from "@/lib/calls/call-view";
import type { Tx } from "@/lib/db";
import { ForbiddenError, UnprocessableError, ValidationError } from "@/lib/errors";
import { POLICY, type Action } from "@/lib/rbac/policy";

/**
 * Finding calls: the call list's filters, full-text search over what calls said, and the
 * keyset page both the list (`listCalls`) and the bulk evidence export (`listCallIds`) walk.
 * Run as the member (RLS on), so artifacts their role or plan may not read never match; on
 * top of RLS, search reads only the transcript the caller would be shown (the redacted one
 * where the call redacted PII, unless an owner or admin asked for the original) and
 * translations only with `translation.read`. Decisions in docs/adr/0018.
 *
 * Order: (created_at, id) descending within the organization, the list's order; the cursor is
 * the list's opaque `before`. Every filter is an index (supabase/migrations/20261130060100_*).
 */

/** Sentinels ts_headline puts around a hit: control characters, stripped from the text first. */
const START = "\u0002";
const STOP = "\u0003";
/** Short excerpts for the list; whole utterances and translations for the highlights. */
const EXCERPT_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=20, MinWords=6, MaxFragments=2, FragmentDelimiter=" … "`;
const WHOLE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, HighlightAll=true`;

// ---------------------------------------------------------------------------------------------
// The cursor

export interface CallCursor {
  /** created_at of the last call of the previous page, as the API printed it. */
  at: string;
  id: string;
}

export function encodeCursor(row: { createdAt: string; id: string }): string {
  return Buffer.from(`${row.createdAt}|${row.id}`).toString("base64url");
}

export function decodeCursor(cursor: string): CallCursor {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new ValidationError("The `before` cursor is not one this API gave out.");
  }
  return { at, id };
}

// ---------------------------------------------------------------------------------------------
// What a filter may ask

function needs(allowed: boolean, what: string, action: Action): void {
  if (allowed) return;
  const roles = POLICY[action].roles;
  throw new ForbiddenError(
    `${what} needs a role that may ${POLICY[action].label.toLowerCase()} (${roles.slice(0, -1).join(", ")} or ${roles.at(-1)}) ` +
      `on the ${POLICY[action].plan} plan or above; your role or plan does not include it.`,
    { action, roles: [...roles], requiredPlan: POLICY[action].plan },
  );
}

/** The day after a bare date, at 00:00 UTC (a bare `to` covers its whole day). */
function dayAfter(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString();
}

const isDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

interface Resolved {
  statuses: string[] | null;
  flow: string | null;
  from: string | null;
  /** created_at < this (a bare date's next midnight) or <= this (a date-time). */
  to: { at: string; inclusive: boolean } | null;
  has: Set<string>;
  scoreMin: number | null;
  scoreMax: number | null;
  script: string | null;
  survey: string | null;
  /** Digits only; null when the filter had none. */
  number: string | null;
  q: string | null;
}

/**
 * Check a filter against what the caller may read, and its own coherence: content filters need
 * the content's read permission (403 naming who may), `from` after `to` and `scoreMin` above
 * `scoreMax` are 422. Every query function here calls it, so no caller can skip it.
 */
export function checkCallFilter(filter: CallFilter | undefined, view: CallView): Resolved {
  const f = filter ?? {};
  const has = new Set<string>(f.has ?? []);
  const q = f.q?.trim() || null;
  if (q) needs(view.recordings, "Searching what calls said", "recording.play");
  if (has.has("recording")) needs(view.recordings, "Filtering by recording", "recording.play");
  if (has.has("transcript")) needs(view.recordings, "Filtering by transcript", "recording.play");
  if (has.has("translation")) needs(view.translations, "Filtering by translation", "translation.read");
  if (f.scoreMin !== undefined || f.scoreMax !== undefined) needs(view.surveys, "Filtering by shopper score", "survey.read");

  const from = f.from ? (isDate(f.from) ? `${f.from}T00:00:00.000Z` : f.from) : null;
  const to = f.to ? (isDate(f.to) ? { at: dayAfter(f.to), inclusive: false } : { at: f.to, inclusive: true }) : null;
  if (from && to && (Date.parse(from) > Date.parse(to.at) || (!to.inclusive && Date.parse(from) >= Date.parse(to.at)))) {
    throw new UnprocessableError(`\`from\` (${f.from}) is after \`to\` (${f.to}): give a range whose start is not after its end.`, "invalid_range");
  }
  if (f.scoreMin !== undefined && f.scoreMax !== undefined && f.scoreMin > f.scoreMax) {
    throw new UnprocessableError(`\`scoreMin\` (${f.scoreMin}) is above \`scoreMax\` (${f.scoreMax}).`, "invalid_range");
  }
  const digits = f.number?.replace(/\D/g, "") ?? "";
  return {
    statuses: f.status?.length ? f.status : null,
    flow: f.flow ?? null,
    from,
    to,
    has,
    scoreMin: f.scoreMin ?? null,
    scoreMax: f.scoreMax ?? null,
    script: f.script ?? null,
    survey: f.survey ?? null,
    number: digits || null,
    q,
  };
}

/** Whether any filter narrows the list (the unfiltered list keeps its cached plan). */
function narrows(r: Resolved): boolean {
  return Boolean(r.statuses || r.flow || r.from || r.to || r.has.size || r.scoreMin !== null || r.scoreMax !== null || r.script || r.survey || r.number || r.q);
}

// ---------------------------------------------------------------------------------------------
// SQL pieces (correlated with `c`, a row of public.calls)

/** Current (not superseded) artifacts of call `c` that the caller reads as transcript (and, with `translations`, translations). */
function readableText(tx: Tx, view: CallView, { translations }: { translations: boolean }) {
  // The transcript the detail shows: the original for an owner or admin who asked for it;
  // otherwise the redacted transcript where the call redacted PII (its original is restricted)
  // and the transcript where it did not.
  const transcript = view.original ? tx`a.kind = 'transcript'` : tx`(a.kind = 'redacted_transcript' or (a.kind = 'transcript' and not a.restricted))`;
  return tx`
    a.organization_id = c.organization_id and a.call_id = c.id
    and (${transcript} ${translations && view.translations ? tx`or a.kind = 'translation'` : tx``})
    and not exists (select 1 from public.call_artifacts s where s.supersedes = a.id)`;
}

/** Whether artifact `a` matches `q` in the configuration of its own language (docs/adr/0018). */
function textMatches(tx: Tx, q: string) {
  return tx`a.search_vector @@ websearch_to_tsquery(private.search_config(a.language), ${q})`;
}

/** What a viewer's masked number shows: the country code and the last two digits (queries.ts maskNumber), as two groups. */
function visibleDigits(tx: Tx, column: "to_number" | "from_number") {
  const n = tx.unsafe(`substr(c.${column}, 2)`);
  return tx`(case when length(${n}) > 10 then left(${n}, length(${n}) - 10) else left(${n}, 1) end || ' ' || right(${n}, 2))`;
}

function conditions(tx: Tx, orgId: string, r: Resolved, view: CallView, cursor: CallCursor | null) {
  const parts = [tx`c.organization_id = ${orgId}`];
  if (cursor) parts.push(tx`(c.created_at, c.id) < (${cursor.at}::text::timestamptz, ${cursor.id}::uuid)`);
  if (r.statuses) parts.push(tx`c.status in ${tx(r.statuses)}`);
  if (r.flow) parts.push(tx`c.flow = ${r.flow}`);
  if (r.from) parts.push(tx`c.created_at >= ${r.from}::timestamptz`);
  if (r.to) parts.push(r.to.inclusive ? tx`c.created_at <= ${r.to.at}::timestamptz` : tx`c.created_at < ${r.to.at}::timestamptz`);
  // Generated copies of the snapshot's ids: text `=` is leakproof, so their indexes serve under RLS.
  if (r.script) parts.push(tx`c.snapshot_script_id = ${r.script}`);
  if (r.survey) parts.push(tx`c.snapshot_survey_id = ${r.survey}`);
  if (r.number) {
    // Members who see numbers whole match any part of them (a trigram index, through the
    // function); viewers only what the masked form shows, so no search can probe hidden digits.
    parts.push(view.numbers
      ? tx`c.id in (select private.number_search_call_ids(${orgId}, ${r.number}))`
      : tx`strpos(${visibleDigits(tx, "to_number")} || ' | ' || ${visibleDigits(tx, "from_number")}, ${r.number}) > 0`);
  }
  if (r.has.has("recording")) {
    parts.push(tx`exists (select 1 from public.recordings r where r.organization_id = c.organization_id and r.call_id = c.id and r.status = 'stored')`);
  }
  if (r.has.has("transcript")) {
    parts.push(tx`exists (select 1 from public.call_artifacts a where ${readableText(tx, view, { translations: false })})`);
  }
  if (r.has.has("translation")) {
    parts.push(tx`exists (select 1 from public.call_artifacts a
      where a.organization_id = c.organization_id and a.call_id = c.id and a.kind = 'translation')`);
  }
  if (r.scoreMin !== null || r.scoreMax !== null) {
    parts.push(tx`exists (select 1 from public.call_artifacts a
      where a.organization_id = c.organization_id and a.call_id = c.id and a.kind = 'score'
        ${r.scoreMin !== null ? tx`and (a.body ->> 'score')::numeric >= ${(r.scoreMin / 100).toFixed(2)}::numeric` : tx``}
        ${r.scoreMax !== null ? tx`and (a.body ->> 'score')::numeric <= ${(r.scoreMax / 100).toFixed(2)}::numeric` : tx``}
        and not exists (select 1 from public.call_artifacts s where s.supersedes = a.id))`);
  }
  if (r.q) {
    // Through the function: under RLS the GIN index could not serve `@@` (docs/adr/0018).
    parts.push(tx`c.id in (select private.text_search_call_ids(${orgId}, ${r.q}, ${view.original}))`);
  }
  return parts.reduce((all, part) => tx`${all} and ${part}`);
}

export interface CallSearchParams {
  orgId: string;
  filter?: CallFilter;
  view: CallView;
  /** The list's `before` cursor: calls strictly older than it. */
  before?: string;
  limit: number;
}

/**
 * One page of matching calls as a subquery `p(id, created_at)`, newest first, `limit + 1` rows
 * (the extra one says whether there is a next page). The list joins it back to the calls for
 * its columns, so per-row columns are computed for the page only.
 */
export function callPage(tx: Tx, { orgId, filter, view, before, limit }: CallSearchParams) {
  const r = checkCallFilter(filter, view);
  const cursor = before ? decodeCursor(before) : null;
  return {
    resolved: r,
    /**
     * Filters whose best plan depends on the values (a rare phrase or a common one) are planned
     * for the values at hand: a prepared statement's generic plan would pick one for all.
     */
    customPlan: narrows(r),
    page: tx`(
      select c.id, c.created_at, to_json(c.created_at) #>> '{}' as at
      from public.calls c
      where ${conditions(tx, orgId, r, view, cursor)}
      order by c.created_at desc, c.id desc
      limit ${limit + 1}) p`,
  };
}

/** Make the transaction plan the next statements for their values; issue it beside them (pipelined: no extra round trip). */
export async function planForValues(tx: Tx, customPlan: boolean): Promise<void> {
  if (customPlan) await tx`select set_config('plan_cache_mode', 'force_custom_plan', true)`;
}

/**
 * Every call id matching a filter, in the list's order, a page at a time (the bulk evidence
 * export walks it): pass `nextBefore` back as `before` until it is null. Same checks and
 * visibility as the list (403/422 from `checkCallFilter`).
 */
export async function listCallIds(
  tx: Tx,
  { orgId, filter, view, before, limit }: CallSearchParams,
): Promise<{ ids: string[]; nextBefore: string | null }> {
  const { page, customPlan } = callPage(tx, { orgId, filter, view, before, limit });
  const [, rows] = await Promise.all([
    planForValues(tx, customPlan),
    tx<{ id: string; at: string }[]>`select p.id, p.at from ${page} order by p.created_at desc, p.id desc`,
  ]);
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return { ids: kept.map((row) => row.id), nextBefore: rows.length > limit && last ? encodeCursor({ createdAt: last.at, id: last.id }) : null };
}

// ---------------------------------------------------------------------------------------------
// Where a call matched

/** ts_headline's output → fragments: hits between the sentinels, the rest as plain text (never HTML). */
export function fragmentsOf(marked: string): HighlightFragment[] {
  const out: HighlightFragment[] = [];
  let hit = false;
  let text = "";
  const flush = () => {
    if (!text) return;
    const last = out.at(-1);
    if (last && last.hit === hit) last.text += text;
    else out.push({ text, hit });
    text = "";
  };
  for (const ch of marked) {
    if (ch === START || ch === STOP) {
      flush();
      hit = ch === START;
    } else text += ch;
  }
  flush();
  return out;
}

/** The text ts_headline reads, with any sentinel characters of the source removed. */
const cleanText = (tx: Tx, expr: ReturnType<Tx["unsafe"]>) => tx`replace(replace(${expr}, chr(2), ''), chr(3), '')`;

/**
 * A column (for a select over calls `c`): where call `c` matched `q`, as `{ source, language,
 * marked }` JSON: its transcript first, else a translation. For the page's rows only.
 */
export function matchColumn(tx: Tx, { q, view }: { q: string; view: CallView }) {
  return tx`(
    select json_build_object(
      'source', case when a.kind = 'translation' then 'translation' else 'transcript' end,
      'language', a.language,
      'marked', ts_headline(private.search_config(a.language), ${cleanText(tx, tx.unsafe("left(a.body ->> 'text', 200000)"))},
                            websearch_to_tsquery(private.search_config(a.language), ${q}), ${EXCERPT_OPTIONS}))
    from public.call_artifacts a
    where ${readableText(tx, view, { translations: true })} and ${textMatches(tx, q)}
    order by a.kind = 'translation', a.language, a.produced_at desc
    limit 1) as "match"`;
}

export function searchMatch(raw: { source: "transcript" | "translation"; language: string | null; marked: string } | null | undefined): SearchMatch | null {
  return raw ? { source: raw.source, language: raw.language, fragments: fragmentsOf(raw.marked) } : null;
}

/**
 * GET /api/calls/:id/highlights: the utterances of the transcript the caller reads that match
 * `q` (by index in the detail's `transcript.utterances`; when no single utterance holds the
 * whole query, those that hold any of its words), and each translation they may read with its
 * hits marked (no fragments: no match). Null when the organization has no such call.
 * Reading transcripts is required (403 otherwise, as for `q` on the list).
 */
export async function callHighlights(
  tx: Tx,
  { orgId, callId, q, view }: { orgId: string; callId: string; q: string; view: CallView },
): Promise<CallHighlightsResponse | null> {
  needs(view.recordings, "Searching what calls said", "recording.play");
  const [row] = await tx<{ found: boolean; utterances: { index: number; marked: string }[] | null; translations: { language: string; matched: boolean; marked: string }[] | null }[]>`
    select true as found,
      (select json_agg(json_build_object('index', m.i - 1,
                'marked', ts_headline(m.cfg, ${cleanText(tx, tx.unsafe("m.text"))}, m.query, ${WHOLE_OPTIONS})) order by m.i)
       from (
         -- The utterances that hold the whole query; when none does (its words were said in
         -- different utterances), those that hold any of its words.
         select u.i, u.value ->> 'text' as text, t.cfg, case when t.whole then t.full_q else t.any_q end as query
         from (
           select x.*, exists (select 1 from jsonb_array_elements(x.body -> 'utterances') e
                               where to_tsvector(x.cfg, e ->> 'text') @@ x.full_q) as whole
           from (
             select a.body, private.search_config(a.language) as cfg,
                    websearch_to_tsquery(private.search_config(a.language), ${q}) as full_q,
                    replace(plainto_tsquery(private.search_config(a.language), ${q})::text, ' & ', ' | ')::tsquery as any_q
             from public.call_artifacts a
             where ${readableText(tx, view, { translations: false })}
             order by a.kind = 'redacted_transcript' desc, a.produced_at desc, a.id desc limit 1) x) t,
           jsonb_array_elements(t.body -> 'utterances') with ordinality u(value, i)
         where to_tsvector(t.cfg, u.value ->> 'text') @@ (case when t.whole then t.full_q else t.any_q end)) m
      ) as utterances,
      ${view.translations ? tx`(select json_agg(json_build_object('language', a.language,
                'matched', a.search_vector @@ websearch_to_tsquery(private.search_config(a.language), ${q}),
                'marked', ts_headline(private.search_config(a.language), ${cleanText(tx, tx.unsafe("a.body ->> 'text'"))},
                                      websearch_to_tsquery(private.search_config(a.language), ${q}), ${WHOLE_OPTIONS})) order by a.language)
       from public.call_artifacts a
       where a.organization_id = c.organization_id and a.call_id = c.id and a.kind = 'translation'
         and not exists (select 1 from public.call_artifacts s where s.supersedes = a.id))` : tx`null::json`} as translations
    from public.calls c
    where c.organization_id = ${orgId} and c.id = ${callId}`;
  if (!row) return null;
  return {
    utterances: (row.utterances ?? []).map((u) => ({ index: u.index, fragments: fragmentsOf(u.marked) })),
    translations: (row.translations ?? []).map((t) => ({ language: t.language, fragments: t.matched ? fragmentsOf(t.marked) : [] })),
  };
}
