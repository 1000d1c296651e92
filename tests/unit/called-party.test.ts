import { describe, expect, it } from "vitest";
import { calledPartySpeaker } from "@/lib/intelligence/scoring";

/**
 * Which speaker of a transcript the shopper scorer treats as the called party
 * (lib/intelligence/scoring.ts): channel 2 for dual-channel recordings (channel 1 is our side),
 * the first speaker for mono recordings (the called party answers).
 */
const u = (speaker: string, start: number, channel?: string) => ({ speaker, start, text: "words", ...(channel ? { channel } : {}) });

describe("the called party's speaker", () => {
  it("is the speaker on channel 2 of a multichannel transcript, even when our side speaks first", () => {
    expect(calledPartySpeaker({ utterances: [u("1", 0, "1"), u("2", 3_000, "2"), u("1", 5_000, "1")] })).toBe("2");
    // Per-channel diarization ("2A", "2B"): the earliest speaker on channel 2.
    expect(calledPartySpeaker({ utterances: [u("1A", 0, "1"), u("2B", 4_000, "2"), u("2A", 2_000, "2")] })).toBe("2A");
  });

  it("is channel 2's label when nobody spoke on channel 2, never our side's", () => {
    expect(calledPartySpeaker({ utterances: [u("1", 0, "1")] })).toBe("2");
    expect(calledPartySpeaker({ utterances: [] }, { multichannel: true })).toBe("2");
  });

  it("is the first speaker of a mono transcript, by start time rather than array order", () => {
    expect(calledPartySpeaker({ utterances: [u("A", 0), u("B", 2_000)] })).toBe("A");
    expect(calledPartySpeaker({ utterances: [u("B", 2_000), u("A", 500)] })).toBe("A");
    expect(calledPartySpeaker({ utterances: [u("C", 0), u("A", 0)] })).toBe("C");
  });

  it("is A on a mono transcript where nobody spoke", () => {
    expect(calledPartySpeaker({ utterances: [] })).toBe("A");
    expect(calledPartySpeaker({ utterances: null })).toBe("A");
    expect(calledPartySpeaker({})).toBe("A");
  });

  it("follows the request's multichannel flag over the data", () => {
    // A mono request whose utterances happen to carry channels: still the first speaker.
    expect(calledPartySpeaker({ utterances: [u("A", 0, "1"), u("B", 1_000, "2")] }, { multichannel: false })).toBe("A");
    expect(calledPartySpeaker({ utterances: [u("A", 0, "1"), u("B", 1_000, "2")] }, { multichannel: true })).toBe("B");
  });
});
