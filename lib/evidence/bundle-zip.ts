import yauzl from "yauzl";
import type { BundleReader } from "./bundle";

/**
 * A bundle ZIP on disk as a `BundleReader`, read with yauzl (docs/adr/0017). Pure Node: the
 * CLI and the verify API use it. It refuses what a hostile ZIP could do to the reader before
 * reading any entry's data: more than `maxEntries` entries, declared uncompressed sizes that add
 * up to more than `maxTotalBytes` (yauzl checks each entry's real size against its declared one
 * while inflating, so the declaration binds), a duplicate name, and any name that is absolute,
 * climbs with `..`, or uses backslashes (yauzl's own file-name validation). Nothing is
 * extracted to disk; entries are streamed on demand, and small ones read whole up to
 * `maxSmallFileBytes`.
 */
export interface ZipLimits {
  maxEntries: number;
  maxTotalBytes: number;
  maxSmallFileBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 10_000, maxTotalBytes: 4 * 1024 ** 3, maxSmallFileBytes: 64 * 1024 ** 2 };

export class BundleZipError extends Error {
  constructor(
    readonly reason: "not_a_zip" | "too_many_entries" | "too_large" | "unsafe_name" | "duplicate_name",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "BundleZipError";
  }
}

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
      zip.on("error", (error: Error) => reject(new BundleZipError(/invalid.*(file|relative) ?(name|path)|absolute path|backslash/i.test(error.message) ? "unsafe_name" : "not_a_zip", `The ZIP cannot be read: ${error.message}`, { cause: error })));
      zip.on("end", () => resolve());
      zip.on("entry", (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (name.split("/").some((part) => part === "..") || name.startsWith("/") || name.includes("\\")) {
          return reject(new BundleZipError("unsafe_name", `The ZIP holds an entry with an unsafe name: ${JSON.stringify(name)}.`));
        }
        if (entries.has(name)) return reject(new BundleZipError("duplicate_name", `The ZIP holds two entries named ${JSON.stringify(name)}.`));
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

  const open = (entry: yauzl.Entry) =>
    new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))));

  return {
    names: () => [...entries.keys()],
    async read(name) {
      const entry = entries.get(name);
      if (!entry) return undefined;
      if (entry.uncompressedSize > maxSmallFileBytes) throw new BundleZipError("too_large", `${name} is larger than ${maxSmallFileBytes} bytes.`);
      const chunks: Buffer[] = [];
      for await (const chunk of (await open(entry)) as AsyncIterable<Buffer>) chunks.push(chunk);
      return new Uint8Array(Buffer.concat(chunks));
    },
    async stream(name) {
      const entry = entries.get(name);
      return entry ? ((await open(entry)) as AsyncIterable<Uint8Array>) : undefined;
    },
    close: () => zip.close(),
  };
}
