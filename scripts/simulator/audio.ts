import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parseWavHeader, wavDurationSeconds } from "@/lib/storage/wav";
import { readSpeechMetadata, writeSpeechMetadata, type SpeechMetadata, type SpeechTurn, type SpeechWord } from "./speech-metadata";

/**
 * Real speech for simulated recordings: espeak-ng speaks the text, sox turns it into what a
 * carrier hands out (8 kHz, 16-bit PCM WAV, mono or one party per channel). Real audio, not
 * silence or noise, so the transcriber stand-in and any human listening get words, and hashes
 * cover bytes the same shape as production's.
 *
 * Synthesis costs tens of milliseconds per line and the same few sentences recur, so results
 * are cached on disk under `audioDir` by a hash of everything that shapes the output (text,
 * channels, voices, rate, format version). Files are written to a temporary name and renamed,
 * so concurrent calls never read half a file. Both tools run through execFile with the text in
 * a file, never on a shell command line.
 *
 * Each file carries what was said in a `vbtm` chunk (speech-metadata.ts): per turn its channel,
 * speaker, text and time span, and per word an estimated span. espeak-ng's command line does not
 * report word events, so word times are derived from the synthesized audio: the turn's speech
 * span is found from sample energy (leading and trailing silence dropped), pauses inside it
 * (≥ 120 ms of quiet) are matched to the clause punctuation of the text when their counts agree,
 * and within each clause the time is shared among words by length (digits count triple, as
 * they are spoken as whole words). Good to a few hundred ms, which is what a transcript
 * synced to a player and a "first spoke at" measurement need.
 */

const run = promisify(execFile);

const SAMPLE_RATE = 8000;
/** The calling side and the called side sound different, so a listener can tell them apart. */
const CALLER_VOICE = "en-us";
const CALLEE_VOICE = "en-us+f3";
const WORDS_PER_MINUTE = 160;
/** Silence between two parties' turns. */
const TURN_GAP_SECONDS = 0.6;
const FORMAT_VERSION = 2;

export const INSTALL_HINT = "install espeak-ng and sox (apt-get install -y espeak-ng sox)";

export class AudioToolsMissingError extends Error {
  override name = "AudioToolsMissingError";
}

export interface SpeechAudio {
  /** The cached file (shared by every recording of the same text). */
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
}

/**
 * One text: spoken by the called party (channel 2 in stereo, channel 1 left silent, as a
 * dual-channel recording of a party that only listens would be).
 * Two texts `[caller, callee]`: a turn each, one after the other; in stereo each party on its
 * own channel (channel 1 the caller, as in a carrier's dual-channel recording), in mono mixed
 * into one.
 */
