import { describe, expect, it } from "vitest";
import { actsFrom, assertCampaignMove, CAMPAIGN_STATES, CAMPAIGN_TRANSITIONS, campaignTransition, CampaignStateError, isFinalCampaignState } from "@/lib/campaigns/states";
import { ConflictError } from "@/lib/errors";

describe("campaign states", () => {
  it("allow exactly draft → scheduled → running ⇄ paused → completed / cancelled", () => {
    expect(CAMPAIGN_TRANSITIONS).toEqual({
      draft: ["scheduled", "cancelled"],
      scheduled: ["running", "cancelled"],
      running: ["paused", "completed", "cancelled"],
      paused: ["running", "completed", "cancelled"],
      completed: [],
      cancelled: [],
    });
    expect(CAMPAIGN_STATES.filter(isFinalCampaignState)).toEqual(["completed", "cancelled"]);
  });

  it("moves by acts", () => {
    expect(campaignTransition("draft", "launch")).toBe("scheduled");
    expect(campaignTransition("scheduled", "start")).toBe("running");
    expect(campaignTransition("running", "pause")).toBe("paused");
    expect(campaignTransition("paused", "resume")).toBe("running");
    expect(campaignTransition("paused", "complete")).toBe("completed");
    expect(campaignTransition("running", "cancel")).toBe("cancelled");
    expect(actsFrom("running")).toEqual(["pause", "complete", "cancel"]);
  });

  it("refuses every other move, as a 409 that says what the state allows", () => {
    for (const from of CAMPAIGN_STATES) {
      for (const to of CAMPAIGN_STATES) {
        if (CAMPAIGN_TRANSITIONS[from].includes(to)) expect(() => assertCampaignMove(from, to)).not.toThrow();
        else expect(() => assertCampaignMove(from, to)).toThrow(CampaignStateError);
      }
    }
    const refused = (() => {
      try {
        campaignTransition("draft", "pause");
      } catch (e) {
        return e as CampaignStateError;
      }
    })();
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused?.code).toBe("campaign_state");
    expect(refused?.message).toBe("A draft campaign cannot be paused: it can only be launched, cancelled.");
    expect(() => campaignTransition("completed", "resume")).toThrow("A completed campaign cannot be resumed: completed is final.");
    expect(() => assertCampaignMove("cancelled", "running")).toThrow("A cancelled campaign cannot be moved to running: cancelled is final.");
  });
});
