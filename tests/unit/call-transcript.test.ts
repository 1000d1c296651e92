import { describe, expect, it } from "vitest";
import {
  formatMoment, groupWords, playingAt, utteranceAt, wordAt, type TranscriptUtterance, type TranscriptWord, type WordTimeline,
} from "@/components/calls/transcript";

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

/** Words of `text` from `startMs`, `step` ms apart, each lasting `length` ms. */
const spoken = (speaker: string | null, startMs: number, text: string, step = 400, length = 300): TranscriptWord[] =>
  text.split(" ").map((word, k) => ({ text: word, startMs: startMs + k * step, endMs: startMs + k * step + length, speaker }));
const utter = (speaker: string, words: TranscriptWord[]): TranscriptUtterance => ({
  speaker, startMs: words[0]!.startMs, endMs: words.at(-1)!.endMs, text: words.map((w) => w.text).join(" "),
});
/** The word said at `ms` as "utterance:text", or null. */
const said = (utterances: TranscriptUtterance[], timeline: WordTimeline, ms: number): string | null => {
  const at = wordAt(timeline, ms);
  if (at < 0) return null;
  const { utterance, word } = timeline.order[at]!;
  const placed = timeline.utterances[utterance]![word]!;
  return `${utterance}:${utterances[utterance]!.text.slice(placed.from, placed.to)}`;
};

