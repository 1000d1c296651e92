/**
 * Roles × actions × plans: the table of docs/architecture.md and docs/adr/0003 as data, and the one source for the UI
 * (hidden or upgrade-prompted controls), the API (403 or 404) and, through the same cells in
 * supabase/migrations/*_create_access_model.sql, RLS. A test walks every cell of both.
 * Safe for client bundles: data and pure functions only.
 */
export const PLANS = ["base", "pro", "insights", "global"] as const;
export type Plan = (typeof PLANS)[number];

export const ROLES = ["owner", "admin", "operator", "analyst", "viewer"] as const;
export type Role = (typeof ROLES)[number];

const ALL: readonly Role[] = ROLES;
const NOT_VIEWER: readonly Role[] = ["owner", "admin", "operator", "analyst"];
const MANAGERS: readonly Role[] = ["owner", "admin"];
const CALLERS: readonly Role[] = ["owner", "admin", "operator"];

export const POLICY = {
  "operations.view": { roles: ALL, plan: "base", label: "See the Voice Operations page" },
  "numbers.view": { roles: NOT_VIEWER, plan: "base", label: "See unmasked phone numbers" },
  "calls.place": { roles: CALLERS, plan: "base", label: "Place calls" },
  "voice_config.update": { roles: MANAGERS, plan: "base", label: "Change the voice configuration" },
  "members.manage": { roles: MANAGERS, plan: "base", label: "Manage members" },
  "recording.enable": { roles: MANAGERS, plan: "pro", label: "Recording and transcription" },
  "recording.play": { roles: NOT_VIEWER, plan: "pro", label: "Playing recordings and reading transcripts" },
  "transcript.original": { roles: MANAGERS, plan: "pro", label: "Opening the unredacted original of a redacted call" },
  "translation.enable": { roles: MANAGERS, plan: "global", label: "Translation" },
  "translation.read": { roles: NOT_VIEWER, plan: "global", label: "Reading translations" },
  "survey.enable": { roles: MANAGERS, plan: "insights", label: "Surveys and shopper scripts" },
  "survey.read": { roles: NOT_VIEWER, plan: "insights", label: "Reading survey and shopper results" },
  "survey.manage": { roles: MANAGERS, plan: "insights", label: "Writing surveys and shopper scripts" },
  "shopper.run": { roles: CALLERS, plan: "insights", label: "Shopper calls" },
  "evidence.export": { roles: ["owner", "admin", "analyst"], plan: "base", label: "Exporting and verifying evidence" },
  // Saved targets (docs/adr/0033): every plan, since a do-not-call list is a compliance control.
  "target.read": { roles: ALL, plan: "base", label: "Seeing saved targets" },
  "target.write": { roles: MANAGERS, plan: "base", label: "Saving, editing, importing and deleting targets, and clearing do-not-call marks" },
  "target.dnc": { roles: CALLERS, plan: "base", label: "Marking targets do-not-call" },
  // Campaigns (docs/adr/0035): programs of calls at a set pace, from the pro plan up.
  "campaign.read": { roles: ALL, plan: "pro", label: "Seeing campaigns, their progress and results" },
  "campaign.manage": { roles: MANAGERS, plan: "pro", label: "Creating, editing, launching and cancelling campaigns" },
  "campaign.pause": { roles: CALLERS, plan: "pro", label: "Pausing and resuming campaigns" },
  // Insights (docs/adr/0036): the aggregates of shopper scores and survey answers, on the plan
  // that sells surveys and scripts; for the people who weigh results, not those who place calls.
  "insights.read": { roles: ["owner", "admin", "analyst"], plan: "insights", label: "Reading insights over scripts and surveys" },
  // Outbound webhooks (docs/adr/0039): where the organization's events go is configuration; the
  // roles that configure also read the delivery log and replay. Every plan.
  "webhooks.manage": { roles: MANAGERS, plan: "base", label: "Managing outbound webhooks, their delivery log and replays" },
  // Retention, legal holds and erasure (docs/adr/0037): every plan. Setting a hold only keeps
  // more, so analysts (who export evidence) may; lifting one lets deletion run, so only owners
  // and admins may, as they alone set policies and erase a data subject.
  "retention.read": { roles: ["owner", "admin", "analyst"], plan: "base", label: "Seeing retention policies, legal holds and deletions" },
  "retention.manage": { roles: MANAGERS, plan: "base", label: "Changing retention policies" },
  "erasure.request": { roles: MANAGERS, plan: "base", label: "Erasing a data subject's calls" },
  "hold.set": { roles: ["owner", "admin", "analyst"], plan: "base", label: "Putting calls on legal hold" },
  "hold.release": { roles: MANAGERS, plan: "base", label: "Lifting legal holds" },
} as const satisfies Record<string, { roles: readonly Role[]; plan: Plan; label: string }>;

export type Action = keyof typeof POLICY;
export const ACTIONS = Object.keys(POLICY) as Action[];

export function planAtLeast(plan: Plan, required: Plan): boolean {
  return PLANS.indexOf(plan) >= PLANS.indexOf(required);
}

export function roleAllows(role: Role, action: Action): boolean {
  return (POLICY[action].roles as readonly Role[]).includes(role);
}

export function planAllows(plan: Plan, action: Action): boolean {
  return planAtLeast(plan, POLICY[action].plan);
}

/** One cell: may this role, in an organization on this plan, take this action? */
export function allows(role: Role, plan: Plan, action: Action): boolean {
  return roleAllows(role, action) && planAllows(plan, action);
}

/** Who may take the action, in words for a refusal: "Owners, admins and operators". */
export function whoMay(action: Action): string {
  const plural = (POLICY[action].roles as readonly Role[]).map((r) => `${r}s`);
  const words = plural.length > 1 ? `${plural.slice(0, -1).join(", ")} and ${plural.at(-1)}` : plural[0]!;
  return words.charAt(0).toUpperCase() + words.slice(1);
}
