import "server-only";
import type { Tx } from "@/lib/db";
import type { ShopperScriptVersionResponse, SpokenItem, SurveyVersionResponse } from "@/lib/surveys/contracts";
import { surveyDocument, shopperScriptDocument, type ShopperScriptDraft, type SurveyDraft } from "@/lib/surveys/documents";
import { getVersion } from "@/lib/surveys/versions";
import { buildLaml, type LamlInput, type LamlSnapshot } from "@/lib/telephony/laml";

/**
 * The preview of a survey or script: read back from the very LaML documents a call would get
 * (lib/telephony/laml.ts), not re-described, so the preview cannot drift from what is said; and
 * a library version as the API answers it, with what LaML says.
 */

const PREVIEW_CALL = { callId: "00000000-0000-4000-8000-000000000000", baseUrl: "https://preview.invalid" };
const PREVIEW_ID = "00000000-0000-4000-8000-000000000000";

function snapshotWith(parts: Pick<LamlSnapshot, "survey" | "shopperScript">): LamlSnapshot {
  return {
    flow: "direct",
    from: "+15550000000",
    to: "+15550000001",
    operatorPhone: null,
    record: false,
    disclosure: null,
    ...parts,
  };
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
    e.startsWith("#x") || e.startsWith("#X") ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith("#") ? String.fromCodePoint(Number(e.slice(1)))
        : ENTITIES[e.toLowerCase()]!);
}

function attr(attrs: string, name: string): string | null {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(attrs);
  return m ? decode(m[1]!) : null;
}

/** Say, Pause and Gather of one LaML document, in order (the builder's output: flat, no CDATA). */
export function spokenItems(laml: string): SpokenItem[] {
  const items: SpokenItem[] = [];
  const verbs = /<Gather\b([^>]*)>\s*<Say\b([^>]*)>([^<]*)<\/Say>\s*<\/Gather>|<Say\b([^>]*)>([^<]*)<\/Say>|<Pause\b([^>]*)\/>/g;
  for (const m of laml.matchAll(verbs)) {
    if (m[1] !== undefined) {
      const input = (attr(m[1], "input") ?? "dtmf").split(/\s+/).filter((i): i is "dtmf" | "speech" => i === "dtmf" || i === "speech");
      items.push({ kind: "ask", text: decode(m[3]!), input, digits: attr(m[1], "numDigits") });
    } else if (m[5] !== undefined) {
      items.push({ kind: "say", text: decode(m[5]), voice: attr(m[4] ?? "", "voice") });
    } else {
      items.push({ kind: "pause", seconds: Number(attr(m[6] ?? "", "length") ?? 1) });
    }
  }
  return items;
}

function speak(snapshot: LamlSnapshot, steps: LamlInput[]): SpokenItem[] {
  return steps.flatMap((step) => spokenItems(buildLaml(snapshot, step, PREVIEW_CALL)));
}

export function surveySpoken(survey: NonNullable<LamlSnapshot["survey"]>): SpokenItem[] {
  const questions: LamlInput[] = survey.questions.map((_, question) => ({ step: "survey", question, attempt: 1 }));
  return speak(snapshotWith({ survey, shopperScript: null }), [...questions, { step: "survey-done" }]);
}

export function shopperScriptSpoken(shopperScript: NonNullable<LamlSnapshot["shopperScript"]>): SpokenItem[] {
  return speak(snapshotWith({ survey: null, shopperScript }), [{ step: "start" }]);
}

/** A draft's preview, before it is published (validated as a version would be). */
export function previewSurveyDraft(draft: SurveyDraft): SpokenItem[] {
  return surveySpoken({ ...surveyDocument(PREVIEW_ID, 1, draft), sha256: "0".repeat(64) });
}

export function previewShopperScriptDraft(draft: ShopperScriptDraft): SpokenItem[] {
  return shopperScriptSpoken({ ...shopperScriptDocument(PREVIEW_ID, 1, draft), sha256: "0".repeat(64) });
}

/** A version as the API answers it: the pinned document with its hash, and what LaML says. */
export async function surveyVersionView(tx: Tx, params: { orgId: string; id: string; version?: number }): Promise<SurveyVersionResponse> {
  const { version, createdAt } = await getVersion(tx, "survey", params);
  return { survey: version, createdAt, spoken: surveySpoken(version) };
}

export async function shopperScriptVersionView(
  tx: Tx,
  params: { orgId: string; id: string; version?: number },
): Promise<ShopperScriptVersionResponse> {
  const { version, createdAt } = await getVersion(tx, "shopperScript", params);
  return { shopperScript: version, createdAt, spoken: shopperScriptSpoken(version) };
}
