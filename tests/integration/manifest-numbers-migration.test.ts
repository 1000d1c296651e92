import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, describe, expect, it, inject } from "vitest";
import { connect } from "@/lib/db/client";
import type { Tx } from "@/lib/db";
import { migrate } from "@/lib/db/migrate";
import { buildManifest, manifestSha256, signManifest, verifyManifest } from "@/lib/evidence/manifest";
import { manifestsOfCall } from "@/lib/evidence-sealing/manifests";

/**
 * The migration that takes the numbers out of manifests sealed before it (docs/adr/0044), on a
 * database migrated up to just before it holding a version in the old form (the manifest and
 * a compact JWS with the numbers in its payload): afterwards the row holds none, the numbers
 * sit in E.164 in the side table, the immutability trigger is back, and the one reader gives
 * back the JWS that was signed, byte for byte.
 */
const MIGRATION = "20261207006300_store_manifests_without_numbers.sql";
const FROM = "+15550100000";
const TO = "+14155550142";
const OPERATOR = "+442071838750";

const adminUrl = inject("pgAdminUrl");
const admin = connect(adminUrl, 1);
const name = `manifest_numbers_migration_${process.pid}_${Date.now().toString(36)}`;
await admin.unsafe(`create database "${name}"`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const db = connect(url.toString(), 2);
const root = await mkdtemp(path.join(tmpdir(), "verbatim-manifest-numbers-migration-"));

afterAll(async () => {
  await db.end();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
  await rm(root, { recursive: true, force: true });
});

describe("storing manifests sealed before without their numbers", () => {
  it("moves the numbers out of the row and the JWS, and the reader gives back the signed bytes", async () => {
    await cp(path.resolve("supabase"), path.join(root, "supabase"), { recursive: true });
    const later = (await readdir(path.join(root, "supabase/migrations"))).filter((f) => f >= MIGRATION);
    for (const file of later) await rm(path.join(root, "supabase/migrations", file));
    await migrate(db, { root });

    const [org] = await db<{ id: string }[]>`insert into public.organizations (name, plan) values ('Old Org', 'global') returning id`;
    const [user] = await db<{ id: string }[]>`insert into auth.users (email, encrypted_password, email_confirmed_at) values ('owner@old.test', 'x', now()) returning id`;
    const [call] = await db<{ id: string; createdAt: string }[]>`
      insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status, ended_at, duration_seconds)
      values (${org!.id}, ${user!.id}, 'direct', ${FROM}, ${TO}, 'old-call', ${db.json({ from: FROM, to: TO, operatorPhone: OPERATOR, disclosure: "pn-ref:0" })}, 'global', 'completed', now(), 0)
      returning id, to_json(created_at) #>> '{}' as "createdAt"`;
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const manifest = buildManifest({
      issuer: "https://old.example", kid: "old-key", issuedAt: new Date().toISOString(), version: 1, previousSha256: null,
      call: { id: call!.id, organizationId: org!.id, direction: "outbound", flow: "direct", from: FROM, to: TO, status: "busy", providerCallSid: null,
              createdBy: user!.id, createdAt: call!.createdAt, answeredAt: null, endedAt: null, durationSeconds: null },
      modulations: { from: FROM, to: TO, operatorPhone: OPERATOR, disclosure: "pn-ref:0" },
      recordings: [], transcriptions: [], artifacts: [], surveyAnswers: [],
    });
    const jws = await signManifest(manifest, { kid: "old-key", privateKey });
    const sha256 = manifestSha256(manifest);
    const [row] = await db<{ id: string }[]>`
      insert into public.evidence_manifests (organization_id, call_id, version, manifest, manifest_sha256, jws, kid)
      values (${org!.id}, ${call!.id}, 1, ${db.json(manifest as never)}, ${sha256}, ${jws}, 'old-key') returning id`;

    await cp(path.resolve("supabase/migrations"), path.join(root, "supabase/migrations"), { recursive: true });
    expect((await migrate(db, { root })).map((n) => n.replace("migrations/", ""))).toEqual(later);

    const [stored] = await db<{ manifest: unknown; jws: string; numbers: string[] }[]>`
      select m.manifest, m.jws, n.numbers from public.evidence_manifests m join private.evidence_manifest_numbers n on n.manifest_id = m.id where m.id = ${row!.id}`;
    for (const n of [FROM, TO, OPERATOR]) {
      expect(JSON.stringify(stored!.manifest)).not.toContain(n);
      expect(JSON.stringify(stored!.manifest)).not.toContain(n.slice(1));
    }
    expect(stored!.jws).toBe(`${jws.split(".")[0]}..${jws.split(".")[2]}`);
    expect([...stored!.numbers].sort()).toEqual([FROM, FROM, TO, TO, OPERATOR, "pn-ref:0", "pn-ref:0"].sort());
    await expect(db`update public.evidence_manifests set kid = 'x' where id = ${row!.id}`).rejects.toThrow();

    const [read] = await db.begin(async (tx) => {
      await tx`select set_config('role', 'service_role', true)`;
      return manifestsOfCall(tx as unknown as Tx, { orgId: org!.id, callId: call!.id });
    });
    expect(read!.jws).toBe(jws);
    expect(read!.manifest).toEqual(manifest);
    const keys = { keys: [{ ...(await exportJWK(publicKey)), kid: "old-key", alg: "EdDSA" }] };
    expect((await verifyManifest(read!.jws, keys)).sha256).toBe(sha256);
  });
});
