import { afterAll, describe, expect, it } from "vitest";
import { espeakSynthesizer, speechProblem, SpeechUnavailableError, stopSpeechWorker } from "@/scripts/simulator/speech-synth";

/** The start-up check `npm run dev` makes before it starts the simulator (issue 16). */
describe("speech synthesis", () => {
  afterAll(() => stopSpeechWorker());

  it("reports no problem when eSpeak NG (WebAssembly, in its worker) speaks", async () => {
    expect(await speechProblem()).toBeNull();
  });

  it("says why, in words, when synthesis fails or makes nothing", async () => {
    expect(await speechProblem(() => Promise.reject(new SpeechUnavailableError("eSpeak NG: the module did not load")))).toBe("eSpeak NG: the module did not load");
    expect(await speechProblem(() => Promise.resolve(Buffer.alloc(44)))).toBe("eSpeak NG produced an empty file");
  });

  it("rejects a line it cannot speak with eSpeak's own reason, and keeps serving the next", async () => {
    await expect(espeakSynthesizer("hello", "xx-nope", 160)).rejects.toThrow(/voice does not exist/);
    expect((await espeakSynthesizer("hello", "en-us", 160)).length).toBeGreaterThan(44);
  });
});
