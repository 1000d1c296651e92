/**
 * Just enough of RIFF/WAVE to describe a recording: channels, sample rate and duration, from the
 * `fmt ` and `data` chunks. Pure (no I/O), so it runs on the first bytes of a download. Reads
 * only what it is given; a `data` chunk that starts inside the prefix is enough, since its
 * declared size (or the object's total size, for streamed WAVs whose header says 0 or
 * 0xFFFFFFFF) gives the duration.
 */
export interface WavInfo {
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  byteRate: number;
  blockAlign: number;
  /** Offset of the first audio byte; null when the `data` chunk was not within the prefix. */
  dataOffset: number | null;
  /** Declared size of the `data` chunk; null when unknown (streaming placeholder or not seen). */
  dataBytes: number | null;
}

const UNKNOWN_SIZE = 0xffffffff;

function fourcc(view: DataView, offset: number): string {
  return String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2), view.getUint8(offset + 3));
}

/** Parse the header from the first bytes of a WAV file; null when it is not one we understand. */
export function parseWavHeader(bytes: Uint8Array): WavInfo | null {
  if (bytes.length < 12) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fourcc(view, 0) !== "RIFF" || fourcc(view, 8) !== "WAVE") return null;

  let fmt: Omit<WavInfo, "dataOffset" | "dataBytes"> | null = null;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = fourcc(view, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.length) return null;
      fmt = {
        formatTag: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        byteRate: view.getUint32(body + 8, true),
        blockAlign: view.getUint16(body + 12, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
      if (fmt.channels === 0 || fmt.sampleRate === 0) return null;
    } else if (id === "data") {
      if (!fmt) return null; // `fmt ` must come first
      return { ...fmt, dataOffset: body, dataBytes: size === 0 || size === UNKNOWN_SIZE ? null : size };
    }
    if (size === UNKNOWN_SIZE) break;
    offset = body + size + (size % 2); // chunks are padded to an even length
  }
  return fmt ? { ...fmt, dataOffset: null, dataBytes: null } : null;
}

/**
 * Duration in seconds of the audio, given the object's total size (for headers that do not
 * declare the data size, and to never count past the end of a truncated file). Null when the
 * header does not say enough.
 */
export function wavDurationSeconds(info: WavInfo, totalBytes?: number): number | null {
  const bytesPerSecond = info.byteRate || info.sampleRate * info.blockAlign;
  if (!bytesPerSecond) return null;
  let dataBytes = info.dataBytes;
  if (info.dataOffset !== null && totalBytes !== undefined) {
    const available = Math.max(0, totalBytes - info.dataOffset);
    dataBytes = dataBytes === null ? available : Math.min(dataBytes, available);
  }
  if (dataBytes === null) return null;
  return dataBytes / bytesPerSecond;
}
