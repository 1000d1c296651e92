import "server-only";
import { type ShopperScript, type Survey, shopperScriptSchema, surveySchema, shopperScriptDocument, surveyDocument, type LibraryKind, type ShopperScriptDraft, type SurveyDraft, type VersionRef } from "@/lib/surveys/documents";
import type { Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import type { LibrarySummary } from "@/lib/surveys/contracts";
import { versionHash } from "@/lib/surveys/hash";
import { isUuid } from "@/lib/pg-safe";

/**
 * The one writer of surveys, survey_versions, shopper_scripts and shopper_script_versions, and
 * their reads. Creating writes the identity row and version 1; editing publishes the next
 * version. Nothing here updates or deletes: the tables refuse it (docs/adr/0014).
 * Callers were authorized (`survey.manage` to write, `survey.read` to read); RLS checks again.
 */

export type VersionOf<K extends LibraryKind> = K extends "survey" ? Survey : ShopperScript;

export interface VersionRecord<K extends LibraryKind> {
  /** The version as a call freezes it: its document with `sha256` beside it. */
  version: VersionOf<K>;
  createdAt: string;
}

interface Row {
  document: Record<string, unknown>;
  sha256: string;
  createdAt: string;
}

function asVersion<K extends LibraryKind>(kind: K, row: Row): VersionOf<K> {
  const schema = kind === "survey" ? surveySchema : shopperScriptSchema;
  return schema.parse({ ...row.document, sha256: row.sha256 }) as VersionOf<K>;
}

function documentFor<K extends LibraryKind>(kind: K, id: string, version: number, draft: SurveyDraft | ShopperScriptDraft) {
  return kind === "survey"
    ? surveyDocument(id, version, draft as SurveyDraft)
    : shopperScriptDocument(id, version, draft as ShopperScriptDraft);
}

const NOUN: Record<LibraryKind, string> = { survey: "survey", shopperScript: "shopper script" };

/** Every survey or script of the organization, each with its latest version. */
export async function listLatest(tx: Tx, kind: LibraryKind, { orgId }: { orgId: string }): Promise<LibrarySummary[]> {
  const rows = kind === "survey"
    ? await tx<LibrarySummary[]>`
        select distinct on (survey_id) survey_id as id, title, version as "latestVersion", sha256,
               to_json(created_at) #>> '{}' as "publishedAt", count(*) over (partition by survey_id)::int as versions
        from public.survey_versions where organization_id = ${orgId}
        order by survey_id, version desc`
    : await tx<LibrarySummary[]>`
        select distinct on (script_id) script_id as id, title, version as "latestVersion", sha256,
               to_json(created_at) #>> '{}' as "publishedAt", count(*) over (partition by script_id)::int as versions
        from public.shopper_script_versions where organization_id = ${orgId}
        order by script_id, version desc`;
  return [...rows].sort((a, b) => a.title.localeCompare(b.title) || a.id.localeCompare(b.id));
}

/** One version; `version` omitted → the latest. Null when this organization has no such version. */
export async function findVersion<K extends LibraryKind>(
  tx: Tx,
  kind: K,
  { orgId, id, version }: { orgId: string; id: string; version?: number },
): Promise<VersionRecord<K> | null> {
  // An id that is not a UUID names nothing (and must not reach a uuid column as a 500).
  if (!isUuid(id) || (version !== undefined && !(Number.isInteger(version) && version >= 1 && version <= 2147483647))) return null;
  const rows = kind === "survey"
    ? await tx<Row[]>`
        select document, sha256, to_json(created_at) #>> '{}' as "createdAt" from public.survey_versions
        where organization_id = ${orgId} and survey_id = ${id} ${version === undefined ? tx`` : tx`and version = ${version}`}
        order by version desc limit 1`
    : await tx<Row[]>`
        select document, sha256, to_json(created_at) #>> '{}' as "createdAt" from public.shopper_script_versions
        where organization_id = ${orgId} and script_id = ${id} ${version === undefined ? tx`` : tx`and version = ${version}`}
        order by version desc limit 1`;
  const row = rows[0];
  return row ? { version: asVersion(kind, row), createdAt: row.createdAt } : null;
}

export async function getVersion<K extends LibraryKind>(
  tx: Tx,
  kind: K,
  params: { orgId: string; id: string; version?: number },
): Promise<VersionRecord<K>> {
  const found = await findVersion(tx, kind, params);
  if (!found) throw new NotFoundError(`No such ${NOUN[kind]}${params.version === undefined ? "" : " version"}.`);
  return found;
}

/** A pinned reference resolved to what a call runs, or null when it names nothing here. */
export async function resolveRef<K extends LibraryKind>(tx: Tx, kind: K, { orgId, ref }: { orgId: string; ref: VersionRef }) {
  return (await findVersion(tx, kind, { orgId, id: ref.id, version: ref.version }))?.version ?? null;
}

async function insertVersion<K extends LibraryKind>(
  tx: Tx,
  kind: K,
  { orgId, userId, id, version, draft }: { orgId: string; userId: string; id: string; version: number; draft: SurveyDraft | ShopperScriptDraft },
): Promise<VersionRecord<K>> {
  const document = documentFor(kind, id, version, draft);
  const sha256 = versionHash(document);
  const json = tx.json(document as never);
  // A concurrent publish of the same next version loses on the primary key: nothing is written.
  const rows = kind === "survey"
    ? await tx<{ createdAt: string }[]>`
        insert into public.survey_versions (organization_id, survey_id, version, title, document, sha256, created_by)
        values (${orgId}, ${id}, ${version}, ${document.title}, ${json}, ${sha256}, ${userId})
        on conflict do nothing returning to_json(created_at) #>> '{}' as "createdAt"`
    : await tx<{ createdAt: string }[]>`
        insert into public.shopper_script_versions (organization_id, script_id, version, title, document, sha256, created_by)
        values (${orgId}, ${id}, ${version}, ${document.title}, ${json}, ${sha256}, ${userId})
        on conflict do nothing returning to_json(created_at) #>> '{}' as "createdAt"`;
  if (!rows[0]) throw staleEdit(kind, version - 1);
  return { version: asVersion(kind, { document, sha256, createdAt: rows[0].createdAt }), createdAt: rows[0].createdAt };
}

function staleEdit(kind: LibraryKind, basedOn: number): ConflictError {
  return new ConflictError(
    `This ${NOUN[kind]} has a version newer than ${basedOn}: someone published meanwhile. Reload it and edit the latest version.`,
    "version_conflict",
  );
}

/** A new survey or script: its identity and version 1. */
export async function createWithFirstVersion<K extends LibraryKind>(
  tx: Tx,
  kind: K,
  { orgId, userId, draft }: { orgId: string; userId: string; draft: SurveyDraft | ShopperScriptDraft },
): Promise<VersionRecord<K>> {
  const [identity] = kind === "survey"
    ? await tx<{ id: string }[]>`insert into public.surveys (organization_id, created_by) values (${orgId}, ${userId}) returning id`
    : await tx<{ id: string }[]>`insert into public.shopper_scripts (organization_id, created_by) values (${orgId}, ${userId}) returning id`;
  return insertVersion(tx, kind, { orgId, userId, id: identity!.id, version: 1, draft });
}

/**
 * Editing: publish `basedOn + 1`. `basedOn` is the version the editor started from; if someone
 * published after it, the edit is refused (409) rather than silently replacing their version
 * as "latest". Another organization's id is 404.
 */
export async function publishNextVersion<K extends LibraryKind>(
  tx: Tx,
  kind: K,
  { orgId, userId, id, basedOn, draft }: { orgId: string; userId: string; id: string; basedOn: number; draft: SurveyDraft | ShopperScriptDraft },
): Promise<VersionRecord<K>> {
  const latest = await findVersion(tx, kind, { orgId, id });
  if (!latest) throw new NotFoundError(`No such ${NOUN[kind]}.`);
  if (latest.version.version !== basedOn) throw staleEdit(kind, basedOn);
  return insertVersion(tx, kind, { orgId, userId, id, version: basedOn + 1, draft });
}
