import { ConflictError } from "@/lib/errors";

/**
 * A campaign's life as data: draft → scheduled → running ⇄ paused → completed / cancelled.
 * Each move is named by the act that makes it (what the API, the policy table and the audit
 * trail speak of); `campaignTransition` is the one check, and refuses any other move with a
 * message that says what the campaign's state allows. Client-safe: the page shows the acts.
 */
export const CAMPAIGN_STATES = ["draft", "scheduled", "running", "paused", "completed", "cancelled"] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export const CAMPAIGN_ACTS = {
  /** An owner or admin launches a draft: it waits for its start. */
  launch: { from: ["draft"], to: "scheduled" },
  /** The runner, once the start has come. */
  start: { from: ["scheduled"], to: "running" },
  pause: { from: ["running"], to: "paused" },
  resume: { from: ["paused"], to: "running" },
  /** The runner, when every target is done or the end has passed (paused or not). */
  complete: { from: ["running", "paused"], to: "completed" },
  cancel: { from: ["draft", "scheduled", "running", "paused"], to: "cancelled" },
} as const satisfies Record<string, { from: readonly CampaignState[]; to: CampaignState }>;
export type CampaignAct = keyof typeof CAMPAIGN_ACTS;

/** Every allowed move, derived from the acts. */
export const CAMPAIGN_TRANSITIONS: Readonly<Record<CampaignState, readonly CampaignState[]>> = Object.fromEntries(
  CAMPAIGN_STATES.map((state) => [
    state,
    [...new Set(Object.values(CAMPAIGN_ACTS).flatMap((act) => ((act.from as readonly CampaignState[]).includes(state) ? [act.to] : [])))],
  ]),
) as Record<CampaignState, CampaignState[]>;

export const isFinalCampaignState = (state: CampaignState) => CAMPAIGN_TRANSITIONS[state].length === 0;

export class CampaignStateError extends ConflictError {
  constructor(
    readonly from: CampaignState,
    /** What was asked: an act's past participle ("paused") or "moved to <state>". */
    asked: string,
  ) {
    const allowed = actsFrom(from);
    super(
      `A ${from} campaign cannot be ${asked}: ${allowed.length === 0 ? `${from} is final` : `it can only be ${allowed.map((a) => PAST[a]).join(", ")}`}.`,
      "campaign_state",
      { state: from },
    );
  }
}

const PAST: Record<CampaignAct, string> = { launch: "launched", start: "started", pause: "paused", resume: "resumed", complete: "completed", cancel: "cancelled" };

/** The acts a campaign in `state` allows. */
export function actsFrom(state: CampaignState): CampaignAct[] {
  return (Object.keys(CAMPAIGN_ACTS) as CampaignAct[]).filter((act) => (CAMPAIGN_ACTS[act].from as readonly CampaignState[]).includes(state));
}

/** The state `act` moves a campaign in `from` to, or CampaignStateError (409 campaign_state). */
export function campaignTransition(from: CampaignState, act: CampaignAct): CampaignState {
  const move = CAMPAIGN_ACTS[act];
  if (!(move.from as readonly CampaignState[]).includes(from)) throw new CampaignStateError(from, PAST[act]);
  return move.to;
}

/** The same check for a move named by its states (a writer that sets the state column). */
export function assertCampaignMove(from: CampaignState, to: CampaignState): void {
  if (!CAMPAIGN_TRANSITIONS[from].includes(to)) throw new CampaignStateError(from, `moved to ${to}`);
}
