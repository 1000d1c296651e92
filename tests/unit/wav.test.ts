import { afterAll, describe, expect, it } from "vitest";
import { parseWavHeader, wavDurationSeconds } from "@/lib/storage/wav";
import { encodeWav, layout, tone } from "@/scripts/simulator/pcm";
import { readSpeechMetadata, writeSpeechMetadata } from "@/scripts/simulator/speech-metadata";
import { espeakSynthesizer, stopSpeechWorker } from "@/scripts/simulator/speech-synth";

/** A canonical PCM WAV: RIFF header, optional extra chunks before `data`, then the samples. */
function wav(opts: {
  channels: number;
  sampleRate: number;
  bits?: number;
  dataBytes: number;
  declaredDataBytes?: number;
  extraChunks?: Array<{ id: string; body: Buffer }>;
  formatTag?: number;
}): Buffer {
  const bits = opts.bits ?? 16;
  const blockAlign = (opts.channels * bits) / 8;
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(opts.formatTag ?? 1, 0);
  fmt.writeUInt16LE(opts.channels, 2);
  fmt.writeUInt32LE(opts.sampleRate, 4);
  fmt.writeUInt32LE(opts.sampleRate * blockAlign, 8);
  fmt.writeUInt16LE(blockAlign, 12);
  fmt.writeUInt16LE(bits, 14);
  const chunk = (id: string, body: Buffer, declared = body.length) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, "ascii");
    head.writeUInt32LE(declared, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const parts = [
    chunk("fmt ", fmt),
    ...(opts.extraChunks ?? []).map((c) => chunk(c.id, c.body)),
    chunk("data", Buffer.alloc(opts.dataBytes, 7), opts.declaredDataBytes ?? opts.dataBytes),
  ];
  const body = Buffer.concat([Buffer.from("WAVE"), ...parts]);
  const riff = Buffer.alloc(8);
  riff.write("RIFF", 0, "ascii");
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe("WAV header parsing", () => {
  it("reads channels, rate and duration of a mono 8 kHz file", () => {
    const bytes = wav({ channels: 1, sampleRate: 8000, dataBytes: 16000 * 3 });
    const info = parseWavHeader(bytes)!;
    expect(info).toMatchObject({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16, dataOffset: 44, dataBytes: 48000 });
    expect(wavDurationSeconds(info, bytes.length)).toBe(3);
  });

  it("reads a two-channel file and skips chunks before `data`, including odd-sized ones (padded)", () => {
    const bytes = wav({
      channels: 2,
      sampleRate: 8000,
      dataBytes: 32000 * 2,
      extraChunks: [{ id: "LIST", body: Buffer.from("INFOISFT\x05\x00\x00\x00sox!\x00") }, { id: "junk", body: Buffer.alloc(3) }],
    });
    const info = parseWavHeader(bytes)!;
    expect(info.channels).toBe(2);
    expect(wavDurationSeconds(info, bytes.length)).toBe(2);
  });

  it("works from a prefix of the file, as the ingest job reads it", () => {
    const bytes = wav({ channels: 1, sampleRate: 16000, dataBytes: 32000 * 10 });
    const info = parseWavHeader(bytes.subarray(0, 100))!;
    expect(info.dataBytes).toBe(320000);
    expect(wavDurationSeconds(info, bytes.length)).toBe(10);
  });

  it("uses the object's size when the header declares an unknown data size (streamed WAV)", () => {
    for (const declared of [0, 0xffffffff]) {
      const bytes = wav({ channels: 1, sampleRate: 8000, dataBytes: 8000, declaredDataBytes: declared });
      const info = parseWavHeader(bytes)!;
      expect(info.dataBytes).toBeNull();
      expect(wavDurationSeconds(info, bytes.length)).toBe(0.5);
      expect(wavDurationSeconds(info)).toBeNull();
    }
  });

  it("never counts past the end of a truncated file", () => {
    const bytes = wav({ channels: 1, sampleRate: 8000, dataBytes: 16000, declaredDataBytes: 160000 });
    expect(wavDurationSeconds(parseWavHeader(bytes)!, bytes.length)).toBe(1);
  });

  it("rejects what is not a WAV header, and says nothing about duration without `data`", () => {
    expect(parseWavHeader(Buffer.from("ID3\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))).toBeNull();
    expect(parseWavHeader(Buffer.from("RIFF\x00\x00\x00\x00AVI LIST"))).toBeNull();
    expect(parseWavHeader(Buffer.alloc(4))).toBeNull();
    const bytes = wav({ channels: 1, sampleRate: 8000, dataBytes: 16000 });
    const headerOnly = parseWavHeader(bytes.subarray(0, 36))!;
    expect(headerOnly).toMatchObject({ channels: 1, dataOffset: null, dataBytes: null });
    expect(wavDurationSeconds(headerOnly, bytes.length)).toBeNull();
    // `data` before `fmt ` is malformed
    const swapped = Buffer.concat([bytes.subarray(0, 12), bytes.subarray(36, 44), bytes.subarray(12, 36)]);
    expect(parseWavHeader(swapped)).toBeNull();
  });

  it("keeps the duration of a file carrying the simulator's speech metadata chunk after `data`", () => {
    const bytes = wav({ channels: 2, sampleRate: 8000, dataBytes: 32000 * 3 });
    const turns = [{ channel: 2, speaker: "callee", text: "Hello there, é.", startMs: 100, endMs: 900, words: [{ text: "Hello", startMs: 100, endMs: 500 }] }];
    // An odd-length JSON body exercises the pad byte.
    const tagged = writeSpeechMetadata(bytes, { version: 1, timing: "test", turns: turns.concat([{ ...turns[0]!, text: "x" }]) });
    expect(tagged.readUInt32LE(4)).toBe(tagged.length - 8);
    const info = parseWavHeader(tagged)!;
    expect(info.dataOffset).toBe(44);
    expect(wavDurationSeconds(info, tagged.length)).toBe(3);
    expect(readSpeechMetadata(tagged)?.turns[0]?.text).toBe("Hello there, é.");
    // Rewriting replaces the chunk instead of adding a second one.
    const again = writeSpeechMetadata(tagged, { version: 1, timing: "again", turns: [] });
    expect(readSpeechMetadata(again)).toEqual({ version: 1, timing: "again", turns: [] });
    expect(wavDurationSeconds(parseWavHeader(again)!, again.length)).toBe(3);
  });

  describe("on files made by real encoders", () => {
    afterAll(() => stopSpeechWorker());

    it("agrees with the simulator's PCM writer about a 2.5 s stereo tone", () => {
      const left = tone(8000, 2.5, 440);
      const bytes = encodeWav(layout(2, [{ channel: 1, atSample: 0, samples: left.samples }, { channel: 2, atSample: 0, samples: left.samples }]), 8000, 2);
      const info = parseWavHeader(bytes)!;
      expect(info).toMatchObject({ channels: 2, sampleRate: 8000, bitsPerSample: 16, dataOffset: 44 });
      expect(wavDurationSeconds(info, bytes.length)).toBeCloseTo(2.5, 3);
    });

    it("agrees with eSpeak NG's own header (the WebAssembly build the simulator speaks with)", async () => {
      const bytes = await espeakSynthesizer("hello there", "en-us", 160);
      const info = parseWavHeader(bytes)!;
      expect(info).toMatchObject({ channels: 1, sampleRate: 22050, bitsPerSample: 16 });
      expect(wavDurationSeconds(info, bytes.length)).toBeCloseTo((bytes.length - 44) / 44100, 3);
      expect(wavDurationSeconds(info, bytes.length)).toBeGreaterThan(0.4);
    });
  });
});
