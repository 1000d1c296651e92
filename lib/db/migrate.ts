import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Sql } from "@/lib/db/client";

/**
 * Applies `supabase/local/*.sql` (only on plain Postgres: what hosted Supabase already has) and
 * then `supabase/migrations/*.sql`, each file once, in name order, each in its own transaction.
 * What was applied is recorded with the file's SHA-256; a file that changed after it was applied
 * is refused by name, because the database no longer matches what the file says.
 * On hosted Supabase the same migrations go in with `supabase db push` instead.
 */

export type MigrationSource = "local" | "migrations";

export interface MigrationFile {
  source: MigrationSource;
  name: string;
  sha256: string;
  sql: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  changed: string[];
}

export class MigrationChangedError extends Error {
  override name = "MigrationChangedError";
}

const LOCK_KEY = 7_463_501; // any constant; only migration runners take it

function supabaseDir(root = process.cwd()): string {
  return path.join(root, "supabase");
}

export async function readMigrationFiles(source: MigrationSource, root = process.cwd()): Promise<MigrationFile[]> {
  const dir = path.join(supabaseDir(root), source);
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(path.join(dir, name), "utf8");
      return { source, name, sql: text, sha256: createHash("sha256").update(text).digest("hex") };
    }),
  );
}

async function isHostedSupabase(db: Sql): Promise<boolean> {
  const [row] = await db`select exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') as hosted`;
  return Boolean(row?.hosted);
}

async function ensureLedger(db: Sql): Promise<void> {
  await db`create schema if not exists _verbatim`;
  await db`
    create table if not exists _verbatim.applied_migrations (
      source text not null,
      name text not null,
      sha256 text not null,
      applied_at timestamptz not null default now(),
      primary key (source, name)
    )`;
}

async function appliedMap(db: Sql): Promise<Map<string, string>> {
  const rows = await db<{ source: string; name: string; sha256: string }[]>`
    select source, name, sha256 from _verbatim.applied_migrations`;
  return new Map(rows.map((r) => [`${r.source}/${r.name}`, r.sha256]));
}

async function filesFor(db: Sql, root: string): Promise<MigrationFile[]> {
  const local = (await isHostedSupabase(db)) ? [] : await readMigrationFiles("local", root);
  return [...local, ...(await readMigrationFiles("migrations", root))];
}

/** Apply everything pending. Returns the names applied in this run. */
export async function migrate(db: Sql, { root = process.cwd(), log = (_: string) => {} } = {}): Promise<string[]> {
  const reserved = await db.reserve();
  try {
    await reserved`select pg_advisory_lock(${LOCK_KEY})`;
    await ensureLedger(reserved);
    const applied = await appliedMap(reserved);
    const files = await filesFor(reserved, root);
    const done: string[] = [];
    for (const file of files) {
      const key = `${file.source}/${file.name}`;
      const previous = applied.get(key);
      if (previous === file.sha256) continue;
      if (previous) {
        throw new MigrationChangedError(
          `${key} was changed after it was applied (recorded sha256 ${previous.slice(0, 12)}…, file has ${file.sha256.slice(0, 12)}…). ` +
            "Applied migrations are immutable: revert the file and add a new migration instead.",
        );
      }
      // A reserved connection has no begin(); the transaction is spelled out.
      await reserved`begin`;
      try {
        await reserved.unsafe(file.sql);
        await reserved`insert into _verbatim.applied_migrations (source, name, sha256) values (${file.source}, ${file.name}, ${file.sha256})`;
        await reserved`commit`;
      } catch (err) {
        await reserved`rollback`;
        throw new Error(`${key} failed: ${(err as Error).message}`, { cause: err });
      }
      log(`applied ${key}`);
      done.push(key);
    }
    return done;
  } finally {
    await reserved`select pg_advisory_unlock(${LOCK_KEY})`.catch(() => {});
    reserved.release();
  }
}

/**
 * Which migrations are applied, pending or changed. Reads our ledger, or Supabase's own
 * (`supabase_migrations.schema_migrations`, keyed by the timestamp prefix) after `supabase db push`.
 */
export async function migrationStatus(
  db: Sql,
  root = process.cwd(),
  files?: MigrationFile[],
): Promise<MigrationStatus> {
  files ??= await readMigrationFiles("migrations", root);
  const [ledgers] = await db<{ ours: boolean; theirs: boolean }[]>`
    select to_regclass('_verbatim.applied_migrations') is not null as ours,
           to_regclass('supabase_migrations.schema_migrations') is not null as theirs`;
  if (ledgers?.ours) {
    const applied = await appliedMap(db);
    const status: MigrationStatus = { applied: [], pending: [], changed: [] };
    for (const f of files) {
      const recorded = applied.get(`migrations/${f.name}`);
      if (!recorded) status.pending.push(f.name);
      else if (recorded !== f.sha256) status.changed.push(f.name);
      else status.applied.push(f.name);
    }
    return status;
  }
  if (ledgers?.theirs) {
    const rows = await db<{ version: string }[]>`select version from supabase_migrations.schema_migrations`;
    const versions = new Set(rows.map((r) => r.version));
    const applied = files.filter((f) => versions.has(f.name.split("_")[0] ?? ""));
    return {
      applied: applied.map((f) => f.name),
      pending: files.filter((f) => !applied.includes(f)).map((f) => f.name),
      changed: [],
    };
  }
  return { applied: [], pending: files.map((f) => f.name), changed: [] };
}
