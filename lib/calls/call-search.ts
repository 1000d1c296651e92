import "server-only";
import { splitPairFilter, type AnswerValue, type CallFilter, type CallHighlightsResponse, type CriterionOutcome, HighlightFragment, MatchEstimate, SearchMatch } from "@/lib/calls/contracts";
import type { CallView } from "@/lib/calls/call-view";
import type { Tx } from "@/lib/db";
import { ForbiddenError, UnprocessableError, ValidationError } from "@/lib/errors";
import { POLICY, type Action } from "@/lib/rbac/policy";
import { numberHash } from "@/lib/pii/numbers";

/**
 * Finding calls: the call list's filters, full-text search over what calls said, and the
 * keyset page both the list (`listCalls`) and the bulk evidence export (`listCallIds`) walk.
 * Run as the member (RLS on), so artifacts their role or plan may not read never match; on
 * top of RLS, search reads only the transcript the caller would be shown (the redacted one
 * where the call redacted PII, unless an owner or admin asked for the original) and
 * translations only with `translation.read`. Decisions in docs/adr/0018.
 *
 * Order: (created_at, id) descending within the organization, the list's order; the cursor is
 * the list's opaque `before`. A filtered page costs what the page costs, not what the
 * organization holds (docs/adr/0030): common filters walk the newest calls and test each one,
 * rare ones read their indexes (supabase/migrations/20261130060100_*, 20261206001000_*,
 * 20261206001100_*), and the first page says about how many calls match.
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
  /** Whether few calls of the organization are in `statuses` (findCallPage counts them): then they are read by index. */
  statusesFew: boolean;
  flow: string | null;
  from: string | null;
  /** created_at < this (a bare date's next midnight) or <= this (a date-time). */
  to: { at: string; inclusive: boolean } | null;
  has: Set<string>;
  scoreMin: number | null;
  scoreMax: number | null;
  script: string | null;
  survey: string | null;
  campaign: string | null;
  /** The number called is a saved target carrying this tag (`tag=`). */
  tag: string | null;
  /** The current score judged this criterion so (`criterion=`). */
  criterion: { id: string; outcome: CriterionOutcome } | null;
  /** The survey answer to this question was this value (`answer=`). */
  answer: { questionId: string; value: AnswerValue } | null;
  /** Digits only; null when the filter had none. */
  number: string | null;
  /**
   * The keyed hash of the whole number the digits spell (`+` and them), for a member who sees
   * numbers and typed at least WHOLE_NUMBER_DIGITS: numbers are stored sealed (docs/adr/0044), so
   * they are found by the whole number's hash, not by a part of them. Null otherwise: then the
   * digits match what the mask shows, as for viewers. Set by findCallPage (hashing reads the key).
   */
  wholeNumber: string | null;
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
  if (f.criterion !== undefined) needs(view.surveys, "Filtering by a rubric criterion", "survey.read");
  if (f.answer !== undefined) needs(view.surveys, "Filtering by a survey answer", "survey.read");
  const criterion = f.criterion === undefined ? null : splitPairFilter(f.criterion);
  const answer = f.answer === undefined ? null : splitPairFilter(f.answer);

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
    statusesFew: false,
    flow: f.flow ?? null,
    from,
    to,
    has,
    scoreMin: f.scoreMin ?? null,
    scoreMax: f.scoreMax ?? null,
    script: f.script ?? null,
    survey: f.survey ?? null,
    campaign: f.campaign ?? null,
    tag: f.tag ?? null,
    criterion: criterion && { id: criterion.id, outcome: criterion.value as CriterionOutcome },
    answer: answer && { questionId: answer.id, value: answer.value as AnswerValue },
    number: digits || null,
    wholeNumber: null,
    q,
  };
}

