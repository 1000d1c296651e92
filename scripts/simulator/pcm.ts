import { parseWavHeader } from "@/lib/storage/wav";

/**
 * 16-bit PCM in TypeScript: what the simulator needs to turn synthesized speech into what a
 * carrier hands out (8 kHz, 16-bit, one party per channel), without an audio tool on the
 * machine. Deterministic: the same input always gives the same bytes, so the audio cache and
 * every hash over a recording stay stable.
 */

/** One channel of signed 16-bit samples at `sampleRate`. */
export interface Pcm {
  sampleRate: number;
  samples: Int16Array;
}

/** The samples of a 16-bit PCM WAV (channels mixed down to one by averaging). */
export function decodeWav(bytes: Uint8Array): Pcm {
  const header = parseWavHeader(bytes);
  if (!header || header.dataOffset === null) throw new Error("Not a RIFF/WAVE file with audio data");
  if (header.formatTag !== 1 || header.bitsPerSample !== 16) throw new Error("Only 16-bit PCM WAV is supported");
  const end = Math.min(bytes.length, header.dataOffset + (header.dataBytes ?? bytes.length));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = Math.floor((end - header.dataOffset) / (2 * header.channels));
  const samples = new Int16Array(frames);
  for (let f = 0; f < frames; f += 1) {
    let sum = 0;
    for (let c = 0; c < header.channels; c += 1) sum += view.getInt16(header.dataOffset + (f * header.channels + c) * 2, true);
    samples[f] = Math.round(sum / header.channels);
  }
  return { sampleRate: header.sampleRate, samples };
}

/** Half-width of the windowed-sinc kernel, in zero crossings of the output's low-pass filter. */
const ZERO_CROSSINGS = 16;

/**
 * Band-limited resampling: each output sample is the input convolved with a Blackman-windowed
 * sinc whose cutoff sits just below the lower Nyquist frequency, so going down from eSpeak's
 * 22,050 Hz to a carrier's 8,000 Hz does not fold high frequencies back into the speech band.
 */
export function resample(input: Pcm, sampleRate: number): Pcm {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new Error(`Bad sample rate ${sampleRate}`);
  if (input.sampleRate === sampleRate) return { sampleRate, samples: input.samples.slice() };
  const ratio = sampleRate / input.sampleRate;
  const cutoff = Math.min(1, ratio) * 0.95;
  const halfWidth = ZERO_CROSSINGS / cutoff;
  const kernel = kernelTable(cutoff, halfWidth);
  const length = Math.round(input.samples.length * ratio);
  const out = new Int16Array(length);
  const src = input.samples;
  for (let i = 0; i < length; i += 1) {
    const center = i / ratio;
    const first = Math.max(0, Math.ceil(center - halfWidth));
    const last = Math.min(src.length - 1, Math.floor(center + halfWidth));
    let acc = 0;
    let norm = 0;
    for (let k = first; k <= last; k += 1) {
      const at = Math.abs(k - center) * TABLE_STEPS;
      const j = Math.floor(at);
      const w = j + 1 < kernel.length ? kernel[j]! + (kernel[j + 1]! - kernel[j]!) * (at - j) : 0;
      acc += src[k]! * w;
      norm += w;
    }
    out[i] = clamp16(norm !== 0 ? acc / norm : 0);
  }
  return { sampleRate, samples: out };
}

/** Kernel values per 1/TABLE_STEPS of an input sample, interpolated linearly between them. */
const TABLE_STEPS = 512;

function kernelTable(cutoff: number, halfWidth: number): Float64Array {
  const table = new Float64Array(Math.ceil(halfWidth * TABLE_STEPS) + 2);
  for (let j = 0; j < table.length; j += 1) {
    const x = j / TABLE_STEPS;
    table[j] = cutoff * sinc(cutoff * x) * blackman(x / halfWidth);
  }
  return table;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Blackman window over [-1, 1]. */
function blackman(t: number): number {
  if (t <= -1 || t >= 1) return 0;
  const a = Math.PI * (t + 1);
  return 0.42 - 0.5 * Math.cos(a) + 0.08 * Math.cos(2 * a);
}

function clamp16(value: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(value)));
}

/** A sine tone, for tests that need real audio of a known shape. */
export function tone(sampleRate: number, seconds: number, hz: number, amplitude = 12000): Pcm {
  const samples = new Int16Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < samples.length; i += 1) samples[i] = clamp16(amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate));
  return { sampleRate, samples };
}

/** A piece of audio placed on one channel at a sample offset. */
export interface Placement {
  channel: number;
  atSample: number;
  samples: Int16Array;
}

/**
 * Lays pieces out on `channels` channels and returns interleaved frames long enough for the
 * last piece (or `minFrames`). Pieces on one channel that overlap are summed, clipped to 16 bits.
 */
export function layout(channels: number, pieces: readonly Placement[], minFrames = 0): Int16Array {
  const frames = Math.max(minFrames, ...pieces.map((p) => p.atSample + p.samples.length));
  const mixed = new Int32Array(frames * channels);
  for (const piece of pieces) {
    if (piece.channel < 1 || piece.channel > channels) throw new Error(`Channel ${piece.channel} of ${channels}`);
    for (let i = 0; i < piece.samples.length; i += 1) mixed[(piece.atSample + i) * channels + piece.channel - 1]! += piece.samples[i]!;
  }
  const out = new Int16Array(mixed.length);
  for (let i = 0; i < mixed.length; i += 1) out[i] = clamp16(mixed[i]!);
  return out;
}

/** A canonical 44-byte-header PCM WAV of interleaved 16-bit frames. */
export function encodeWav(interleaved: Int16Array, sampleRate: number, channels: number): Buffer {
  const dataBytes = interleaved.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write("WAVE", 8, "ascii");
  out.write("fmt ", 12, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * 2, 28);
  out.writeUInt16LE(channels * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36, "ascii");
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < interleaved.length; i += 1) out.writeInt16LE(interleaved[i]!, 44 + i * 2);
  return out;
}
