import { asService } from "@/lib/db";
import { type ShopperScript, type Survey, shopperScriptDocument, surveyDocument, type ShopperScriptDraft, type SurveyDraft, type SurveyQuestion } from "@/lib/surveys/documents";
import { versionHash } from "@/lib/surveys/hash";
import { createWithFirstVersion } from "@/lib/surveys/versions";

/**
 * Surveys and shopper scripts for tests: a keypad question, drafts, versions as a call's
 * snapshot carries them (document + canonical SHA-256), and publishing them in an organization
 * through the one writer (a call's snapshot must name a published version: the database checks).
 */

export const FIXTURE_SURVEY_ID = "5a1e0000-0000-4000-8000-00000000c5a7";
export const FIXTURE_SCRIPT_ID = "5c41e000-0000-4000-8000-0000000005c1";

export const keypad = (id: string, prompt: string, min = 1, max = 5): SurveyQuestion => ({ id, prompt, keypad: { min, max }, speech: false });
export const spoken = (id: string, prompt: string): SurveyQuestion => ({ id, prompt, keypad: null, speech: true });

export const RUBRIC_CRITERIA: ShopperScriptDraft["rubric"]["criteria"] = [
  { id: "greets", label: "Greets the caller", weight: 1, kind: "phrase_present", phrases: ["good morning", "hello"] },
  { id: "offers", label: "Offers an appointment", weight: 2, kind: "phrase_present", phrases: ["appointment"] },
];

export function surveyDraft(parts: Partial<SurveyDraft> & Pick<SurveyDraft, "questions">): SurveyDraft {
  return { title: "Customer satisfaction", thankYou: "Thank you for your answers. Goodbye.", ...parts };
}

/** Lines said in order with one-second pauses between them, as before scripts had steps. */
export function scriptDraft(lines: string[], parts: Partial<ShopperScriptDraft> = {}): ShopperScriptDraft {
  return {
    title: "Appointment enquiry",
    persona: { name: "Alex", description: "A new patient" },
    steps: lines.flatMap((say, i) => (i > 0 ? [{ pause: 1 }, { say }] : [{ say }])),
    rubric: { criteria: RUBRIC_CRITERIA },
    ...parts,
  } as ShopperScriptDraft;
}

/** A version as a snapshot carries it, not stored anywhere (for pure tests). */
export function surveyVersion(draft: SurveyDraft, id = FIXTURE_SURVEY_ID, version = 1): Survey {
  const document = surveyDocument(id, version, draft);
  return { ...document, sha256: versionHash(document) };
}

export function scriptVersion(draft: ShopperScriptDraft, id = FIXTURE_SCRIPT_ID, version = 1): ShopperScript {
  const document = shopperScriptDocument(id, version, draft);
  return { ...document, sha256: versionHash(document) };
}

/** Publish a survey (version 1) in an organization; returns it as a call's snapshot carries it. */
export async function publishSurvey(orgId: string, userId: string, draft: SurveyDraft): Promise<Survey> {
  return (await asService((tx) => createWithFirstVersion(tx, "survey", { orgId, userId, draft }))).version;
}

export async function publishScript(orgId: string, userId: string, draft: ShopperScriptDraft): Promise<ShopperScript> {
  return (await asService((tx) => createWithFirstVersion(tx, "shopperScript", { orgId, userId, draft }))).version;
}

/**
 * Store a version with a fixed id, for tests whose inputs are fixed before the database exists
 * (the fuzz templates). The hash is the canonical one, as the writer would compute it.
 */
export async function storeFixedVersion(orgId: string, version: Survey | ShopperScript, kind: "survey" | "shopperScript"): Promise<void> {
  const { sha256, ...document } = version;
  await asService(async (tx) => {
    if (kind === "survey") {
      await tx`insert into public.surveys (id, organization_id) values (${version.id}, ${orgId}) on conflict do nothing`;
      await tx`insert into public.survey_versions (organization_id, survey_id, version, title, document, sha256)
               values (${orgId}, ${version.id}, ${version.version}, ${version.title}, ${tx.json(document as never)}, ${sha256})`;
    } else {
      await tx`insert into public.shopper_scripts (id, organization_id) values (${version.id}, ${orgId}) on conflict do nothing`;
      await tx`insert into public.shopper_script_versions (organization_id, script_id, version, title, document, sha256)
               values (${orgId}, ${version.id}, ${version.version}, ${version.title}, ${tx.json(document as never)}, ${sha256})`;
    }
  });
}
