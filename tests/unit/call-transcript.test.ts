import { describe, expect, it } from "vitest";
import { formatMoment, utteranceAt, type TranscriptUtterance } from "@/components/call-transcript";

const u = (startMs: number, endMs: number): TranscriptUtterance => ({ speaker: "A", startMs, endMs, text: `${startMs}` });
const utterances = [u(500, 2000), u(2600, 4000), u(4000, 6500), u(9000, 9400)];

describe("the transcript's playing utterance", () => {
  it("is the last one started at or before the moment, while it lasts", () => {
    expect(utteranceAt(utterances, 500)).toBe(0);
    expect(utteranceAt(utterances, 1999)).toBe(0);
    expect(utteranceAt(utterances, 4000)).toBe(2); // back to back: the one starting wins
    expect(utteranceAt(utterances, 9399)).toBe(3);
  });

  it("is none before the first word, in a silence between utterances, and after the last", () => {
    expect(utteranceAt(utterances, 0)).toBe(-1);
    expect(utteranceAt(utterances, 2300)).toBe(-1);
    expect(utteranceAt(utterances, 8000)).toBe(-1);
    expect(utteranceAt(utterances, 9400)).toBe(-1);
    expect(utteranceAt([], 100)).toBe(-1);
  });

  it("reads moments as m:ss", () => {
    expect(formatMoment(0)).toBe("0:00");
    expect(formatMoment(12_999)).toBe("0:12");
    expect(formatMoment(61_000)).toBe("1:01");
    expect(formatMoment(-5)).toBe("0:00");
  });
});
