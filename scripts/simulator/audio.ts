import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseWavHeader, wavDurationSeconds } from "@/lib/storage/wav";
import { decodeWav, encodeWav, layout, resample, type Pcm, type Placement } from "./pcm";
import { readSpeechMetadata, writeSpeechMetadata, type SpeechMetadata, type SpeechTurn, type SpeechWord } from "./speech-metadata";
import { espeakSynthesizer, type Synthesizer } from "./speech-synth";

/**
 * Real speech for simulated recordings: eSpeak NG (WebAssembly, speech-synth.ts) speaks each
 * line, and pcm.ts turns the lines into what a carrier hands out (8 kHz, 16-bit PCM WAV, mono or
 * one party per channel). Real audio, not silence or noise, so the transcriber stand-in and any
 * human listening get words, and hashes cover bytes the same shape as production's.
 *
 * A recording is a conversation: turns of the calling side (what the app's LaML said) and of
 * the called party (what they answered), in order, with silences between. Laid out on a
 * timeline: each turn starts where the previous one ended plus a short gap; a turn that was
 * spoken into a <Pause> takes at least the pause's length. In stereo the caller is channel 1 and
 * the called party channel 2, as in a carrier's dual-channel recording; in mono both are mixed.
 *
 * Synthesis costs a few hundred milliseconds per line and the same sentences recur, so results
 * are cached on disk under `audioDir` by a hash of everything that shapes the output (turns,
 * channels, voices, rate, format version). Files are written to a temporary name and renamed,
 * so concurrent calls never read half a file.
 *
 * Each file carries what was said in a `vbtm` chunk (speech-metadata.ts): per turn its channel,
 * speaker, text and time span, and per word an estimated span. eSpeak's command line does not
 * report word events, so word times are derived from the synthesized audio: the turn's speech
 * span is found from sample energy (leading and trailing silence dropped), pauses inside it
 * (≥ 120 ms of quiet) are matched to the clause punctuation of the text when their counts agree,
 * and within each clause the time is shared among words by length (digits count triple, as
 * they are spoken as whole words). Good to a few hundred ms, which is what a transcript
 * synced to a player and a "first spoke at" measurement need.
 */

const SAMPLE_RATE = 8000;
/** The calling side and the called side sound different, so a listener can tell them apart. */
const CALLER_VOICE = "en-us";
const CALLEE_VOICE = "en-us+f3";
const WORDS_PER_MINUTE = 160;
/** Silence between two turns. */
const TURN_GAP_SECONDS = 0.6;
const FORMAT_VERSION = 3;

export type Party = "caller" | "callee";

/** One party speaking; `minSeconds` when the turn filled a pause of that length. */
export interface ConversationTurn {
  party: Party;
  text: string;
  minSeconds?: number;
}

/** A turn, or a stretch where nobody speaks (a pause nobody answered, a keypad answer). */
export type ConversationStep = ConversationTurn | { silence: number };

export interface SpeechAudio {
  /** The cached file (shared by every recording of the same conversation). */
  path: string;
  bytes: Buffer;
  sha256: string;
  durationSeconds: number;
  sampleRate: number;
  channels: 1 | 2;
  /** What was said, when, as written into the file's `vbtm` chunk. */
  speech: SpeechMetadata;
}

export interface SpeechOptions {
  channels: 1 | 2;
  audioDir: string;
  /** eSpeak NG in a worker unless a test or the orchestrator says otherwise. */
  synthesize?: Synthesizer;
}

/**
 * One text: spoken by the called party (channel 2 in stereo, channel 1 left silent, as a
 * dual-channel recording of a party that only listens would be).
 * Two texts `[caller, callee]`: a turn each, one after the other.
 */
export function speechWav(text: string | readonly [string, string], options: SpeechOptions): Promise<SpeechAudio> {
  const steps: ConversationStep[] =
    typeof text === "string" ? [{ party: "callee", text }] : [{ party: "caller", text: text[0] }, { party: "callee", text: text[1] }];
  return conversationWav(steps, options);
}

