import { constants, crc32, deflateRawSync } from "node:zlib";

/**
 * ZIP archives written byte by byte (PKWARE APPNOTE §4.3: local headers and data, the central
 * directory, the end record), so that a test can make what no well-behaved writer makes: sizes
 * that lie, a damaged signature, data past the end of the file, a bad deflate stream, a method
 * or flag the reader refuses, and deflate bombs. The verify API's tests and `bench:verify`
 * send them.
 */
export interface RawEntry {
  name: string;
  /** The bytes as they sit in the file: already deflated when `method` is 8. */
  data: Buffer;
  method: number;
  crc32: number;
  /** Declared in both headers. */
  compressedSize: number;
  uncompressedSize: number;
  flags?: number;
  localSignature?: number;
}

const LOCAL_SIGNATURE = 0x04034b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;
/** 1980-01-01, the DOS epoch. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export function storedEntry(name: string, bytes: Uint8Array): RawEntry {
  const data = Buffer.from(bytes);
  return { name, data, method: 0, crc32: crc32(data), compressedSize: data.length, uncompressedSize: data.length };
}

export function deflatedEntry(name: string, bytes: Uint8Array): RawEntry {
  const data = deflateRawSync(bytes);
  return { name, data, method: 8, crc32: crc32(bytes), compressedSize: data.length, uncompressedSize: bytes.length };
}

/**
 * A raw deflate stream of `mebibytes` MiB of zeros, about 1 KiB per MiB, made without
 * inflating anything: one fully flushed block of 1 MiB of zeros (byte-aligned, with no
 * reference into earlier data) repeated, then an empty final block.
 */
export function zeroBomb(mebibytes: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(1024 * 1024), { finishFlush: constants.Z_FULL_FLUSH });
  return Buffer.concat([...Array.from({ length: mebibytes }, () => block), Buffer.from([0x03, 0x00])]);
}

/** An entry that inflates to `mebibytes` MiB of zeros and declares `declaredBytes`. */
export function bombEntry(name: string, mebibytes: number, declaredBytes: number): RawEntry {
  const data = zeroBomb(mebibytes);
  // The CRC is never checked by the reader; a bomb's real one would cost inflating it.
  return { name, data, method: 8, crc32: 0, compressedSize: data.length, uncompressedSize: declaredBytes };
}

export function zipOfEntries(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(entry.localSignature ?? LOCAL_SIGNATURE, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.flags ?? 0, 6);
    local.writeUInt16LE(entry.method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(entry.crc32 >>> 0, 14);
    local.writeUInt32LE(entry.compressedSize, 18);
    local.writeUInt32LE(entry.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_SIGNATURE, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(entry.flags ?? 0, 8);
    header.writeUInt16LE(entry.method, 10);
    header.writeUInt16LE(0, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(entry.crc32 >>> 0, 16);
    header.writeUInt32LE(entry.compressedSize, 20);
    header.writeUInt32LE(entry.uncompressedSize, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);

    parts.push(local, name, entry.data);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_SIGNATURE, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/** The eight ways of malformed archive the verify API must refuse with a 4xx, and the code each gets. */
export const MALFORMED = {
  /** Deflated, declaring fewer bytes than it inflates to. */
  sizes_too_small: "zip_size_mismatch",
  /** Deflated, declaring more bytes than it inflates to. */
  sizes_too_large: "zip_size_mismatch",
  /** A compressed size that runs past the end of the file. */
  compressed_past_eof: "zip_corrupt",
  bad_local_signature: "zip_corrupt",
  /** Deflate data that is not a deflate stream (an invalid block type). */
  corrupt_deflate: "zip_corrupt",
  /** Compression method 12 (bzip2). */
  bzip2: "zip_unsupported",
  /** General purpose flag bit 0 set. */
  encrypted: "zip_encrypted",
  /** Any other failure while the entry streams: the deflate stream cut in half. */
  truncated_deflate: "zip_corrupt",
} as const;
export type Malformation = keyof typeof MALFORMED;

/** `bytes` as the entry `name`, malformed the way `kind` says. */
export function malformedEntry(kind: Malformation, name: string, bytes: Uint8Array): RawEntry {
  const entry = deflatedEntry(name, bytes);
  switch (kind) {
    case "sizes_too_small":
      return { ...entry, uncompressedSize: Math.floor(bytes.length / 2) };
    case "sizes_too_large":
      return { ...entry, uncompressedSize: bytes.length + 1000 };
    case "compressed_past_eof":
      return { ...entry, compressedSize: entry.compressedSize + 10 * 1024 * 1024 };
    case "bad_local_signature":
      return { ...entry, localSignature: LOCAL_SIGNATURE + 1 };
    case "corrupt_deflate": {
      const data = Buffer.from(entry.data);
      data[0] = 0xff;
      return { ...entry, data };
    }
    case "bzip2":
      return { ...entry, method: 12 };
    case "encrypted":
      return { ...entry, flags: 0x1 };
    case "truncated_deflate":
      return { ...entry, compressedSize: Math.floor(entry.compressedSize / 2) };
  }
}

/** Every file of a bundle as a ZIP, `target` replaced by `replacement` (the rest stored). */
export function zipWith(files: ReadonlyMap<string, Uint8Array>, target: string, replacement: RawEntry): Buffer {
  return zipOfEntries([...files].map(([name, bytes]) => (name === target ? replacement : storedEntry(name, bytes))));
}
