import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { sha256HexOf, verifyManifest } from "@/lib/evidence/manifest";
import { evidenceKeyring } from "@/lib/evidence-sealing/authority";
import { jwks } from "@/lib/evidence-sealing/keys";
import { manifestsOfCall } from "@/lib/evidence-sealing/manifests";
import { sealCall } from "@/lib/evidence-sealing/seal-call";
import { StoredManifestError } from "@/lib/evidence-sealing/stored-manifest";
import { verifyOrganizationLog } from "@/lib/evidence-sealing/verify-log";
import { dataKeyIdOf, mintDataKey, sealNumber } from "@/lib/pii/numbers";
import { resealNumbers } from "@/lib/pii/reseal";
import { createOrg, createUser, member } from "@/tests/support/fixtures";
import { clearEvidenceDirs, useEvidenceDirs } from "@/tests/support/evidence-dirs";
import { withNumberKeysDir } from "@/tests/support/number-keys";

/**
 * Evidence manifests stored without phone numbers (issue 22, docs/adr/0044): against the real
 * database, evidence key, TSA and number keys. The stored row holds references and a detached
 * JWS, the numbers sit sealed beside it, and every read gives back the exact signed bytes, or
 * fails by name when anything stored was changed.
 */
const log = pino({ level: "silent" });
const FROM = "+15550100000";
const TO = "+14155550142";
const OPERATOR = "+442071838750";
const NUMBERS = [FROM, TO, OPERATOR];
/** A string a reference could be mistaken for: it must come back as itself. */
const DECOY = "pn-ref:0";

let dir: string;
let orgId: string;

withNumberKeysDir();
beforeAll(async () => {
  dir = await useEvidenceDirs("verbatim-manifest-numbers-");
  orgId = await createOrg("global");
});
afterAll(() => clearEvidenceDirs(dir));

