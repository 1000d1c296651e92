import { describe, expect, it } from "vitest";
import { parseWavHeader, wavDurationSeconds } from "@/lib/storage/wav";
import { decodeWav, encodeWav, layout, resample, tone, type Pcm } from "@/scripts/simulator/pcm";

/**
 * The PCM work that sox used to do for the simulator, checked by the properties a carrier's
 * recording has (rate, channels, duration, where the energy is), not against a binary.
 */

function rms(samples: Int16Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i += 1) sum += samples[i]! ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** Zero crossings per second: twice the frequency of a pure tone. */
function frequency(pcm: Pcm): number {
  let crossings = 0;
  for (let i = 1; i < pcm.samples.length; i += 1) if ((pcm.samples[i - 1]! < 0) !== (pcm.samples[i]! < 0)) crossings += 1;
  return crossings / 2 / (pcm.samples.length / pcm.sampleRate);
}

describe("resample", () => {
  it("keeps duration and pitch going from eSpeak's 22,050 Hz to a carrier's 8,000 Hz", () => {
    const out = resample(tone(22050, 2, 440), 8000);
    expect(out.sampleRate).toBe(8000);
    expect(out.samples.length).toBe(16000);
    expect(frequency(out)).toBeCloseTo(440, -1);
    // Amplitude 12,000 → RMS ≈ 8,485, kept within a few percent (edges aside).
    expect(rms(out.samples, 400, 15600)).toBeGreaterThan(8000);
    expect(rms(out.samples, 400, 15600)).toBeLessThan(9000);
  });

  it("filters out what 8 kHz cannot carry instead of folding it into the speech band", () => {
    // 6 kHz is above the new Nyquist (4 kHz): naive decimation would alias it to 2 kHz at full strength.
    const out = resample(tone(22050, 1, 6000), 8000);
    expect(rms(out.samples, 200, 7800)).toBeLessThan(12000 * 0.02);
  });

  it("is deterministic and leaves a same-rate input as it is", () => {
    const input = tone(22050, 0.5, 300);
    expect(Buffer.from(resample(input, 8000).samples.buffer)).toEqual(Buffer.from(resample(input, 8000).samples.buffer));
    expect(resample(input, 22050).samples).toEqual(input.samples);
  });
});

describe("layout and encodeWav", () => {
  it("puts each party on its own channel at its offset, silence elsewhere, in a WAV the ingest parser reads", () => {
    const a = tone(8000, 1, 440).samples;
    const b = tone(8000, 0.5, 880).samples;
    const frames = layout(2, [{ channel: 1, atSample: 0, samples: a }, { channel: 2, atSample: 12000, samples: b }]);
    expect(frames.length).toBe(2 * 16000);
    const wav = encodeWav(frames, 8000, 2);
    const info = parseWavHeader(wav)!;
    expect(info).toMatchObject({ formatTag: 1, channels: 2, sampleRate: 8000, bitsPerSample: 16, dataOffset: 44, dataBytes: 64000 });
    expect(wavDurationSeconds(info, wav.length)).toBe(2);
    const left = Int16Array.from({ length: 16000 }, (_, i) => frames[i * 2]!);
    const right = Int16Array.from({ length: 16000 }, (_, i) => frames[i * 2 + 1]!);
    expect(rms(left, 0, 8000)).toBeGreaterThan(8000);
    expect(rms(left, 8000)).toBe(0);
    expect(rms(right, 0, 12000)).toBe(0);
    expect(rms(right, 12000)).toBeGreaterThan(8000);
  });

  it("pads to a minimum length with silence and clips overlapping pieces to 16 bits", () => {
    const loud = new Int16Array(10).fill(30000);
    const frames = layout(1, [{ channel: 1, atSample: 0, samples: loud }, { channel: 1, atSample: 5, samples: loud }], 40);
    expect(frames.length).toBe(40);
    expect(frames[7]).toBe(32767);
    expect(frames[20]).toBe(0);
    expect(() => layout(1, [{ channel: 2, atSample: 0, samples: loud }])).toThrow(/Channel 2 of 1/);
  });

  it("round-trips through decodeWav, mixing channels down by averaging", () => {
    const frames = layout(2, [{ channel: 1, atSample: 0, samples: new Int16Array([1000, 2000]) }, { channel: 2, atSample: 0, samples: new Int16Array([3000, 4000]) }]);
    expect(decodeWav(encodeWav(frames, 8000, 2))).toEqual({ sampleRate: 8000, samples: new Int16Array([2000, 3000]) });
    expect(() => decodeWav(Buffer.from("not a wav"))).toThrow(/RIFF/);
  });
});
