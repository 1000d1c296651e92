import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { sql } from "@/lib/db/client";
import { resealNumbers } from "@/lib/pii/reseal";
import { openSnapshotNumbers } from "@/lib/calls/numbers";
import { asService } from "@/lib/db";
import { openSchedule } from "@/tests/support/campaigns";
import { addMembership } from "@/tests/support/fixtures";
import { call as callRoute, signedInUser } from "@/tests/support/member-requests";
import { recordingOrg, setupPipeline, waitFor } from "@/tests/support/pipeline";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * Phone numbers at rest (docs/adr/0044): after the flows that write numbers have run through the
 * app — settings with a caller id and an operator phone, a saved target and a do-not-call one,
 * a campaign draft, a call placed through the route, recorded, transcribed and sealed, and an
 * erasure request — every row of every table of the database, read as text (what a dump holds),
 * contains none of the numbers: not in E.164, not as bare digits, not as national digits, and
 * not inside anything base64 or base64url (a JWS payload, a JSON document encoded). Numbers no
 * other test uses, so the whole shared database can be searched.
 */
setupPipeline({ tmpPrefix: "verbatim-numbers-at-rest-", apiKey: "test-assemblyai-key-numbers-at-rest-01" });

const suffix = String(Math.floor(Math.random() * 9000) + 1000);
const NUMBERS = {
  dialled: `+1415557${suffix}`,
  callerId: `+1628557${suffix}`,
  operator: `+1650557${suffix}`,
  target: `+1212557${suffix}`,
  dnc: `+1312557${suffix}`,
  erased: `+1718557${suffix}`,
};

/** Every base/table of every schema but the catalogs, each row as Postgres's text form of it. */
async function dump(): Promise<string> {
  const tables = await sql()<{ name: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'`;
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows = await sql().unsafe<{ row: string }[]>(`select t::text as row from ${name} t`);
    parts.push(...rows.map((r) => `${name}: ${r.row}`));
  }
  return parts.join("\n");
}

/** The ways a number can be read: E.164, its digits, its national digits (NANP: the last ten). */
const formsOf = (e164: string) => [e164, e164.slice(1), e164.slice(2)];

/** Every run of base64 or base64url long enough to hold a number, decoded. */
function decodedRuns(text: string): string[] {
  return [...text.matchAll(/[A-Za-z0-9+/_-]{16,}/g)].map((m) => Buffer.from(m[0].replaceAll("-", "+").replaceAll("_", "/"), "base64").toString("latin1"));
}

describe("phone numbers at rest", () => {
  it("appear nowhere in the database after the flows that write them, and still read back whole", async () => {
    const org = await recordingOrg("global");
    const owner = await signedInUser();
    await addMembership(org.id, owner.userId, "owner");
    type Handler = Parameters<typeof callRoute<Record<string, never>>>[1];
    const as = (method: string, handler: Handler, path: string, body?: unknown, headers?: Record<string, string>) =>
      callRoute(owner.browser, handler, { method, path, body, orgId: org.id, headers });

    const settings = await import("@/app/api/voice-config/route");
    const saved = await as("PUT", settings.PUT, "/api/voice-config", { callerId: NUMBERS.callerId, operatorPhone: NUMBERS.operator });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);

    const targets = await import("@/app/api/voice/targets/route");
    const tag = `rest-${suffix}`;
    for (const [name, number, dnc] of [["Front desk", NUMBERS.target, false], ["Asked not to be called", NUMBERS.dnc, true]] as const) {
      const made = await as("POST", targets.POST, "/api/voice/targets", { name, number, timeZone: "America/New_York", tags: [tag], dnc });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }

    const campaigns = await import("@/app/api/campaigns/route");
    const drafted = await as("POST", campaigns.POST, "/api/campaigns", {
      name: `At rest ${suffix}`, selection: { tags: [tag] }, schedule: openSchedule(), pace: { dialsPerSecond: 1, maxLive: 1 },
    });
    expect(drafted.status, JSON.stringify(drafted.body)).toBe(201);

    const callsRoute = await import("@/app/api/calls/route");
    const placed = await as("POST", callsRoute.POST, "/api/calls", { to: NUMBERS.dialled }, { "idempotency-key": randomUUID() });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const callId = (placed.body.call as { id: string }).id;
    await waitFor("the transcript", async () => (await sql()`select 1 from public.call_artifacts where call_id = ${callId} and kind = 'transcript'`).length > 0, 40_000);
    await waitFor("a manifest sealed after the transcript", async () => (await sql()`
      select 1 from public.evidence_manifests m where m.call_id = ${callId}
        and m.sealed_at > (select max(produced_at) from public.call_artifacts where call_id = ${callId} and kind = 'transcript')`).length > 0, 40_000);

    const erasure = await import("@/app/api/retention/erasure/route");
    const erased = await as("POST", erasure.POST, "/api/retention/erasure", { phoneNumber: NUMBERS.erased, reason: "Asked to be forgotten" });
    expect(erased.status, JSON.stringify(erased.body)).toBeLessThan(300);

    // Whatever was written in E.164 before it could be sealed (nothing here, by design) is sealed now.
    await resealNumbers({ orgIds: [org.id] });

    const text = await dump();
    const decoded = decodedRuns(text).join("\n");
    for (const [what, number] of Object.entries(NUMBERS)) {
      for (const form of formsOf(number)) {
        expect(text.includes(form), `${what} (${form}) in the dump: ${text.split("\n").find((l) => l.includes(form))?.slice(0, 300)}`).toBe(false);
        expect(decoded.includes(form), `${what} (${form}) inside base64 in the dump`).toBe(false);
      }
    }

    // And every one of them still reads back whole, to those who may see it.
    const calls = await import("@/app/api/calls/[id]/route");
    const detail = await callRoute(owner.browser, calls.GET, { path: `/api/calls/${callId}`, orgId: org.id, params: { id: callId } });
    expect(detail.body.call).toMatchObject({ to: NUMBERS.dialled, from: NUMBERS.callerId });
    const [stored] = await sql()<{ modulations: unknown }[]>`select modulations from public.calls where id = ${callId}`;
    expect(await asService((tx) => openSnapshotNumbers(tx, org.id, "calls.modulations", stored!.modulations))).toMatchObject({ to: NUMBERS.dialled, from: NUMBERS.callerId });
    const listed = (await as("GET", targets.GET, `/api/voice/targets?tag=${tag}`)).body as { targets: { number: string }[] };
    expect(listed.targets.map((t) => t.number).sort()).toEqual([NUMBERS.dnc, NUMBERS.target].sort());
    const found = await as("GET", callsRoute.GET, `/api/calls?number=${encodeURIComponent(NUMBERS.dialled)}`);
    expect((found.body.calls as { id: string }[]).map((c) => c.id)).toEqual([callId]);
  }, 120_000);
});
