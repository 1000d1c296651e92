import "server-only";
import type { Tx } from "@/lib/db";
import type { ShopperScriptVersionResponse, SurveyVersionResponse } from "@/lib/surveys/contracts";
import { shopperScriptSpoken, surveySpoken } from "@/lib/surveys/spoken";
import { getVersion } from "@/lib/surveys/versions";

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
