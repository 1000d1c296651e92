import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, inject } from "vitest";
import { connect } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";

/**
 * The survey-library migrations against data written before them: a voice config with the loose
 * survey and script JSON of old, a call that ran it, and its keypad answers. The loose JSON is
 * archived (not lost) and the config's reference starts empty; the old call and its answers
 * stay exactly as they were; rows written from now on meet the new rules.
 */
const MINE = ["20261130010000_create_survey_library.sql", "20261130010100_reference_survey_versions.sql", "20261130010200_make_survey_answers_artifacts.sql"];

const adminUrl = inject("pgAdminUrl");
const admin = connect(adminUrl, 1);
const name = `survey_migration_${process.pid}_${Date.now().toString(36)}`;
await admin.unsafe(`create database "${name}"`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const db = connect(url.toString(), 2);
const root = await mkdtemp(path.join(tmpdir(), "verbatim-survey-migration-"));

afterAll(async () => {
  await db.end();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
  await rm(root, { recursive: true, force: true });
});

describe("migrating loose surveys to versioned records", () => {
  it("archives the loose JSON, empties the reference, and leaves old calls and answers as they were", async () => {
    await cp(path.resolve("supabase"), path.join(root, "supabase"), { recursive: true });
    // The database as it was just before these migrations: they and every later one left out.
    for (const file of await readdir(path.join(root, "supabase/migrations"))) if (file >= MINE[0]!) await rm(path.join(root, "supabase/migrations", file));
    await migrate(db, { root });

    const survey = { id: "csat", version: 1, questions: [{ id: "q1", prompt: "Rate us", min: 1, max: 5 }], thankYou: "Thanks" };
    const script = { id: "s", version: 1, title: "Enquiry", lines: ["Hello"] };
    const [org] = await db<{ id: string }[]>`insert into public.organizations (name, plan) values ('Old Org', 'insights') returning id`;
    const [user] = await db<{ id: string }[]>`insert into auth.users (email) values ('old@example.test') returning id`;
    await db`insert into public.voice_configs (organization_id, survey, shopper_script) values (${org!.id}, ${db.json(survey)}, ${db.json(script)})`;
    const modulations = { flow: "direct", from: "+15550100000", to: "+15550100001", operatorPhone: null, record: false, transcribe: false,
      translate: null, disclosure: null, survey, shopperScript: null, configVersion: 1 };
    const [call] = await db<{ id: string }[]>`
      insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier)
      values (${org!.id}, ${user!.id}, 'direct', '+15550100000', '+15550100001', 'old-call', ${db.json(modulations)}, 'insights') returning id`;
    await db`insert into public.survey_answers (organization_id, call_id, survey_id, survey_version, question_index, question_id, answer, digits, attempts)
             values (${org!.id}, ${call!.id}, 'csat', 1, 0, 'q1', 'invalid', '9', 2)`;
    const answersBefore = await db`select * from public.survey_answers order by id`;

    await cp(path.resolve("supabase/migrations"), path.join(root, "supabase/migrations"), { recursive: true });
    expect((await migrate(db, { root })).map((n) => n.replace("migrations/", "")).slice(0, MINE.length)).toEqual(MINE);

    const [archived] = await db`select survey, shopper_script from private.legacy_voice_config_library where organization_id = ${org!.id}`;
    expect(archived).toEqual({ survey, shopper_script: script });
    const [config] = await db`select survey_id, survey_version, survey_sha256, shopper_script_id from public.voice_configs where organization_id = ${org!.id}`;
    expect(config).toEqual({ survey_id: null, survey_version: null, survey_sha256: null, shopper_script_id: null });
    const [after] = await db`select modulations from public.calls where id = ${call!.id}`;
    expect(after!.modulations).toEqual(modulations);
    const answersAfter = await db`select id, answer, digits, attempts, source, sha256 from public.survey_answers order by id`;
    expect(answersAfter.map((a) => [a.id, a.answer, a.digits, a.attempts])).toEqual(answersBefore.map((a) => [a.id, a.answer, a.digits, a.attempts]));
    expect(answersAfter[0]).toMatchObject({ source: null, sha256: null });

    // From now on an answer needs its source, provenance and hash.
    await expect(db`insert into public.survey_answers (organization_id, call_id, survey_id, survey_version, question_index, question_id, answer, attempts)
                    values (${org!.id}, ${call!.id}, 'csat', 1, 1, 'q2', '3', 1)`).rejects.toThrow(/survey_answers_(answer_by_source|artifact)/);
    // And a config can only name a published version.
    await expect(db`update public.voice_configs set survey_id = gen_random_uuid(), survey_version = 1, survey_sha256 = ${"a".repeat(64)}
                    where organization_id = ${org!.id}`).rejects.toThrow(/voice_configs_survey_version_fkey/);
  });
});