/** A whole conversation, turn by turn, as one recording. */
export async function conversationWav(steps: readonly ConversationStep[], options: SpeechOptions): Promise<SpeechAudio> {
  const key = createHash("sha256")
    .update(JSON.stringify({ v: FORMAT_VERSION, steps, channels: options.channels, CALLER_VOICE, CALLEE_VOICE, WORDS_PER_MINUTE, SAMPLE_RATE }))
    .digest("hex");
  const target = path.join(options.audioDir, `${key}.wav`);

  let pending = inFlight.get(target);
  if (!pending) {
    pending = readOrSynthesize(target, steps, options).finally(() => inFlight.delete(target));
    inFlight.set(target, pending);
  }
  const bytes = await pending;
  const info = wavInfo(bytes);
  return {
    path: target,
    bytes,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    durationSeconds: info.durationSeconds,
    sampleRate: info.sampleRate,
    channels: options.channels,
    speech: readSpeechMetadata(bytes)!,
  };
}

/** Same file requested twice at once: synthesize it once. */
const inFlight = new Map<string, Promise<Buffer>>();

async function readOrSynthesize(target: string, steps: readonly ConversationStep[], options: SpeechOptions): Promise<Buffer> {
  try {
    return await readFile(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const synthesize = options.synthesize ?? espeakSynthesizer;
  const stereo = options.channels === 2;
  const pieces: Placement[] = [];
  const turns: SpeechTurn[] = [];
  let at = 0;
  for (const step of steps) {
    if ("silence" in step) {
      at += Math.max(0, step.silence);
      continue;
    }
    if (!step.text.trim()) continue;
    const line = await speakLine(synthesize, step.text, step.party === "caller" ? CALLER_VOICE : CALLEE_VOICE);
    const channel = stereo && step.party === "callee" ? 2 : 1;
    const atSample = Math.round(at * SAMPLE_RATE);
    pieces.push({ channel, atSample, samples: line.samples });
    turns.push(turnAt(line, step.party, channel, atSample / SAMPLE_RATE));
    at += Math.max(line.seconds + TURN_GAP_SECONDS, step.minSeconds ?? 0);
  }
  // Trailing silence that a step asked for (a last pause nobody answered) is part of the call.
  const frames = Math.round(Math.max(at - TURN_GAP_SECONDS, 0) * SAMPLE_RATE);
  const wav = encodeWav(layout(options.channels, pieces, frames), SAMPLE_RATE, options.channels);
  const bytes = writeSpeechMetadata(wav, { version: 1, timing: TIMING, turns });

  await mkdir(options.audioDir, { recursive: true });
  const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, target);
  } finally {
    await rm(temporary, { force: true });
  }
  return bytes;
}

interface SpokenLine {
  samples: Int16Array;
  seconds: number;
  text: string;
  /** Word spans relative to the line's own start, ms. */
  words: SpeechWord[];
}

async function speakLine(synthesize: Synthesizer, text: string, voice: string): Promise<SpokenLine> {
  const pcm = resample(decodeWav(await synthesize(text, voice, WORDS_PER_MINUTE)), SAMPLE_RATE);
  return { samples: pcm.samples, seconds: pcm.samples.length / SAMPLE_RATE, text, words: estimateWordTimes(text, pcm) };
}

const TIMING =
  "eSpeak NG synthesis; turn spans exact, word spans estimated from the audio's energy (speech span, clause pauses) and word length";

function turnAt(line: SpokenLine, speaker: string, channel: number, offsetSeconds: number): SpeechTurn {
  const offset = Math.round(offsetSeconds * 1000);
  const words = line.words.map((w) => ({ text: w.text, startMs: w.startMs + offset, endMs: w.endMs + offset }));
  return {
    channel,
    speaker,
    text: line.text,
    startMs: words[0]?.startMs ?? offset,
    endMs: words.at(-1)?.endMs ?? offset,
    words,
  };
}

/** 10 ms frames; a frame is speech when its peak is above this (of 32767). */
const FRAME_MS = 10;
const SPEECH_PEAK = 400;
const MIN_PAUSE_MS = 120;

