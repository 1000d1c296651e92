import yauzl from "yauzl";
import type { BundleReader } from "./bundle";
import { BundleZipError, SMALL_FILE_MAX_BYTES } from "./bundle-limits";

export { BundleZipError } from "./bundle-limits";

/**
 * A bundle ZIP on disk as a `BundleReader`, read with yauzl (docs/adr/0017). Pure Node: the
 * CLI and the verify API use it. Whatever the archive holds, every failure to read it is a
 * `BundleZipError` with a reason, never a bare library error.
 *
 * On opening, from the central directory and before any entry's data is read, it refuses: more
 * than `maxEntries` entries; declared uncompressed sizes that add up to more than
 * `maxTotalBytes`; a compression method other than stored or deflate; an encrypted entry; a
 * duplicate name; and any name that is absolute, climbs with `..`, or uses backslashes.
 *
 * Reading, the declaration binds: yauzl counts each entry's inflated bytes against its declared
 * size and fails the stream as soon as there is one byte too many (or too few at the end), so an
 * entry inflates to at most what it declares. On top of that, `read` refuses a file declared
 * larger than its cap (`maxSmallFileBytes`, or the caller's smaller one) before inflating it,
 * and `stream(name, expectedBytes)` refuses a file not declared at exactly the size the caller
 * expects (the manifest's) and never yields more. Nothing is extracted to disk; data is
 * inflated as a stream, a chunk at a time.
 */
export interface ZipLimits {
  maxEntries: number;
  maxTotalBytes: number;
  maxSmallFileBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 10_000, maxTotalBytes: 4 * 1024 ** 3, maxSmallFileBytes: SMALL_FILE_MAX_BYTES };

const STORED = 0;
const DEFLATED = 8;
/** General purpose bit 0: the entry is encrypted (traditional PKWARE or strong). */
const ENCRYPTED_FLAG = 0x1;

export async function openZipBundle(file: string, limits: Partial<ZipLimits> = {}): Promise<BundleReader & { close(): void }> {
  const { maxEntries, maxTotalBytes, maxSmallFileBytes } = { ...DEFAULT_ZIP_LIMITS, ...limits };
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true }, (err, z) => (err ? reject(err) : resolve(z))),
    );
  } catch (error) {
    throw new BundleZipError("not_a_zip", `The file is not a readable ZIP: ${(error as Error).message}`, { cause: error });
  }
  if (zip.entryCount > maxEntries) {
    zip.close();
    throw new BundleZipError("too_many_entries", `The ZIP has ${zip.entryCount} entries; at most ${maxEntries} are accepted.`);
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      zip.on("error", (error: Error) => reject(new BundleZipError(directoryRefusal(error.message), `The ZIP cannot be read: ${error.message}`, { cause: error })));
      zip.on("end", () => resolve());
      zip.on("entry", (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (name.split("/").some((part) => part === "..") || name.startsWith("/") || name.includes("\\")) {
          return reject(new BundleZipError("unsafe_name", `The ZIP holds an entry with an unsafe name: ${JSON.stringify(name)}.`));
        }
        if (entries.has(name)) return reject(new BundleZipError("duplicate_name", `The ZIP holds two entries named ${JSON.stringify(name)}.`));
        if (entry.generalPurposeBitFlag & ENCRYPTED_FLAG) return reject(new BundleZipError("encrypted", `${name} is encrypted; a bundle's files never are.`));
        if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
          return reject(new BundleZipError("unsupported", `${name} uses compression method ${entry.compressionMethod}; only stored (0) and deflate (8) are read.`));
        }
        total += entry.uncompressedSize;
        if (total > maxTotalBytes) return reject(new BundleZipError("too_large", `The ZIP's entries add up to more than ${maxTotalBytes} bytes uncompressed.`));
        if (!name.endsWith("/")) entries.set(name, entry);
        zip.readEntry();
      });
      zip.readEntry();
    });
  } catch (error) {
    zip.close();
    throw error;
  }

  /** The entry's inflated bytes, at most `limit` of them, every failure a BundleZipError. */
  const open = async (entry: yauzl.Entry, limit: number): Promise<AsyncIterable<Buffer>> => {
    let source: NodeJS.ReadableStream & { destroy(): void };
    try {
      source = await new Promise((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))));
    } catch (error) {
      throw entryError(entry.fileName, error);
    }
    return (async function* () {
      let seen = 0;
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          seen += chunk.length;
          // yauzl's own count fails the stream first; this holds whatever the library does.
          if (seen > limit) throw new BundleZipError("size_mismatch", `${entry.fileName} inflates to more than ${limit} bytes.`);
          yield chunk;
        }
      } catch (error) {
        throw error instanceof BundleZipError ? error : entryError(entry.fileName, error);
      } finally {
        // Stops the file read and the inflater when the consumer stops early or the data is bad.
        source.destroy();
      }
    })();
  };

  return {
    names: () => [...entries.keys()],
    async read(name, maxBytes) {
      const entry = entries.get(name);
      if (!entry) return undefined;
      const cap = Math.min(maxBytes ?? maxSmallFileBytes, maxSmallFileBytes);
      if (entry.uncompressedSize > cap) throw new BundleZipError("too_large", `${name} is ${entry.uncompressedSize} bytes; at most ${cap} are read.`);
      // The declaration binds (see above), so the bytes fit the buffer sized from it exactly.
      const bytes = new Uint8Array(entry.uncompressedSize);
      let at = 0;
      for await (const chunk of await open(entry, entry.uncompressedSize)) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      return bytes;
    },
    async stream(name, expectedBytes) {
      const entry = entries.get(name);
      if (!entry) return undefined;
      if (expectedBytes !== undefined && entry.uncompressedSize !== expectedBytes) {
        throw new BundleZipError("size_mismatch", `${name} is ${entry.uncompressedSize} bytes in the ZIP; ${expectedBytes} were expected.`);
      }
      return open(entry, entry.uncompressedSize);
    },
    close: () => zip.close(),
  };
}

/** Why yauzl could not read the central directory. */
function directoryRefusal(message: string): BundleZipError["reason"] {
  if (/invalid.*(file|relative) ?(name|path)|absolute path|backslash/i.test(message)) return "unsafe_name";
  if (/encrypt/i.test(message)) return "encrypted";
  if (/size mismatch/i.test(message)) return "size_mismatch";
  return "not_a_zip";
}

/**
 * An error while opening or inflating one entry, as a refusal. yauzl's and zlib's messages name
 * the cause; anything unrecognized is `corrupt`, which is still the archive's fault.
 */
function entryError(name: string, error: unknown): BundleZipError {
  const message = error instanceof Error ? error.message : String(error);
  const reason: BundleZipError["reason"] = /unsupported compression method/i.test(message)
    ? "unsupported"
    : /encrypt/i.test(message)
      ? "encrypted"
      : /too many bytes|not enough bytes|size mismatch/i.test(message)
        ? "size_mismatch"
        : "corrupt";
  return new BundleZipError(reason, `${name} cannot be read: ${message}`, { cause: error });
}
