import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, inject } from "vitest";
import { connect } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { newLinkToken } from "@/lib/link-token";

/**
 * The address-proof migrations (docs/adr/0027) against accounts made before them: an account that
 * was created by accepting an invitation (the one-step join: created, then joined within seconds)
 * becomes unproven, since the embedded default had shown that link to the inviter; an account
 * whoever runs the server made, which joined later, and one that joined nothing, stay proven.
 * Afterwards an inviter cannot claim that their invitation's link went to the address.
 */
const MINE = [
  "20261206000110_record_invitation_delivery.sql",
  "20261206000210_create_address_proofs.sql",
  "20261206000310_mark_unproven_local_accounts.sql",
];

const adminUrl = inject("pgAdminUrl");
const admin = connect(adminUrl, 1);
const name = `unproven_migration_${process.pid}_${Date.now().toString(36)}`;
await admin.unsafe(`create database "${name}"`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const db = connect(url.toString(), 2);
const root = await mkdtemp(path.join(tmpdir(), "verbatim-unproven-migration-"));

afterAll(async () => {
  await db.end();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
  await rm(root, { recursive: true, force: true });
});

describe("marking accounts nobody proved", () => {
  it("marks accounts made by accepting an invitation unproven, keeps the others, and lets no inviter claim delivery", async () => {
    await cp(path.resolve("supabase"), path.join(root, "supabase"), { recursive: true });
    for (const file of MINE) await rm(path.join(root, "supabase/migrations", file));
    await migrate(db, { root });

    const [org] = await db<{ id: string }[]>`insert into public.organizations (name, plan) values ('Old Org', 'base') returning id`;
    const account = async (email: string, createdAgo: string) => {
      const [row] = await db<{ id: string }[]>`
        insert into auth.users (email, encrypted_password, email_confirmed_at, created_at)
        values (${email}, 'x', now(), now() - ${createdAgo}::interval) returning id`;
      return row!.id;
    };
    const owner = await account("owner@old.test", "30 days");
    const joinedAtOnce = await account("joined@old.test", "2 days");
    const joinedLater = await account("later@old.test", "10 days");
    await account("loner@old.test", "1 day");
    await db`insert into public.org_members (organization_id, user_id, role) values (${org!.id}, ${owner}, 'owner')`;
    const accepted = async (userId: string, email: string, acceptedAfterCreation: string) => {
      await db`
        insert into public.invitations (organization_id, email, role, token_hash, invited_by, accepted_at, accepted_by)
        select ${org!.id}, ${email}, 'operator', ${newLinkToken().hash}, ${owner}, u.created_at + ${acceptedAfterCreation}::interval, u.id
        from auth.users u where u.id = ${userId}`;
    };
    await accepted(joinedAtOnce, "joined@old.test", "2 seconds");
    await accepted(joinedLater, "later@old.test", "3 days");

    await cp(path.resolve("supabase/migrations"), path.join(root, "supabase/migrations"), { recursive: true });
    expect((await migrate(db, { root })).map((n) => n.replace("migrations/", ""))).toEqual(MINE);

    const proven = await db<{ email: string; proven: boolean }[]>`
      select email, email_confirmed_at is not null as proven from auth.users order by email`;
    expect(proven).toEqual([
      { email: "joined@old.test", proven: false },
      { email: "later@old.test", proven: true },
      { email: "loner@old.test", proven: true },
      { email: "owner@old.test", proven: true },
    ]);

    // As the owner, through RLS: an invitation may not claim that its link went to the address.
    const claims = JSON.stringify({ sub: owner, email: "owner@old.test", role: "authenticated" });
    const insertAsOwner = (deliveredAt: Date | null) =>
      db.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'authenticated', true)`;
        await tx`insert into public.invitations (organization_id, email, role, token_hash, invited_by, delivered_at)
                 values (${org!.id}, ${`new-${deliveredAt ? "claimed" : "plain"}@old.test`}, 'viewer', ${newLinkToken().hash}, ${owner}, ${deliveredAt})`;
      });
    await expect(insertAsOwner(new Date())).rejects.toThrow(/row-level security/);
    await expect(insertAsOwner(null)).resolves.toBeUndefined();
  });
});