/** Whether any filter narrows the list (the unfiltered list keeps its cached plan). */
function narrows(r: Resolved): boolean {
  return Boolean(r.statuses || r.flow || r.from || r.to || r.has.size || r.scoreMin !== null || r.scoreMax !== null || r.script || r.survey || r.campaign || r.tag || r.criterion || r.answer || r.number || r.q);
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

/**
 * Whether artifact `a` matches `q` in the configuration of its own language (docs/adr/0018):
 * `q` parsed in every configuration once per statement (an InitPlan), and each artifact tested
 * against the one of its language, not parsed again for each artifact.
 */
function textMatches(tx: Tx, q: string) {
  return tx`a.search_vector @@ (select private.search_queries(${q}))[array_position(private.search_configs(), private.search_config(a.language))]`;
}

/** What a masked number shows (maskNumber, kept beside the sealed number): the country code and the last two digits, as two groups. */
function visibleDigits(tx: Tx, column: "to_number_mask" | "from_number_mask") {
  return tx.unsafe(`regexp_replace(c.${column}, '^\\+([0-9]+)[^0-9]*([0-9]*)$', '\\1 \\2')`);
}

/** The fewest digits searched as a whole number (E.164 numbers have 8 to 15 with the country code). */
export const WHOLE_NUMBER_DIGITS = 8;

/** Calls from or to the number whose hash this is: both hash columns are indexed, and text `=` is leakproof, so under RLS too. */
const numberHashTest = (tx: Tx, alias: string, hash: string) =>
  tx`(${tx.unsafe(alias)}.to_number_hash = ${hash} or ${tx.unsafe(alias)}.from_number_hash = ${hash})`;

/** The calls a page is taken from, in page order: the organization, below the cursor, within the dates. */
function domain(tx: Tx, orgId: string, r: Resolved, cursor: CallCursor | null) {
  const parts = [tx`c.organization_id = ${orgId}`];
  if (cursor) parts.push(tx`(c.created_at, c.id) < (${cursor.at}::text::timestamptz, ${cursor.id}::uuid)`);
  if (r.from) parts.push(tx`c.created_at >= ${r.from}::timestamptz`);
  if (r.to) parts.push(r.to.inclusive ? tx`c.created_at <= ${r.to.at}::timestamptz` : tx`c.created_at < ${r.to.at}::timestamptz`);
  return parts.reduce((all, part) => tx`${all} and ${part}`);
}

/**
 * Ends each probe of a call's own rows: `offset 0` keeps Postgres from turning the probe into a
 * join or a hashed subplan over every such row of the organization (it would, for a walk it
 * expects to be long), so a walk tests one call at a time and stops with the page.
 */
const probeEnd = (tx: Tx) => tx`offset 0`;

/** Score bounds as the fractions artifacts store. */
const scoreBound = (percent: number | null) => (percent === null ? null : (percent / 100).toFixed(2));

/**
 * The filters a call of the domain must pass, each a test of call `c`. `walk`: tests of the
 * call itself and probes of its own artifacts, cheap per call, for a walk in page order that
 * stops when the page is full. `index`: text, score, number and few-status searches answered by their
 * indexes through the `security definer` functions (every match in the organization at once),
 * for filters too rare to walk to (docs/adr/0030). Both apply the same visibility.
 */
function tests(tx: Tx, orgId: string, r: Resolved, view: CallView, mode: TestMode) {
  const parts = [];
  // `index`: the searches read by index (readByIndex) joined to the calls they name, the rest
  // tested per call; `others`: those searches are tested apart, only the rest here.
  const read = mode === "index" || mode === "others" ? readsOf(r) : { q: false, score: false, number: false, status: false };
  const matches = (fn: ReturnType<Tx["unsafe"]>) => tx`c.id in (select f.id from ${fn} as f(id))`;
  const byIndex = (search: keyof Reads) => mode === "index" && read[search];
  const skip = (search: keyof Reads) => mode === "others" && read[search];
  // Cheap tests of the row first: `and` stops at the first that fails.
  if (r.statuses && byIndex("status")) parts.push(matches(tx`private.status_call_ids(${orgId}, ${r.statuses}::text[])`));
  else if (r.statuses && !skip("status")) parts.push(tx`c.status in ${tx(r.statuses)}`);
  if (r.flow) parts.push(tx`c.flow = ${r.flow}`);
  // Generated copies of the snapshot's ids: text `=` is leakproof, so their indexes serve under RLS.
  if (r.script) parts.push(tx`c.snapshot_script_id = ${r.script}`);
  if (r.survey) parts.push(tx`c.snapshot_survey_id = ${r.survey}`);
  // uuid `=` is leakproof too: calls_org_campaign_created_idx serves it under RLS.
  if (r.campaign) parts.push(tx`c.campaign_id = ${r.campaign}::uuid`);
  if (r.number) {
    // Members who see numbers find a whole number by its hash (by index, or per call on a
    // walk); any other search matches only what the masked form shows, so no search can probe
    // hidden digits (a viewer is never given the hash search).
    if (!r.wholeNumber) parts.push(tx`strpos(${visibleDigits(tx, "to_number_mask")} || ' | ' || ${visibleDigits(tx, "from_number_mask")}, ${r.number}) > 0`);
    else if (byIndex("number")) parts.push(tx`c.id in (select n.id from public.calls n where n.organization_id = ${orgId} and ${numberHashTest(tx, "n", r.wholeNumber)})`);
    else if (!skip("number")) parts.push(numberHashTest(tx, "c", r.wholeNumber));
  }
  if (r.has.has("recording")) {
    parts.push(tx`exists (select 1 from public.recordings r where r.organization_id = c.organization_id and r.call_id = c.id and r.status = 'stored' ${probeEnd(tx)})`);
  }
  if (r.has.has("transcript")) {
    parts.push(tx`exists (select 1 from public.call_artifacts a where ${readableText(tx, view, { translations: false })} ${probeEnd(tx)})`);
  }
  if (r.has.has("translation")) {
    parts.push(tx`exists (select 1 from public.call_artifacts a
      where a.organization_id = c.organization_id and a.call_id = c.id and a.kind = 'translation' ${probeEnd(tx)})`);
  }
  if ((r.scoreMin !== null || r.scoreMax !== null) && !skip("score")) {
    const [min, max] = [scoreBound(r.scoreMin), scoreBound(r.scoreMax)];
    parts.push(byIndex("score")
      ? matches(tx`private.score_range_call_ids(${orgId}, ${min}::numeric, ${max}::numeric)`)
      : tx`exists (select 1 from public.call_artifacts a
          where a.organization_id = c.organization_id and a.call_id = c.id and a.kind = 'score'
            ${min !== null ? tx`and (a.body ->> 'score')::numeric >= ${min}::numeric` : tx``}
            ${max !== null ? tx`and (a.body ->> 'score')::numeric <= ${max}::numeric` : tx``}
            and not exists (select 1 from public.call_artifacts s where s.supersedes = a.id) ${probeEnd(tx)})`);
  }
  if (r.tag) parts.push(tagProbe(tx, r.tag));
  if (r.criterion) parts.push(criterionProbe(tx, r.criterion));
  if (r.answer) parts.push(answerProbe(tx, r.answer));
  if (r.q && !skip("q")) {
    // Walking, the call's own readable artifacts (RLS on), or the walk's column `q_said` that
    // already holds that test; by index, through the function: under RLS the GIN index could
    // not serve `@@` (docs/adr/0018).
    parts.push(byIndex("q") ? matches(tx`private.text_search_call_ids(${orgId}, ${r.q}, ${view.original})`)
      : mode === "walk, q already tested" ? tx`c.q_said`
      : textProbe(tx, r.q, view));
  }
  return parts.length ? parts.reduce((all, part) => tx`${all} and ${part}`) : tx`true`;
}

/**
 * Whether the number call `c` dialled is a saved target (of its organization, one per number)
 * carrying the tag: one look-up by the targets' (organization, number) key, under the member's
 * RLS like every probe, so a tag shows only the calls the member may list anyway.
 */
function tagProbe(tx: Tx, tag: string) {
  return tx`exists (select 1 from public.voice_targets t
    where t.organization_id = c.organization_id and t.number_hash = c.to_number_hash and t.tags @> array[${tag}]::text[] ${probeEnd(tx)})`;
}

/**
 * Whether call `c`'s current (not superseded) score judged the criterion so: a probe of the
 * call's own score artifacts (RLS: survey.read), with jsonb containment on its `criteria[]`.
 * lib/insights counts criteria with the same test, so a bar's count is the list's.
 */
function criterionProbe(tx: Tx, { id, outcome }: { id: string; outcome: CriterionOutcome }) {
  return tx`exists (select 1 from public.call_artifacts a
    where a.organization_id = c.organization_id and a.call_id = c.id and a.kind = 'score'
      and a.body -> 'criteria' @> ${tx.json([{ criterionId: id, outcome }] as never)}::jsonb
      and not exists (select 1 from public.call_artifacts s where s.supersedes = a.id) ${probeEnd(tx)})`;
}

/**
 * Whether call `c`'s answer to the question was the value: a keypad digit (answers stored
 * before answers had a source are keypad digits or `invalid`), `invalid`, or any spoken answer
 * (`speech`). RLS: survey.read.
 */
function answerProbe(tx: Tx, { questionId, value }: { questionId: string; value: AnswerValue }) {
  const test = value === "speech" ? tx`sa.source = 'speech'`
    : value === "invalid" ? tx`sa.answer = 'invalid' and sa.source is distinct from 'speech'`
    : tx`sa.answer = ${value} and sa.source is distinct from 'speech'`;
  return tx`exists (select 1 from public.survey_answers sa
    where sa.organization_id = c.organization_id and sa.call_id = c.id and sa.question_id = ${questionId} and ${test} ${probeEnd(tx)})`;
}

type TestMode = "walk" | "walk, q already tested" | "index" | "others";

/** Whether call `c` said `q` in an artifact the caller reads (RLS on): a probe of call_artifacts_call_idx. */
function textProbe(tx: Tx, q: string, view: CallView) {
  return tx`exists (select 1 from public.call_artifacts a where ${readableText(tx, view, { translations: true })} and ${textMatches(tx, q)} ${probeEnd(tx)})`;
}

/** Whether the index mode reads an index the walk does not (text, score, whole-number or few-status search). */
function indexed(r: Resolved): boolean {
  return Boolean(r.q || r.scoreMin !== null || r.scoreMax !== null || r.wholeNumber || r.statusesFew);
}

interface Reads {
  q: boolean;
  score: boolean;
  number: boolean;
  status: boolean;
}

/**
 * Which searches the index read answers from their indexes: the score range, the whole-number
 * search and statuses few calls are in, when asked (their matches are few: a few scores per
 * hundred calls, a number's calls, fewer than STATUS_FEW calls), else the text. A text search
 * beside them is tested on their matches one call at a time rather than read whole: a common
 * word can match a fifth of the organization.
 */
function readsOf(r: Resolved): Reads {
  const score = r.scoreMin !== null || r.scoreMax !== null;
  const number = Boolean(r.wholeNumber);
  const status = r.statusesFew;
  return { q: Boolean(r.q) && !score && !number && !status, score, number, status };
}

/** Whether the searches read by index are the whole filter (no dates, nothing else to test): then their matches are the matches. */
function onlyIndexed(r: Resolved): boolean {
  const read = readsOf(r);
  return !(r.from || r.to || (r.statuses && !read.status) || r.flow || r.script || r.survey || r.campaign || r.tag || r.criterion || r.answer || r.has.size || (r.number && !r.wholeNumber) || (r.q && !read.q));
}

/** The matches of the searches read by index in the organization, as one set of call ids (their intersection). */
function indexedMatches(tx: Tx, orgId: string, r: Resolved, view: CallView) {
  const read = readsOf(r);
  const sets = [];
  if (read.q) sets.push(tx`select f.id from private.text_search_call_ids(${orgId}, ${r.q}, ${view.original}) as f(id)`);
  if (read.score) {
    sets.push(tx`select f.id from private.score_range_call_ids(${orgId}, ${scoreBound(r.scoreMin)}::numeric, ${scoreBound(r.scoreMax)}::numeric) as f(id)`);
  }
  if (read.number) sets.push(tx`select n.id from public.calls n where n.organization_id = ${orgId} and ${numberHashTest(tx, "n", r.wholeNumber!)}`);
  if (read.status) sets.push(tx`select f.id from private.status_call_ids(${orgId}, ${r.statuses}::text[]) as f(id)`);
  return sets.reduce((all, set) => tx`${all} intersect ${set}`);
}

/**
 * How many calls a filtered list first tests one by one, newest first, before it weighs walking
 * on against reading the indexes: enough to fill a page with a filter that one call in ten
 * passes, for a few milliseconds (docs/adr/0030).
 */
export const WALK_BUDGET = 500;
/** The most calls a second walk may test before the rest of the page is read by index. */
const MAX_WALK = 50_000;
/**
 * Statuses fewer calls than this are in are read by index (private.status_call_ids), not walked
 * to: a walk tests about limit × (calls ÷ matches) calls, a read about the matches, and below
 * this a million-call organization's page is cheaper read (counting to it reads only the index).
 */
export const STATUS_FEW = 5_000;

export interface CallSearchParams {
  orgId: string;
  filter?: CallFilter;
  view: CallView;
  /** The list's `before` cursor: calls strictly older than it. */
  before?: string;
  limit: number;
  /** Calls the first walk may test (WALK_BUDGET; tests make it small). */
  budget?: number;
  /** Below how many calls a status filter is read by index (STATUS_FEW; tests change it). */
  statusFew?: number;
  /**
   * After the first walk: walk on, or read the indexes and look each match up, or check the
   * calls against the matches as a set (default: whichever costs least; tests force each).
   */
  rest?: "walk" | "look up" | "set";
}

/** How a page was found: the unfiltered index, a walk that sufficed, or a walk and then the rest by index or by walking on. */
export type PagePath = "unfiltered" | "walk" | "walk, then index" | "walk, then walk on";

interface PageRow {
  id: string;
  /** created_at as the API prints it (the cursor's). */
  at: string;
  hit: boolean;
  /** On a walk, the call's place in it (1 = the newest it tested). */
  rn: number | null;
}

/** One statement's page `p(id, created_at, at, hit, rn, …)` joined back to the calls for `columns` (the page's rows only). */
function withColumns(tx: Tx, orgId: string, page: ReturnType<Tx["unsafe"]>, columns: ReturnType<Tx["unsafe"]> | null) {
  return columns
    ? tx`select ${columns}, p.* from ${page}
         join public.calls c on c.organization_id = ${orgId} and c.id = p.id
         order by p.created_at desc, p.id desc`
    : tx`select p.* from ${page} order by p.created_at desc, p.id desc`;
}

/**
 * Plan each of the search's statements once per connection and reuse the plan (postgres.js
 * prepares every statement): which way a page is found is decided here, in code, from what the
 * walk saw, so no statement's best plan depends on its values, and planning them for each
 * request (with RLS, a few milliseconds) would be most of a walk's cost. Issued beside the first
 * statement (pipelined: no extra round trip); it lasts until the transaction ends.
 */
async function planOnce(tx: Tx): Promise<void> {
  await tx`select set_config('plan_cache_mode', 'force_generic_plan', true)`;
}

/**
 * The organization's calls, in all and in the filter's dates, from the daily counts (whole
 * days: the scale of an estimate, not a count).
 */
async function callCounts(tx: Tx, orgId: string, r: Resolved): Promise<{ total: number; inRange: number }> {
  const to = r.to ? (r.to.inclusive ? tx`${r.to.at}::timestamptz` : tx`(${r.to.at}::timestamptz - interval '1 microsecond')`) : null;
  const inRange = [
    ...(r.from ? [tx`k.day >= (${r.from}::timestamptz at time zone 'UTC')::date`] : []),
    ...(to ? [tx`k.day <= (${to} at time zone 'UTC')::date`] : []),
  ];
  const [row] = await tx<{ total: number; inRange: number }[]>`
    select coalesce(sum(k.calls), 0)::int as total,
           coalesce(sum(k.calls) ${inRange.length ? tx`filter (where ${inRange.reduce((all, part) => tx`${all} and ${part}`)})` : tx``}, 0)::int as "inRange"
    from public.call_counts k where k.organization_id = ${orgId}`;
  return row ?? { total: 0, inRange: 0 };
}

/** How many of the organization's calls are in `statuses`, counted up to `cap` (its index only). */
async function statusCount(tx: Tx, orgId: string, statuses: string[], cap: number): Promise<number> {
  const [row] = await tx<{ n: number }[]>`select private.status_call_count(${orgId}, ${statuses}::text[], ${cap}) as n`;
  return row?.n ?? 0;
}

/**
 * One page of matching calls, newest first, `limit + 1` rows at most (the extra one says whether
 * there is a next page), each with `columns` (a select list over the joined call `c`; none: ids
 * only). Unfiltered, the page is read off `calls_org_created_idx`. Filtered (docs/adr/0030):
 *
 * 1. a walk: the newest `budget` calls of the domain (the organization, below the cursor, within
 *    the dates), each tested in turn (`tests(…, "walk")`), stopping as soon as the page is full:
 *    a filter that one call in k passes costs about k × limit tests, whatever the organization's size;
 * 2. if the budget ran out first, what the walk saw prices the two ways to the rest of the page:
 *    walking on tests about (calls still wanted) ÷ (share of walked calls that passed) calls; the
 *    indexes read every match of the text, score or number search in the organization (for text,
 *    the share of walked calls that said the words times the organization's calls; scores and
 *    whole numbers are few). The cheaper one finds the rest below the last call walked; a second
 *    walk is bounded too (MAX_WALK), and after it the indexes finish the page when they can.
 *
 * With `estimate` (a filtered first page) it also says about how many calls match: exactly when
 * the walk saw the whole domain or the indexes found every match; otherwise the share of the
 * walked calls that matched, times the calls in the date range (public.call_counts).
 */
export async function findCallPage<T extends object>(
  tx: Tx,
  { orgId, filter, view, before, limit, budget = WALK_BUDGET, statusFew = STATUS_FEW, rest: restBy }: CallSearchParams,
  { columns = null, estimate = false }: { columns?: ReturnType<Tx["unsafe"]> | null; estimate?: boolean } = {},
): Promise<{ resolved: Resolved; rows: (T & PageRow)[]; matches: MatchEstimate | null; path: PagePath }> {
  const r = checkCallFilter(filter, view);
  if (r.number && view.numbers && r.number.length >= WHOLE_NUMBER_DIGITS) r.wholeNumber = await numberHash(orgId, `+${r.number}`);
  const cursor = before ? decodeCursor(before) : null;
  if (!Number.isInteger(budget) || budget < 1) throw new RangeError(`budget must be a positive integer, not ${budget}`);

  if (!narrows(r)) {
    // The unfiltered list keeps its cached plan: one index read backwards.
    const page = tx`(select c.id, c.created_at, to_json(c.created_at) #>> '{}' as at, true as hit, null::int as rn
      from public.calls c where ${domain(tx, orgId, r, cursor)}
      order by c.created_at desc, c.id desc limit ${limit + 1}) p`;
    return { resolved: r, rows: await tx<(T & PageRow)[]>`${withColumns(tx, orgId, page, columns)}`, matches: null, path: "unfiltered" };
  }

  const wantEstimate = estimate && !cursor;
  const rows: (T & PageRow)[] = [];
  let [tested, said, from] = [0, 0, cursor];
  // The share of the calls walked that matched, times the calls in the date range.
  const estimated = (walkedHits: number, inRange: number): MatchEstimate | null =>
    !wantEstimate ? null : { about: Math.max(rows.length, Math.round((walkedHits / Math.max(tested, 1)) * inRange)), exact: false };
  const exactly = (): MatchEstimate | null => (wantEstimate ? { about: rows.length, exact: true } : null);

  // 1. The first walk, with the organization's call counts and, for a status filter, how many
  // calls are in those statuses (up to statusFew) beside it (one round trip).
  const [, first, counted, inStatuses] = await Promise.all([
    planOnce(tx),
    walkOnce<T>(tx, { orgId, r, view, from, budget, limit, columns, measure: true }),
    callCounts(tx, orgId, r),
    r.statuses ? statusCount(tx, orgId, r.statuses, statusFew) : null,
  ]);
  r.statusesFew = inStatuses !== null && inStatuses < statusFew;
  let walked = first;
  for (let stage = 1; ; stage++) {
    rows.push(...walked.hits);
    tested += walked.tested;
    said += walked.said;
    const path = stage === 1 ? "walk" : "walk, then walk on";
    if (rows.length > limit) return { resolved: r, rows, matches: estimated(rows.length, counted.inRange), path };
    // The domain ended before the budget: every call of it was tested.
    if (!walked.last) return { resolved: r, rows, matches: exactly(), path };
    from = { at: walked.last.at, id: walked.last.id };

    // 2. The rest of the page, below the last call walked.
    const wanted = limit + 1 - rows.length;
    // Calls a walk would test to fill the page, and index matches a read would fetch: for text,
    // the share of walked calls that said the words times the organization's calls; scores and
    // whole numbers, about as many as passed the walk (a walked call costs about two matches read).
    const toWalk = (wanted * tested) / (rows.length + 1);
    const textRead = readsOf(r).q;
    const matchesExpected = r.statusesFew ? inStatuses! : ((textRead ? said : rows.length) + 0.5) / tested * counted.total;
    const byIndex = indexed(r) && (restBy ? restBy !== "walk" : (textRead ? matchesExpected : 0) <= 2 * toWalk || stage > 1);
    if (byIndex) {
      // Many matches: check the calls in page order against their set (it stops with the page,
      // after about wanted × calls ÷ matches index entries); few: look each one up and sort them.
      const hashed = restBy ? restBy === "set" : matchesExpected * matchesExpected > (wanted * counted.inRange) / 25;
      const more = await readByIndex<T>(tx, { orgId, r, view, cursor, from, wanted, columns, count: wantEstimate, hashed });
      rows.push(...more.rows);
      return {
        resolved: r, rows, path: "walk, then index",
        matches: !wantEstimate ? null
          : more.total !== null ? { about: more.total, exact: true }
          : more.rows.length < wanted ? { about: rows.length, exact: true }
          : estimated(rows.length - more.rows.length, counted.inRange),
      };
    }
    if (stage > 1) {
      // No index serves these filters: walk on to the end of the page.
      const walkedHits = rows.length;
      const more = await walkOn<T>(tx, { orgId, r, view, from, wanted, columns });
      rows.push(...more);
      return { resolved: r, rows, path, matches: more.length < wanted ? exactly() : estimated(walkedHits, counted.inRange) };
    }
    const next = Math.min(MAX_WALK, Math.max(budget, Math.ceil(4 * toWalk)));
    walked = await walkOnce<T>(tx, { orgId, r, view, from, budget: next, limit: wanted - 1, columns, measure: false });
  }
}

interface WalkParams {
  orgId: string;
  r: Resolved;
  view: CallView;
  /** Calls strictly older than this. */
  from: CallCursor | null;
  columns: ReturnType<Tx["unsafe"]> | null;
}

/**
 * Test the newest `budget` calls of the domain below `from` in turn, stopping at `limit + 1`
 * hits. Returns the hits, the call at the budget (whether it passed or not) when the walk got
 * that far, and, with `measure` and `q`, how many of the calls tested said `q`: whether a call
 * said it is then a column of its own, tested on every call walked, so that the walk also
 * measures how common the words are (a running count rides along to the last row returned).
 */
async function walkOnce<T extends object>(
  tx: Tx,
  { orgId, r, view, from, budget, limit, columns, measure }: WalkParams & { budget: number; limit: number; measure: boolean },
): Promise<{ hits: (T & PageRow)[]; last: (T & PageRow) | undefined; tested: number; said: number }> {
  const measuring = Boolean(measure && r.q);
  const walk = tx`(
    select w.id, w.created_at, w.at, w.hit, w.rn, w.said from (
      select c.id, c.created_at, to_json(c.created_at) #>> '{}' as at, c.rn, c.said,
             (${tests(tx, orgId, r, view, measuring ? "walk, q already tested" : "walk")}) as hit
      from (
        select c.*, (row_number() over w)::int as rn,
               ${measuring ? tx`(count(*) filter (where c.q_said) over w)::int` : tx`0`} as said
        from (
          select c.*, ${measuring ? textProbe(tx, r.q!, view) : tx`null::boolean`} as q_said
          from (select * from public.calls c where ${domain(tx, orgId, r, from)} order by c.created_at desc, c.id desc limit ${budget}) c
          -- Its own level (offset 0), so the probe runs once per call, not once for the count
          -- and once for the test; in order, so nothing above needs a sort (which would test
          -- the whole budget before the first row).
          order by c.created_at desc, c.id desc
          offset 0
        ) c
        window w as (order by c.created_at desc, c.id desc rows between unbounded preceding and current row)
      ) c
    ) w
    where w.hit or w.rn = ${budget}
    order by w.created_at desc, w.id desc
    limit ${limit + 2}) p`;
  const rows = await tx<(T & PageRow & { said: number })[]>`${withColumns(tx, orgId, walk, columns)}`;
  const hits = rows.filter((row) => row.hit).slice(0, limit + 1);
  const last = rows.find((row) => row.rn === budget);
  const end = hits.length > limit ? hits.at(-1) : (last ?? rows.at(-1));
  return { hits, last: hits.length > limit ? undefined : last, tested: end?.rn ?? 0, said: end?.said ?? 0 };
}

/** The rest of the page by walking on, with no budget (filters no index serves). */
async function walkOn<T extends object>(tx: Tx, { orgId, r, view, from, wanted, columns }: WalkParams & { wanted: number }): Promise<(T & PageRow)[]> {
  const page = tx`(
    select c.id, c.created_at, to_json(c.created_at) #>> '{}' as at, true as hit, null::int as rn
    from public.calls c
    where ${domain(tx, orgId, r, from)} and ${tests(tx, orgId, r, view, "walk")}
    order by c.created_at desc, c.id desc
    limit ${wanted}) p`;
  return tx<(T & PageRow)[]>`${withColumns(tx, orgId, page, columns)}`;
}

/**
 * The rest of the page from the indexes, below `from`: the calls the text, score, number and few-status
 * searches match in the organization, tested against the other filters. `hashed` (many
 * matches): the matches as one set, and the calls checked against it in page order, which stops
 * with the page; otherwise (few) each match looked
 * up by id and the lot sorted. With `count`, how many calls match in the whole domain when that
 * costs no more than the page: the matches are read whole either way, so counted exactly when
 * they were looked up, or when nothing but the indexed searches filters; null otherwise (the
 * caller estimates, or counts the walk's hits when nothing was found below it).
 */
async function readByIndex<T extends object>(
  tx: Tx,
  { orgId, r, view, cursor, from, wanted, columns, count, hashed }: WalkParams & { cursor: CallCursor | null; wanted: number; count: boolean; hashed: boolean },
): Promise<{ rows: (T & PageRow)[]; total: number | null }> {
  if (hashed) {
    const total = count && onlyIndexed(r);
    const page = tx`(
      with s as materialized (${indexedMatches(tx, orgId, r, view)})
      select c.id, c.created_at, to_json(c.created_at) #>> '{}' as at, true as hit, null::int as rn
        ${total ? tx`, (select count(*)::int from s) as total` : tx``}
      from public.calls c
      -- "is true": a test of each call against the set (hashed), not a join Postgres would
      -- turn it into and then sort.
      where ${domain(tx, orgId, r, from)} and (c.id in (select s.id from s)) is true and ${tests(tx, orgId, r, view, "others")}
      order by c.created_at desc, c.id desc
      limit ${wanted}) p`;
    const rows = await tx<(T & PageRow & { total?: number })[]>`${withColumns(tx, orgId, page, columns)}`;
    return { rows, total: total ? (rows[0]?.total ?? null) : null };
  }
  const below = tx`(c.created_at, c.id) < (${from!.at}::text::timestamptz, ${from!.id}::uuid)`;
  const page = tx`(
    with m as materialized (
      select c.id, c.created_at from public.calls c
      where ${domain(tx, orgId, r, count ? cursor : from)} and ${tests(tx, orgId, r, view, "index")})
    select c.id, c.created_at, to_json(c.created_at) #>> '{}' as at, true as hit, null::int as rn, (select count(*)::int from m) as total
    from m c
    where ${below}
    order by c.created_at desc, c.id desc
    limit ${wanted}) p`;
  const rows = await tx<(T & PageRow & { total: number })[]>`${withColumns(tx, orgId, page, columns)}`;
  return { rows, total: count ? (rows[0]?.total ?? null) : null };
}

/**
 * Every call id matching a filter, in the list's order, a page at a time (the bulk evidence
 * export walks it): pass `nextBefore` back as `before` until it is null. Same checks and
 * visibility as the list (403/422 from `checkCallFilter`).
 */
export async function listCallIds(tx: Tx, params: CallSearchParams): Promise<{ ids: string[]; nextBefore: string | null }> {
  const { rows } = await findCallPage(tx, params);
  const kept = rows.slice(0, params.limit);
  const last = kept.at(-1);
  return { ids: kept.map((row) => row.id), nextBefore: rows.length > params.limit && last ? encodeCursor({ createdAt: last.at, id: last.id }) : null };
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
