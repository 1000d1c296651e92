import { z } from "zod";
import { shopperScriptSchema, surveySchema, shopperScriptDraftSchema, surveyDraftSchema } from "@/lib/surveys/documents";
import { pgInt4 } from "@/lib/pg-safe";

/**
 * Request and response bodies of /api/surveys and /api/shopper-scripts (one definition each,
 * types by z.infer). Drafts are in lib/surveys/documents.ts. Client-safe.
 */

/** A survey or script in a list: its latest version. */
export const librarySummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  latestVersion: z.number(),
  sha256: z.string(),
  publishedAt: z.string(),
  versions: z.number(),
});
export type LibrarySummary = z.infer<typeof librarySummarySchema>;

export const surveyListResponseSchema = z.object({ surveys: z.array(librarySummarySchema) });
export type SurveyListResponse = z.infer<typeof surveyListResponseSchema>;
export const shopperScriptListResponseSchema = z.object({ shopperScripts: z.array(librarySummarySchema) });
export type ShopperScriptListResponse = z.infer<typeof shopperScriptListResponseSchema>;

/** What LaML will say and do, in order, for a preview. */
export const spokenItemSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("say"), text: z.string(), voice: z.string().nullable() }),
  z.object({ kind: z.literal("pause"), seconds: z.number() }),
  /** A question: its prompt, and what the caller may answer with. */
  z.object({ kind: z.literal("ask"), text: z.string(), input: z.array(z.enum(["dtmf", "speech"])), digits: z.string().nullable() }),
]);
export type SpokenItem = z.infer<typeof spokenItemSchema>;
export const previewResponseSchema = z.object({ spoken: z.array(spokenItemSchema) });
export type PreviewResponse = z.infer<typeof previewResponseSchema>;

export const surveyVersionResponseSchema = z.object({ survey: surveySchema, createdAt: z.string(), spoken: z.array(spokenItemSchema) });
export type SurveyVersionResponse = z.infer<typeof surveyVersionResponseSchema>;
export const shopperScriptVersionResponseSchema = z.object({
  shopperScript: shopperScriptSchema,
  createdAt: z.string(),
  spoken: z.array(spokenItemSchema),
});
export type ShopperScriptVersionResponse = z.infer<typeof shopperScriptVersionResponseSchema>;

/** POST …/versions: the edited draft and the version it was edited from. */
export const publishSurveyRequestSchema = z.strictObject({ basedOn: pgInt4.min(1), draft: surveyDraftSchema });
export type PublishSurveyRequest = z.infer<typeof publishSurveyRequestSchema>;
export const publishShopperScriptRequestSchema = z.strictObject({ basedOn: pgInt4.min(1), draft: shopperScriptDraftSchema });
export type PublishShopperScriptRequest = z.infer<typeof publishShopperScriptRequestSchema>;

/** Route params of …/versions/[version]. */
export const versionParamSchema = z.string().regex(/^[1-9][0-9]{0,9}$/).transform(Number).pipe(pgInt4);

/** Bodies are small: ten questions or fifty lines with a rubric fit well within this. */
export const LIBRARY_BODY_LIMIT = 64 * 1024;
