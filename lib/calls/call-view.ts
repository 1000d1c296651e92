import type { Membership } from "@/lib/rbac/membership";
import { allows } from "@/lib/rbac/policy";

/**
 * What a member may see of a call, decided once from their role and plan and passed to every
 * read as `view`; and the mask a number wears when they may not see it.
 */
export interface CallView {
  /** Unmasked phone numbers (`numbers.view`). */
  numbers: boolean;
  /** Recording details (`recording.play`). */
  recordings: boolean;
  /** Survey answers (`survey.read`). */
  surveys: boolean;
  /** Translations (`translation.read`). */
  translations: boolean;
  /** The unredacted original of a redacted call, asked for and allowed (`transcript.original`). */
  original: boolean;
  /** Sealed manifests and the custody record (`evidence.export`). */
  evidence: boolean;
}

/** What this member's role and plan let them see of a call. */
export function viewFor(m: Pick<Membership, "role" | "plan">, { original = false }: { original?: boolean } = {}): CallView {
  return {
    numbers: allows(m.role, m.plan, "numbers.view"),
    recordings: allows(m.role, m.plan, "recording.play"),
    surveys: allows(m.role, m.plan, "survey.read"),
    translations: allows(m.role, m.plan, "translation.read"),
    original: original && allows(m.role, m.plan, "transcript.original"),
    evidence: allows(m.role, m.plan, "evidence.export"),
  };
}

/** The mask a number wears when the member may not see it (kept beside sealed numbers too, so it lives with them). */
export { maskNumber } from "@/lib/pii/numbers";
