import { describe, expect, it } from "vitest";
import { transcribe } from "@/scripts/simulator/assemblyai-model";
import type { SpeechMetadata, SpeechTurn } from "@/scripts/simulator/speech-metadata";

/** A turn whose words are evenly spaced 300 ms apart from `startMs`. */
function turn(channel: number, speaker: string, text: string, startMs: number): SpeechTurn {
  const words = text.split(" ").map((w, i) => ({ text: w, startMs: startMs + i * 300, endMs: startMs + i * 300 + 250 }));
  return { channel, speaker, text, startMs, endMs: words.at(-1)!.endMs, words };
}

const meta = (...turns: SpeechTurn[]): SpeechMetadata => ({ version: 1, timing: "test", turns });

describe("the transcriber stand-in's model", () => {
  it("finds card numbers, phone numbers and listed names, and redacts only the policies asked for", () => {
    const m = meta(turn(1, "callee", "My card is 4111 1111 1111 1111, John Smith speaking, call 020 7946 0958.", 0));
    const all = transcribe(m, 1, { entity_detection: true });
    expect(all.entities!.map((e) => [e.entity_type, e.text])).toEqual([
      ["credit_card_number", "4111 1111 1111 1111"],
      ["person_name", "John Smith"],
      ["phone_number", "020 7946 0958"],
    ]);
    expect(all.redactedSpans).toEqual([]);
    const some = transcribe(m, 1, { entity_detection: true, redact_pii: true, redact_pii_policies: ["credit_card_number"] });
    expect(some.text).toBe("My card is [CREDIT_CARD_NUMBER], John Smith speaking, call 020 7946 0958.");
    expect(some.redactedSpans).toEqual([{ start: 900, end: 2050 }]);
    expect(some.entities![0]!.text).toBe("[CREDIT_CARD_NUMBER]");
    expect(some.unredacted).toBeUndefined();
  });

  it("labels speakers per channel, with letters when speaker_labels is also on, as AssemblyAI's per-channel diarization does", () => {
    const m = meta(turn(1, "caller", "Hello there.", 0), turn(2, "callee", "Hi.", 900));
    expect(transcribe(m, 2, { multichannel: true }).utterances!.map((u) => [u.speaker, u.channel])).toEqual([["1", "1"], ["2", "2"]]);
    expect(transcribe(m, 2, { multichannel: true, speaker_labels: true }).utterances!.map((u) => u.speaker)).toEqual(["1A", "2A"]);
    // Mono: multichannel has nothing to split; speakers by diarization.
    expect(transcribe(m, 1, { multichannel: true, speaker_labels: true }).utterances!.map((u) => u.speaker)).toEqual(["A", "B"]);
  });

  it("orders words by time across channels and is deterministic", () => {
    const m = meta(turn(1, "caller", "one two three four", 0), turn(2, "callee", "yes", 350));
    const a = transcribe(m, 2, { multichannel: true, sentiment_analysis: true });
    expect(a.words.map((w) => w.text)).toEqual(["one", "two", "yes", "three", "four"]);
    expect(transcribe(m, 2, { multichannel: true, sentiment_analysis: true })).toEqual(a);
    expect(a.sentiment_analysis_results!.map((s) => [s.speaker, s.sentiment])).toEqual([["1", "NEUTRAL"], ["2", "POSITIVE"]]);
  });

  it("gives an empty transcript for audio without speech", () => {
    const r = transcribe(meta(), 1, { speaker_labels: true, sentiment_analysis: true, entity_detection: true });
    expect(r).toMatchObject({ text: "", words: [], utterances: [], sentiment_analysis_results: [], entities: [], confidence: 0 });
  });
});