export async function speechWav(text: string | readonly [string, string], options: SpeechOptions): Promise<SpeechAudio> {
  const turns = typeof text === "string" ? ([null, text] as const) : text;
  const key = createHash("sha256")
    .update(JSON.stringify({ v: FORMAT_VERSION, turns, channels: options.channels, CALLER_VOICE, CALLEE_VOICE, WORDS_PER_MINUTE, SAMPLE_RATE }))
    .digest("hex");
  const target = path.join(options.audioDir, `${key}.wav`);

  let pending = inFlight.get(target);
  if (!pending) {
    pending = readOrSynthesize(target, turns, options).finally(() => inFlight.delete(target));
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

async function readOrSynthesize(
  target: string,
  turns: readonly [string | null, string],
  options: SpeechOptions,
): Promise<Buffer> {
  try {
    return await readFile(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(options.audioDir, { recursive: true });
  const work = await mkdtemp(path.join(options.audioDir, ".work-"));
  try {
    const [callerText, calleeText] = turns;
    const callee = await speakLine(work, "callee", calleeText, CALLEE_VOICE);
    const out = path.join(work, "out.wav");
    const spoken: SpeechTurn[] = [];
    if (callerText === null) {
      spoken.push(turnAt(callee, "callee", options.channels === 2 ? 2 : 1, 0));
      if (options.channels === 1) {
        await rename(callee.file, out);
      } else {
        const silence = path.join(work, "silence.wav");
        await sox(["-n", ...PCM, silence, "trim", "0", callee.seconds.toFixed(4)]);
        await sox(["-M", silence, callee.file, out]);
      }
    } else {
      const caller = await speakLine(work, "caller", callerText, CALLER_VOICE);
      // The callee answers after the caller's turn and a short gap, on either layout.
      const calleeStart = caller.seconds + TURN_GAP_SECONDS;
      spoken.push(turnAt(caller, "caller", 1, 0), turnAt(callee, "callee", options.channels === 2 ? 2 : 1, calleeStart));
      const delayed = path.join(work, "callee-delayed.wav");
      if (options.channels === 2) {
        await sox([callee.file, delayed, "pad", calleeStart.toFixed(4)]);
        // -M pads the shorter input with silence, so the caller's channel runs to the end too.
        await sox(["-M", caller.file, delayed, out]);
      } else {
        await sox([callee.file, delayed, "pad", TURN_GAP_SECONDS.toFixed(4)]);
        await sox([caller.file, delayed, out]);
      }
    }
    await writeFile(out, writeSpeechMetadata(await readFile(out), { version: 1, timing: TIMING, turns: spoken }));
    const bytes = await readFile(out);
    await rename(out, target);
    return bytes;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** 8 kHz, mono, 16-bit signed PCM. */
const PCM = ["-r", String(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"];

interface SpokenLine {
  file: string;
  seconds: number;
  text: string;
  /** Word spans relative to the line's own start, ms. */
  words: SpeechWord[];
}

async function speakLine(work: string, name: string, text: string, voice: string): Promise<SpokenLine> {
  const textFile = path.join(work, `${name}.txt`);
  const raw = path.join(work, `${name}-raw.wav`);
  const file = path.join(work, `${name}.wav`);
  await writeFile(textFile, text);
  await tool("espeak-ng", ["-v", voice, "-s", String(WORDS_PER_MINUTE), "-f", textFile, "-w", raw]);
  await sox([raw, ...PCM, file]);
  const bytes = await readFile(file);
  return { file, seconds: wavInfo(bytes).durationSeconds, text, words: estimateWordTimes(text, bytes) };
}

const TIMING =
  "espeak-ng synthesis; turn spans exact, word spans estimated from the audio's energy (speech span, clause pauses) and word length";

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

/**
 * Word spans (ms from the start of `wav`, a mono 16-bit PCM file holding `text` spoken once).
 * Exported for tests.
 */
export function estimateWordTimes(text: string, wav: Buffer): SpeechWord[] {
  const tokens = text.split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return [];
  const header = parseWavHeader(wav);
  if (!header || header.dataOffset === null || header.bitsPerSample !== 16) throw new Error("estimateWordTimes needs 16-bit PCM");
  const frameSamples = Math.max(1, Math.round((header.sampleRate * FRAME_MS) / 1000)) * header.channels;
  const end = Math.min(wav.length, header.dataOffset + (header.dataBytes ?? wav.length));
  const loud: boolean[] = [];
  for (let at = header.dataOffset; at + 1 < end; at += frameSamples * 2) {
    let peak = 0;
    for (let i = at; i + 1 < Math.min(end, at + frameSamples * 2); i += 2) peak = Math.max(peak, Math.abs(wav.readInt16LE(i)));
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
      : // Counts disagree (a pause espeak did not make, or one inside a word): one span for all.
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

/** -V1: failures only (resampling speech can clip a sample, which is not worth a warning);
 * -D: no dither, so the same text always gives the same bytes. */
function sox(args: string[]): Promise<void> {
  return tool("sox", ["-V1", "-D", ...args]);
}

async function tool(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { timeout: 30_000 });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new AudioToolsMissingError(`${command} was not found: ${INSTALL_HINT}`);
    throw new Error(`${command} failed: ${(err.stderr ?? err.message).trim()}`, { cause: error });
  }
}

/** Fails fast, naming the fix, when either tool is missing (the CLI calls it at start). */
export async function checkAudioTools(): Promise<void> {
  await tool("espeak-ng", ["--version"]);
  await tool("sox", ["--version"]);
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
