import { describe, expect, it } from "vitest";
import { asService } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { MODULATION_IDS, MODULATIONS, modulationProblem, type ModulationSet } from "@/lib/calls/modulations";
import type { Flow } from "@/lib/calls/snapshot";
import { keypad, publishSurvey, surveyDraft } from "@/tests/support/surveys";
import { createOrg, createUser } from "@/tests/support/fixtures";
import { planFor, queuedCall } from "@/tests/support/signalwire";

/**
 * lib/calls/modulations.ts and private.modulation_requires / private.modulation_flows must say
 * the same thing: removing a prerequisite or a flow from either side fails this file. And the
 * triggers that enforce the SQL side refuse what the TypeScript side refuses, for every
 * combination of modulations and flows.
 */
const FLOWS: Flow[] = ["direct", "bridge"];

function allSets(): ModulationSet[] {
  return Array.from({ length: 2 ** MODULATION_IDS.length }, (_, bits) =>
    Object.fromEntries(MODULATION_IDS.map((id, i) => [id, Boolean(bits & (1 << i))])) as ModulationSet,
  );
}

describe("TypeScript and SQL modulation rules agree", () => {
  it("have the same prerequisites", async () => {
    const rows = await sql()<{ modulation: string; requires: string }[]>`
      select modulation, requires from private.modulation_requires order by 1, 2`;
    const ts = MODULATION_IDS.flatMap((id) => MODULATIONS[id].requires.map((requires) => ({ modulation: id, requires })))
      .sort((a, b) => `${a.modulation}/${a.requires}`.localeCompare(`${b.modulation}/${b.requires}`));
    expect(rows.map((r) => ({ ...r }))).toEqual(ts);
  });

  it("have the same flows", async () => {
    const rows = await sql()<{ modulation: string; flow: string }[]>`select modulation, flow from private.modulation_flows order by 1, 2`;
    const ts = MODULATION_IDS.flatMap((id) => MODULATIONS[id].flows.map((flow) => ({ modulation: id, flow })))
      .sort((a, b) => `${a.modulation}/${a.flow}`.localeCompare(`${b.modulation}/${b.flow}`));
    expect(rows.map((r) => ({ ...r }))).toEqual(ts);
  });

  it("judge every combination of modulations and flows alike", async () => {
    const disagreements: string[] = [];
    for (const set of allSets()) {
      const on = MODULATION_IDS.filter((id) => set[id]);
      for (const flow of [...FLOWS, null]) {
        const [row] = await sql()<{ problem: string | null }[]>`select private.modulations_problem(${on}::text[], ${flow}::text) as problem`;
        const ts = modulationProblem(set, flow);
        if ((row!.problem === null) !== (ts === null)) disagreements.push(`${on.join("+") || "none"} on ${flow ?? "any"}: sql=${row!.problem} ts=${JSON.stringify(ts)}`);
      }
    }
    expect(disagreements).toEqual([]);
  });
});

describe("the database refuses incoherent modulations on every path", () => {
  it("refuses a call snapshot that transcribes without recording, or runs a survey over a bridge", async () => {
    const orgId = await createOrg("global");
    const userId = await createUser();
    await expect(queuedCall(orgId, userId, planFor({ record: false, disclosure: null, transcribe: true }))).rejects.toThrow(/transcribe needs record/);
    const survey = await publishSurvey(orgId, userId, surveyDraft({ questions: [keypad("q", "Rate us")], thankYou: "Thanks" }));
    await expect(queuedCall(orgId, userId, planFor({ flow: "bridge", operatorPhone: "+14155550111", survey }))).rejects.toThrow(/survey does not run on bridge/);
    expect(await queuedCall(orgId, userId, planFor({ transcribe: true }))).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses an org config that translates without transcribing, even on the service path", async () => {
    const orgId = await createOrg("global");
    await expect(asService((tx) => tx`
      insert into public.voice_configs (organization_id, record, transcribe, translate, translate_languages)
      values (${orgId}, true, false, true, '{es}')`)).rejects.toThrow(/translate needs transcribe/);
    await asService((tx) => tx`insert into public.voice_configs (organization_id, record, transcribe) values (${orgId}, true, true)`);
    await expect(asService((tx) => tx`update public.voice_configs set record = false where organization_id = ${orgId}`))
      .rejects.toThrow(/transcribe needs record/);
  });
});