/** Word spans (ms from the start of `line`, one channel holding `text` spoken once). */
function estimateWordTimes(text: string, line: Pcm): SpeechWord[] {
  const tokens = text.split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return [];
  const frame = Math.max(1, Math.round((line.sampleRate * FRAME_MS) / 1000));
  const loud: boolean[] = [];
  for (let at = 0; at < line.samples.length; at += frame) {
    let peak = 0;
    for (let i = at; i < Math.min(line.samples.length, at + frame); i += 1) peak = Math.max(peak, Math.abs(line.samples[i]!));
    loud.push(peak > SPEECH_PEAK);
  }
  const first = loud.indexOf(true);
  const last = loud.lastIndexOf(true);
  if (first < 0) return tokens.map((t) => ({ text: t, startMs: 0, endMs: 0 }));

  // Speech segments: loud stretches separated by at least MIN_PAUSE_MS of quiet.
  const segments: Array<[number, number]> = [];
  let segStart = first;
  let quiet = 0;
  for (let f = first; f <= last; f += 1) {
    if (loud[f]) {
      if (quiet * FRAME_MS >= MIN_PAUSE_MS) {
        segments.push([segStart, f - quiet]);
        segStart = f;
      }
      quiet = 0;
    } else quiet += 1;
  }
  segments.push([segStart, last + 1]);

  // Clauses: tokens up to and including one ending in clause punctuation.
  const clauses: string[][] = [[]];
  for (const token of tokens) {
    clauses.at(-1)!.push(token);
    if (/[,.;:?!]["')\]]*$/.test(token)) clauses.push([]);
  }
  if (clauses.at(-1)!.length === 0) clauses.pop();

  const spans =
    segments.length === clauses.length
      ? segments.map(([a, b]) => [a * FRAME_MS, b * FRAME_MS] as const)
      : // Counts disagree (a pause eSpeak did not make, or one inside a word): one span for all.
        [[first * FRAME_MS, (last + 1) * FRAME_MS] as const];
  const groups = spans.length === clauses.length ? clauses : [tokens];
  const words: SpeechWord[] = [];
  groups.forEach((group, g) => {
    const [from, to] = spans[g]!;
    const weights = group.map((t) => t.replace(/[^\p{L}\p{N}]/gu, "").length + 2 * (t.match(/\p{N}/gu)?.length ?? 0) + 1);
    const total = weights.reduce((a, b) => a + b, 0);
    let at = from;
    group.forEach((token, i) => {
      const length = ((to - from) * weights[i]!) / total;
      words.push({ text: token, startMs: Math.round(at), endMs: Math.round(at + length) });
      at += length;
    });
  });
  return words;
}

export interface WavInfo {
  sampleRate: number;
  channels: number;
  durationSeconds: number;
}

/** The header facts the simulator reports, through the same parser recording ingest uses. */
export function wavInfo(bytes: Buffer): WavInfo {
  const header = parseWavHeader(bytes);
  const durationSeconds = header ? wavDurationSeconds(header, bytes.length) : null;
  if (!header || durationSeconds === null) throw new Error("Not a RIFF/WAVE file with audio data");
  return { sampleRate: header.sampleRate, channels: header.channels, durationSeconds };
}

/**
 * The same audio with a LIST/INFO comment chunk naming the recording. Two calls that heard the
 * same synthetic sentence must still yield different files, as real recordings always do, or a
 * store that keys anything by content hash would merge them. The chunk goes after `data`, so
 * readers that assume the canonical 44-byte header still find the samples where they expect.
 */
export function tagWav(bytes: Buffer, comment: string): Buffer {
  const text = Buffer.from(`${comment}\0`, "utf8");
  const padded = text.length % 2 === 0 ? text : Buffer.concat([text, Buffer.alloc(1)]);
  const icmt = Buffer.alloc(8);
  icmt.write("ICMT", 0, "ascii");
  icmt.writeUInt32LE(text.length, 4);
  const list = Buffer.alloc(12);
  list.write("LIST", 0, "ascii");
  list.writeUInt32LE(4 + 8 + padded.length, 4);
  list.write("INFO", 8, "ascii");
  const base = bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(1)]);
  const out = Buffer.concat([base, list, icmt, padded]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}
