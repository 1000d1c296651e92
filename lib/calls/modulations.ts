import type { Flow } from "@/lib/calls/snapshot";
import type { Action } from "@/lib/rbac/policy";

/**
 * Modulations as data, like the roles × plans table: for each modulation, what it needs
 * turned on first, the flows it can run in, the action that may turn it on (in the org config,
 * or for one call against the org's default) and the action that may run a call with it.
 * One client-safe module for the plan snapshot (lib/calls/place-call.ts), the voice-config
 * update and the place-call panel; the same rules are rows in SQL
 * (supabase/migrations/*_create_modulation_rules.sql), enforced by triggers on voice_configs
 * and calls, and tests/integration/modulation-agreement.test.ts proves the two sides agree.
 */
export const MODULATION_IDS = ["record", "transcribe", "translate", "survey", "shopperScript"] as const;
export type Modulation = (typeof MODULATION_IDS)[number];

export interface ModulationRule {
  /** The toggle's label. */
  label: string;
  /** What it is called in a sentence ("Transcription needs recording"). */
  noun: string;
  /** Every one of these must be on too. */
  requires: readonly Modulation[];
  /** The flows a call with it can run in. */
  flows: readonly Flow[];
  /** Turning it on (org default, or one call against a default that leaves it off). */
  enable: Action;
  /** Running a call with it on (beyond placing calls at all). */
  run: Action | null;
}

const ALL_FLOWS: readonly Flow[] = ["direct", "bridge"];

export const MODULATIONS: Record<Modulation, ModulationRule> = {
  record: { label: "Record", noun: "recording", requires: [], flows: ALL_FLOWS, enable: "recording.enable", run: null },
  transcribe: { label: "Transcribe", noun: "transcription", requires: ["record"], flows: ALL_FLOWS, enable: "recording.enable", run: null },
  translate: { label: "Translate", noun: "translation", requires: ["transcribe"], flows: ALL_FLOWS, enable: "translation.enable", run: null },
  // In a bridge there is no leg on which a survey or a script plays to the target alone (ADR 0005).
  survey: { label: "After-call survey", noun: "a survey", requires: [], flows: ["direct"], enable: "survey.enable", run: null },
  shopperScript: { label: "Shopper script", noun: "a shopper script", requires: [], flows: ["direct"], enable: "survey.enable", run: "shopper.run" },
};

export type ModulationSet = Record<Modulation, boolean>;

export type ModulationProblem =
  | { kind: "requires"; modulation: Modulation; missing: Modulation }
  | { kind: "flow"; modulation: Modulation; flow: Flow };

/** The first rule a set of modulations breaks (in the table's order), or null. */
export function modulationProblem(on: ModulationSet, flow: Flow | null): ModulationProblem | null {
  for (const id of MODULATION_IDS) {
    if (!on[id]) continue;
    const rule = MODULATIONS[id];
    const missing = rule.requires.find((r) => !on[r]);
    if (missing) return { kind: "requires", modulation: id, missing };
    if (flow !== null && !rule.flows.includes(flow)) return { kind: "flow", modulation: id, flow };
  }
  return null;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A sentence for the person who asked for it. */
export function describeProblem(problem: ModulationProblem): string {
  const noun = MODULATIONS[problem.modulation].noun;
  if (problem.kind === "requires") {
    const missing = MODULATIONS[problem.missing].noun;
    return `${capitalised(noun)} needs ${missing}: turn ${missing} on too.`;
  }
  const flows = MODULATIONS[problem.modulation].flows.join(" or ");
  return `${capitalised(noun)} runs on ${flows} calls only: choose the ${flows} flow.`;
}

/** Why a toggle cannot be on given the others and the flow (the panel's hint), or null. */
export function unmetFor(id: Modulation, on: ModulationSet, flow: Flow): string | null {
  const rule = MODULATIONS[id];
  const missing = rule.requires.find((r) => !on[r]);
  if (missing) return `Needs ${MODULATIONS[missing].noun}`;
  if (!rule.flows.includes(flow)) return `Only on ${rule.flows.join(" or ")} calls`;
  return null;
}