describe("the transcript's word being said", () => {
  // Caller 1000–2900 ("Hi, any appointments next week?"), then the called party 3000–4900.
  const callerWords = spoken("A", 1000, "Hi, any appointments next week?");
  const calleeWords = spoken("B", 3000, "Yes, on Tuesday at ten.");
  const twoTurns = [utter("A", callerWords), utter("B", calleeWords)];
  const timeline = groupWords(twoTurns, [...callerWords, ...calleeWords]);

  it("is the word whose span holds the moment, within its utterance", () => {
    expect(said(twoTurns, timeline, 1000)).toBe("0:Hi,");
    expect(said(twoTurns, timeline, 1299)).toBe("0:Hi,");
    expect(said(twoTurns, timeline, 1850)).toBe("0:appointments");
    expect(said(twoTurns, timeline, 3400)).toBe("1:on");
    expect(said(twoTurns, timeline, 4899)).toBe("1:ten.");
    expect(playingAt(twoTurns, timeline, 3400)).toEqual({ word: timeline.order.findIndex((o) => o.utterance === 1 && o.word === 1), utterance: 1 });
  });

  it("is none between words, before the first and after the last (the utterance may still play)", () => {
    expect(said(twoTurns, timeline, 1350)).toBeNull(); // "Hi," ended at 1300, "any" starts at 1400
    expect(playingAt(twoTurns, timeline, 1350)).toEqual({ word: -1, utterance: 0 });
    expect(said(twoTurns, timeline, 0)).toBeNull();
    expect(said(twoTurns, timeline, 999)).toBeNull();
    expect(said(twoTurns, timeline, 2950)).toBeNull(); // silence between the turns
    expect(playingAt(twoTurns, timeline, 2950)).toEqual({ word: -1, utterance: -1 });
    expect(said(twoTurns, timeline, 4900)).toBeNull(); // "ten." ended at 4900
    expect(said(twoTurns, timeline, 60_000)).toBeNull();
  });

  it("groups every word into its utterance, by where the utterance's text says it", () => {
    expect(timeline.utterances.map((u) => u?.length)).toEqual([5, 5]);
    expect(timeline.utterances[0]![2]).toEqual({ startMs: 1800, endMs: 2100, from: 8, to: 20 });
    expect(timeline.order.map((o) => o.startMs)).toEqual([...callerWords, ...calleeWords].map((w) => w.startMs));
  });

  it("keeps two speakers apart when their utterances interleave in time (talking over each other)", () => {
    // A speaks 0–2300; B cuts in at 1000 (words 1000, 1500, 2000) while A goes on.
    const a = spoken("A", 0, "so I was wondering whether you could", 400, 350);
    const b = spoken("B", 1000, "sorry, one moment", 500, 450);
    const overlapping = [utter("A", a), utter("B", b)];
    // The API lists words in time order across speakers.
    const words = [...a, ...b].sort((x, y) => x.startMs - y.startMs);
    const t = groupWords(overlapping, words);
    expect(t.utterances.map((u) => u?.length)).toEqual([7, 3]);
    expect(t.utterances[1]!.map((w) => overlapping[1]!.text.slice(w.from, w.to))).toEqual(["sorry,", "one", "moment"]);
    // At 1000 both start words: A's "was" (800–1150) still lasts, B's "sorry," (1000–1450) began later.
    expect(said(overlapping, t, 1100)).toBe("1:sorry,");
    // At 1210 A's "wondering" (1200–1550) is the latest started.
    expect(said(overlapping, t, 1210)).toBe("0:wondering");
    // At 1560 A is between words (1550–1600) but B's "one" (1500–1950) goes on.
    expect(said(overlapping, t, 1560)).toBe("1:one");
    // The highlighted utterance is the one of the word being said (at 1210 B's started later, but A says the word).
    expect(playingAt(overlapping, t, 1210).utterance).toBe(0);
    expect(playingAt(overlapping, t, 1560).utterance).toBe(1);
    // An earlier, longer word outlasting later ones is still found.
    const long: TranscriptWord[] = [{ text: "Hmmmm", startMs: 0, endMs: 5000, speaker: "B" }];
    const short = spoken("A", 1000, "yes no", 1000, 200);
    const t2 = groupWords([utter("B", long), utter("A", short)], [...long, ...short].sort((x, y) => x.startMs - y.startMs));
    expect(said([utter("B", long), utter("A", short)], t2, 2500)).toBe("0:Hmmmm");
    expect(said([utter("B", long), utter("A", short)], t2, 2100)).toBe("1:no");
  });

  it("puts a word starting where the previous utterance ends into the next one", () => {
    const first = spoken("A", 0, "one two", 500, 500); // 0–1000
    const second = spoken("A", 1000, "three four", 500, 500); // 1000–2000
    const t = groupWords([utter("A", first), utter("A", second)], [...first, ...second]);
    expect(t.utterances.map((u) => u?.length)).toEqual([2, 2]);
    expect(said([utter("A", first), utter("A", second)], t, 1000)).toBe("1:three");
  });

  it("falls back to the utterances alone when the words are missing or do not read as the text", () => {
    for (const missing of [undefined, []]) {
      const none = groupWords(twoTurns, missing);
      expect(none.utterances).toEqual([null, null]);
      expect(none.order).toEqual([]);
      expect(wordAt(none, 1000)).toBe(-1);
      expect(playingAt(twoTurns, none, 1000)).toEqual({ word: -1, utterance: 0 });
    }
    // Words of another text (a stale or foreign word list): that utterance shows without words.
    const other = spoken("A", 1000, "Completely different words here");
    const mismatched = groupWords(twoTurns, [...other, ...calleeWords]);
    expect(mismatched.utterances[0]).toBeNull();
    expect(mismatched.utterances[1]).toHaveLength(5);
    expect(said(twoTurns, mismatched, 1000)).toBeNull();
    expect(said(twoTurns, mismatched, 3000)).toBe("1:Yes,");
    // Words of no utterance's speaker are not placed.
    expect(groupWords(twoTurns, spoken("C", 1000, "Hi, any appointments next week?")).order).toEqual([]);
  });

  it("reads redacted words as the redacted text says them, one word spanning a redacted name", () => {
    const words: TranscriptWord[] = [
      { text: "this", startMs: 0, endMs: 200, speaker: "B" },
      { text: "is", startMs: 250, endMs: 400, speaker: "B" },
      { text: "[PERSON_NAME].", startMs: 450, endMs: 1200, speaker: "B" },
    ];
    const redacted = [{ speaker: "B", startMs: 0, endMs: 1200, text: "this is [PERSON_NAME]." }];
    const t = groupWords(redacted, words);
    expect(said(redacted, t, 1000)).toBe("0:[PERSON_NAME].");
    // Words without a speaker label belong to whichever utterance spans them.
    expect(groupWords(redacted, words.map((w) => ({ ...w, speaker: null }))).utterances[0]).toHaveLength(3);
  });
});
