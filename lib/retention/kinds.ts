/**
 * The kinds of call content a retention policy covers, and their names (docs/adr/0037). No zod
 * here: the page's retention dialog reads them without the contracts' schemas.
 */

/** The kinds of call content a policy covers; manifests, the log and custody have none (kept for good). */
export const POLICY_KINDS = ["recording", "redacted_audio", "transcript", "translation", "survey_answer", "score"] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** The manifest's artifact kinds each policy kind deletes (a transcript's redacted copy goes with it). */
export const MANIFEST_KINDS_OF: Record<PolicyKind, readonly string[]> = {
  recording: ["recording"],
  redacted_audio: ["redacted_audio"],
  transcript: ["transcript", "redacted_transcript"],
  translation: ["translation"],
  survey_answer: ["survey_answer"],
  score: ["score"],
};

export const POLICY_KIND_LABELS: Record<PolicyKind, string> = {
  recording: "Recordings",
  redacted_audio: "Redacted audio",
  transcript: "Transcripts",
  translation: "Translations",
  survey_answer: "Survey answers",
  score: "Shopper scores",
};
