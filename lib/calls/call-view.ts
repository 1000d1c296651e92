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

/** `+15551230123` → `+1•••••••23`: the country code and the last two digits. */
export function maskNumber(e164: string): string {
  const digits = e164.replace(/^\+/, "");
  const country = digits.length > 10 ? digits.slice(0, digits.length - 10) : digits.slice(0, 1);
  return `+${country}${"•".repeat(Math.max(digits.length - country.length - 2, 0))}${digits.slice(-2)}`;
}