/** A completed call whose snapshot carries its numbers (and the decoy), sealed as version 1. */
async function sealedCall(): Promise<{ callId: string; manifestId: string }> {
  const modulations = { from: FROM, to: TO, operatorPhone: OPERATOR, record: false, transcribe: false, disclosure: DECOY, notes: [{ callback: TO }] };
  const createdBy = await createUser();
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier, status,
                              provider_call_sid, answered_at, ended_at, duration_seconds)
    values (${orgId}, ${createdBy}, 'direct', ${FROM}, ${TO}, ${randomUUID()}, ${tx.json(modulations)}, 'global', 'completed',
            ${`CA${randomUUID().replaceAll("-", "")}`}, now() - interval '1 minute', now(), 42)
    returning id`);
  const sealed = await sealCall({ orgId, callId: row!.id }, { log });
  if (sealed.outcome !== "sealed") throw new Error(`not sealed: ${sealed.outcome}`);
  return { callId: row!.id, manifestId: sealed.manifestId };
}

const stored = async (manifestId: string) =>
  (await sql()<{ manifest: unknown; jws: string; numbers: string[] }[]>`
    select m.manifest, m.jws, n.numbers from public.evidence_manifests m
    join private.evidence_manifest_numbers n on n.manifest_id = m.id where m.id = ${manifestId}`)[0]!;

/** Every way a number could be read from stored text: E.164, bare digits, national digits. */
function expectNoNumberIn(text: string): void {
  for (const n of NUMBERS) {
    expect(text).not.toContain(n);
    expect(text).not.toContain(n.slice(1));
    expect(text).not.toContain(n.slice(-10));
  }
}

/** Rewrites a version as the service path never can: lifting the table's immutability, as only the migration does. */
async function overwrite(manifestId: string, manifest: unknown, jws: string): Promise<void> {
  await sql().begin(async (tx) => {
    await tx`alter table public.evidence_manifests disable trigger evidence_manifests_immutable`;
    await tx`update public.evidence_manifests set manifest = ${tx.json(manifest as never)}, jws = ${jws} where id = ${manifestId}`;
    await tx`alter table public.evidence_manifests enable trigger evidence_manifests_immutable`;
  });
}

describe("a sealed manifest at rest", () => {
  it("holds no number: references in the manifest, a JWS without payload, the numbers sealed beside it", async () => {
    const { manifestId } = await sealedCall();
    const row = await stored(manifestId);
    expectNoNumberIn(JSON.stringify(row.manifest));
    expect(row.jws).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
    expectNoNumberIn(Buffer.from(row.jws.split(".")[0]!, "base64url").toString("utf8"));
    expect(row.manifest).toMatchObject({ call: { from: "pn-ref:0", to: expect.stringMatching(/^pn-ref:\d+$/) }, modulations: { disclosure: expect.stringMatching(/^pn-ref:\d+$/) } });
    // from, to, the snapshot's from, to, operatorPhone and nested callback, and the decoy (the snapshot's disclosure and the manifest's).
    expect(row.numbers).toHaveLength(8);
    for (const value of row.numbers) expect(value).toMatch(/^pn1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expectNoNumberIn(row.numbers.join(" "));
  });

  it("reads back as the exact signed bytes, for the service path and for a member who may export evidence", async () => {
    const { callId } = await sealedCall();
    const keys = jwks(await evidenceKeyring());
    const analyst = await member(orgId, "analyst");
    for (const read of [() => asService((tx) => manifestsOfCall(tx, { orgId, callId })), () => withUser(analyst.claims, (tx) => manifestsOfCall(tx, { orgId, callId }))]) {
      const [v1] = await read();
      const { manifest, sha256 } = await verifyManifest(v1!.jws, keys);
      expect(sha256).toBe(v1!.manifestSha256);
      expect(sha256HexOf(Buffer.from(canonicalJson(v1!.manifest), "utf8"))).toBe(v1!.manifestSha256);
      expect(manifest).toEqual(v1!.manifest);
      expect(manifest.call).toMatchObject({ from: FROM, to: TO });
      expect(manifest.modulations).toMatchObject({ from: FROM, to: TO, operatorPhone: OPERATOR, disclosure: DECOY, notes: [{ callback: TO }] });
    }
    // The numbers are no wider open than the manifests: a viewer reads neither.
    const viewer = await member(orgId, "viewer");
    expect(await withUser(viewer.claims, (tx) => manifestsOfCall(tx, { orgId, callId }))).toEqual([]);
    expect(await withUser(viewer.claims, (tx) => tx`select private.evidence_manifest_numbers_of(${orgId}, id) as n from public.evidence_manifests`)).toEqual([]);
    await expect(withUser(viewer.claims, (tx) => tx`select * from private.evidence_manifest_numbers`)).rejects.toThrow(/permission denied/);
  });

  it("does not reseal a call whose manifest has not changed (the stored form compares as the signed one)", async () => {
    const { callId } = await sealedCall();
    expect(await sealCall({ orgId, callId }, { log })).toEqual({ outcome: "unchanged", version: 1 });
  });

  it("fails by name, never reading as another manifest, when a number beside it was changed", async () => {
    const { callId, manifestId } = await sealedCall();
    const { numbers } = await stored(manifestId);
    await sql()`update private.evidence_manifest_numbers set numbers = ${[TO, ...numbers.slice(1)]}::text[] where manifest_id = ${manifestId}`;
    await expect(asService((tx) => manifestsOfCall(tx, { orgId, callId }))).rejects.toThrow(StoredManifestError);
    await expect(asService((tx) => manifestsOfCall(tx, { orgId, callId }))).rejects.toThrow(/does not reconstitute to the bytes that were signed/);
    // The log check reports that leaf and carries on.
    const report = await verifyOrganizationLog(orgId);
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual([expect.objectContaining({ check: "log.leaf", subject: expect.stringContaining(manifestId), reason: "unreadable", message: expect.stringMatching(/does not reconstitute/) })]);

    // A value sealed for another field does not open here, even in the same organization.
    const elsewhere = await asService((tx) => sealNumber(tx, orgId, "calls.from_number", FROM));
    await sql()`update private.evidence_manifest_numbers set numbers = ${[elsewhere, ...numbers.slice(1)]}::text[] where manifest_id = ${manifestId}`;
    await expect(asService((tx) => manifestsOfCall(tx, { orgId, callId }))).rejects.toThrow(/numbers do not open/);
    await sql()`update private.evidence_manifest_numbers set numbers = ${numbers}::text[] where manifest_id = ${manifestId}`;
    expect((await verifyOrganizationLog(orgId)).ok).toBe(true);
  });
});

describe("a manifest sealed before numbers left it (the migration)", () => {
  it("is transformed by the SQL walker into a form that reads back as signed, then sealed by the re-sealing pass", async () => {
    const { callId, manifestId } = await sealedCall();
    const [signed] = await asService((tx) => manifestsOfCall(tx, { orgId, callId }));
    // The old form: the manifest and JWS as signed, its numbers in E.164 (as the migration leaves them).
    const [walked] = await sql()<{ stored: unknown; numbers: string[] }[]>`select (w).stored, (w).numbers from (select private.manifest_without_numbers(${sql().json(signed!.manifest as never)}::jsonb) as w) x`;
    expectNoNumberIn(JSON.stringify(walked!.stored));
    expect([...walked!.numbers].sort()).toEqual([FROM, FROM, TO, TO, TO, OPERATOR, DECOY, DECOY].sort());
    const [detached] = await sql()<{ jws: string }[]>`select split_part(${signed!.jws}, '.', 1) || '..' || split_part(${signed!.jws}, '.', 3) as jws`;
    await overwrite(manifestId, walked!.stored, detached!.jws);
    await sql()`update private.evidence_manifest_numbers set numbers = ${walked!.numbers}::text[] where manifest_id = ${manifestId}`;

    const [read] = await asService((tx) => manifestsOfCall(tx, { orgId, callId }));
    expect(read!.jws).toBe(signed!.jws);
    expect(canonicalJson(read!.manifest)).toBe(canonicalJson(signed!.manifest));

    // The re-sealing pass seals what is still E.164, and again after a rotation, keeping every element's place.
    await resealNumbers();
    const sealedOnce = (await stored(manifestId)).numbers;
    for (const value of sealedOnce) expect(value).toMatch(/^pn1\./);
    await asService((tx) => mintDataKey(tx, orgId, { replace: true }));
    await resealNumbers();
    const [current] = await sql()<{ id: string }[]>`select id from private.number_data_keys where organization_id = ${orgId} and current`;
    const sealedTwice = (await stored(manifestId)).numbers;
    for (const value of sealedTwice) expect(dataKeyIdOf(value)).toBe(current!.id);
    expect(sealedTwice).not.toEqual(sealedOnce);
    const [again] = await asService((tx) => manifestsOfCall(tx, { orgId, callId }));
    expect(again!.jws).toBe(signed!.jws);
    expect((await verifyManifest(again!.jws, jwks(await evidenceKeyring()))).sha256).toBe(signed!.manifestSha256);
  });
});
