import { z } from "zod";

/**
 * What was said in a synthesized recording, carried inside the WAV itself in a private RIFF
 * chunk `vbtm` (Verbatim metadata) whose body is UTF-8 JSON. The carrier stand-in writes it when
 * it synthesizes speech; the transcriber stand-in reads it from the bytes it downloaded from
 * `audio_url`. The file is then the only channel between the two, as a recording is the only
 * thing a real carrier and a real transcriber share: a transcript can only contain what was in
 * the audio that was actually fetched.
 *
 * RIFF readers skip chunks they do not know (lib/storage/wav.ts does), and the chunk goes after
 * `data`, so players and readers that expect the samples at byte 44 still find them there.
 *
 * Times are milliseconds from the start of the file. Word times are estimates (see audio.ts).
 */

export const SPEECH_CHUNK_ID = "vbtm";

export const speechWordSchema = z.object({ text: z.string().min(1), startMs: z.number().nonnegative(), endMs: z.number().nonnegative() });

export const speechTurnSchema = z.object({
  /** 1-based channel the turn is heard on (always 1 in mono). */
  channel: z.number().int().positive(),
  /** Who speaks: "caller" (the calling side) or "callee" (the called party). */
  speaker: z.string().min(1),
  text: z.string(),
  startMs: z.number().nonnegative(),
  endMs: z.number().nonnegative(),
  words: z.array(speechWordSchema),
});

export const transcriberScenarioSchema = z.enum(["success", "error", "error_once", "slow", "duplicate"]);
export type TranscriberScenario = z.infer<typeof transcriberScenarioSchema>;

export const speechMetadataSchema = z.object({
  version: z.literal(1),
  /** How the timings were obtained, for whoever reads the file later. */
  timing: z.string(),
  turns: z.array(speechTurnSchema),
  /** Optional marker for the transcriber stand-in: how to treat this audio. */
  transcriber: z.object({ scenario: transcriberScenarioSchema }).optional(),
});

export type SpeechWord = z.infer<typeof speechWordSchema>;
export type SpeechTurn = z.infer<typeof speechTurnSchema>;
export type SpeechMetadata = z.infer<typeof speechMetadataSchema>;

export interface RiffChunk {
  id: string;
  /** Offset of the chunk header. */
  offset: number;
  /** Offset of the body. */
  body: number;
  size: number;
}

/** Every top-level chunk of a RIFF/WAVE file, in order; [] when it is not one. */
export function riffChunks(bytes: Uint8Array): RiffChunk[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") return [];
  const chunks: RiffChunk[] = [];
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const size = buf.readUInt32LE(offset + 4);
    chunks.push({ id: buf.toString("ascii", offset, offset + 4), offset, body: offset + 8, size });
    if (size === 0xffffffff) break;
    offset += 8 + size + (size % 2);
  }
  return chunks;
}

/** The metadata in `bytes`, or null when the file has none (or it does not parse). */
export function readSpeechMetadata(bytes: Uint8Array): SpeechMetadata | null {
  const chunk = riffChunks(bytes).find((c) => c.id === SPEECH_CHUNK_ID);
  if (!chunk || chunk.body + chunk.size > bytes.length) return null;
  try {
    const json: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + chunk.body, chunk.size).toString("utf8"));
    const parsed = speechMetadataSchema.safeParse(json);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The same WAV with `metadata` in its `vbtm` chunk (replacing any), appended at the end. */
export function writeSpeechMetadata(bytes: Buffer, metadata: SpeechMetadata): Buffer {
  const kept = withoutChunks(bytes, new Set([SPEECH_CHUNK_ID]));
  const json = Buffer.from(JSON.stringify(speechMetadataSchema.parse(metadata)), "utf8");
  const head = Buffer.alloc(8);
  head.write(SPEECH_CHUNK_ID, 0, "ascii");
  head.writeUInt32LE(json.length, 4);
  const out = Buffer.concat([kept, head, json, json.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

/** The file with the named chunks left out (RIFF size fixed up); unchanged when it is not RIFF. */
export function withoutChunks(bytes: Buffer, ids: ReadonlySet<string>): Buffer {
  const chunks = riffChunks(bytes);
  if (chunks.length === 0) return bytes;
  const parts: Buffer[] = [bytes.subarray(0, 12)];
  for (const chunk of chunks) {
    if (ids.has(chunk.id)) continue;
    const end = Math.min(bytes.length, chunk.body + chunk.size + (chunk.size % 2));
    parts.push(bytes.subarray(chunk.offset, end));
  }
  const out = Buffer.concat(parts);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}
