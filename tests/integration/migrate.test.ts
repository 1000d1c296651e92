import { cp, mkdtemp, appendFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "@/lib/db/client";
import { migrate, migrationStatus, MigrationChangedError } from "@/lib/db/migrate";
import { inject } from "vitest";

/**
 * The runner against a database of its own (not the migrated template), with a copy of the
 * supabase/ directory it can change.
 */
const adminUrl = inject("pgAdminUrl");
const admin = connect(adminUrl, 1);
const name = `migrate_${process.pid}_${Date.now().toString(36)}`;
await admin.unsafe(`create database "${name}"`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const db = connect(url.toString(), 2);

const root = await mkdtemp(path.join(tmpdir(), "verbatim-migrate-"));
await cp(path.resolve("supabase"), path.join(root, "supabase"), { recursive: true });

afterAll(async () => {
  await db.end();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
});

describe("migration runner", () => {
  it("applies the local Supabase stand-ins and every migration, in order, once", async () => {
    const first = await migrate(db, { root });
    expect(first[0]).toBe("local/0001_roles.sql");
    expect(first.filter((n) => n.startsWith("migrations/"))).toEqual(
      first.filter((n) => n.startsWith("migrations/")).slice().sort(),
    );
    expect(await migrate(db, { root })).toEqual([]);
    const status = await migrationStatus(db, root);
    expect(status.pending).toEqual([]);
    expect(status.changed).toEqual([]);
    const [rls] = await db<{ missing: string[] }[]>`
      select coalesce(array_agg(relname::text), '{}') as missing from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`;
    expect(rls!.missing, "every public table has RLS enabled").toEqual([]);
  });

  it("reports a new file as pending and applies it next time", async () => {
    const file = path.join(root, "supabase/migrations/29991231000000_create_probe.sql");
    await writeFile(file, "create table public.probe (id int primary key);\nalter table public.probe enable row level security;\n");
    expect((await migrationStatus(db, root)).pending).toEqual(["29991231000000_create_probe.sql"]);
    expect(await migrate(db, { root })).toEqual(["migrations/29991231000000_create_probe.sql"]);
  });

  it("refuses an applied file that has changed, naming it, and applies nothing", async () => {
    const file = path.join(root, "supabase/migrations/29991231000000_create_probe.sql");
    await appendFile(file, "-- edited after it was applied\n");
    await writeFile(path.join(root, "supabase/migrations/29991231000001_create_later.sql"), "create table public.later (id int);\n");
    await expect(migrate(db, { root })).rejects.toThrow(MigrationChangedError);
    await expect(migrate(db, { root })).rejects.toThrow(/29991231000000_create_probe\.sql was changed/);
    const [later] = await db`select to_regclass('public.later') as t`;
    expect(later!.t).toBeNull();
    expect((await migrationStatus(db, root)).changed).toEqual(["29991231000000_create_probe.sql"]);
  });

  it("rolls back a failing file completely and does not record it", async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), "verbatim-migrate-bad-"));
    await cp(path.resolve("supabase"), path.join(scratch, "supabase"), { recursive: true });
    await writeFile(
      path.join(scratch, "supabase/migrations/29991231000000_create_probe.sql"),
      "create table public.probe (id int primary key);\nalter table public.probe enable row level security;\n",
    );
    await writeFile(
      path.join(scratch, "supabase/migrations/29991231000002_break.sql"),
      "create table public.half (id int);\nselect no_such_function();\n",
    );
    await expect(migrate(db, { root: scratch })).rejects.toThrow(/29991231000002_break\.sql failed/);
    const [half] = await db`select to_regclass('public.half') as t`;
    expect(half!.t).toBeNull();
    expect((await migrationStatus(db, scratch)).pending).toContain("29991231000002_break.sql");
  });
});
