import "server-only";
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { NotFoundError } from "@/lib/errors";
import { HashingStream, toNodeReadable } from "@/lib/storage/hashing";
import { assertStoragePath } from "@/lib/storage/paths";
import { buildSignedStorageUrl, MAX_SIGNED_URL_SECONDS } from "@/lib/storage/signed-url";
import type { BlobStorage } from "@/lib/storage/types";

/**
 * Blobs as files under one root directory (the embedded default). Each object is written to a
 * temporary file in its own directory, fsynced, then renamed over the final name, so a reader
 * never sees half an object and a crash leaves at most a stray `.*.tmp` file. The content type
 * is kept next to the object in `.<name>.meta.json` (dot-names cannot be addressed as objects).
 * Signed URLs point at app/api/storage/[...path]/route.ts (see lib/storage/signed-url.ts).
 */

export interface StoredObjectInfo {
  bytes: number;
  contentType: string;
  sha256: string | null;
  modifiedAt: Date;
}

interface Meta {
  contentType: string;
  sha256: string;
  bytes: number;
}

const EXTENSION_TYPES: Record<string, string> = {
  ".wav": "audio/wav",
  ".mp3": "audio/mpeg",
  ".json": "application/json",
  ".zip": "application/zip",
  ".txt": "text/plain; charset=utf-8",
};

/** Objects larger than this are refused (a 4-hour two-channel 8 kHz WAV is about 230 MB). */
const MAX_OBJECT_BYTES = 2 * 1024 ** 3;

export interface FilesystemStorageOptions {
  root: string;
  publicBaseUrl: string;
  /** SESSION_SECRET; signed URLs derive their own key from it. */
  secret: string | undefined;
  maxBytes?: number;
}

export class FilesystemStorage implements BlobStorage {
  readonly root: string;

  constructor(private readonly options: FilesystemStorageOptions) {
    this.root = path.resolve(options.root);
  }

  /** The absolute file for a validated object path; never outside the root. */
  fileFor(objectPath: string): string {
    assertStoragePath(objectPath);
    const file = path.resolve(this.root, objectPath);
    if (!file.startsWith(this.root + path.sep)) throw new Error("storage path escapes the root"); // unreachable after the check above
    return file;
  }

  private metaFileFor(file: string): string {
    return path.join(path.dirname(file), `.${path.basename(file)}.meta.json`);
  }

  async put(
    objectPath: string,
    body: ReadableStream<Uint8Array> | NodeJS.ReadableStream,
    opts: { contentType: string },
  ): Promise<{ bytes: number; sha256: string }> {
    const file = this.fileFor(objectPath);
    const dir = path.dirname(file);
    await mkdir(dir, { recursive: true });
    const temp = path.join(dir, `.${path.basename(file)}.${randomUUID()}.tmp`);
    const hashing = new HashingStream(this.options.maxBytes ?? MAX_OBJECT_BYTES);
    let renamed = false;
    try {
      // `flush: true` fsyncs the file before it is closed, so the rename below never publishes
      // a name whose data is still only in the page cache.
      await pipeline(toNodeReadable(body), hashing, createWriteStream(temp, { flags: "wx", mode: 0o640, flush: true }));
      const result = hashing.result();
      const meta: Meta = { contentType: opts.contentType, ...result };
      // Metadata first, so a published object always has its metadata. A crash between the
      // renames can leave new metadata beside an older object; info() ignores metadata whose
      // size disagrees with the file and falls back to the extension's type.
      const metaTemp = `${temp}.meta`;
      await writeFile(metaTemp, JSON.stringify(meta), { mode: 0o640 });
      await rename(metaTemp, this.metaFileFor(file));
      await rename(temp, file);
      renamed = true;
      await syncDirectory(dir);
      return result;
    } finally {
      if (!renamed) {
        await unlink(temp).catch(() => {});
        await unlink(`${temp}.meta`).catch(() => {});
      }
    }
  }

  async signedUrl(objectPath: string, opts: { expiresInSeconds: number }): Promise<string> {
    assertStoragePath(objectPath);
    const seconds = Math.floor(opts.expiresInSeconds);
    if (!(seconds >= 1 && seconds <= MAX_SIGNED_URL_SECONDS)) {
      throw new RangeError(`expiresInSeconds must be between 1 and ${MAX_SIGNED_URL_SECONDS}`);
    }
    if (!this.options.secret) throw new Error("Signed storage URLs need SESSION_SECRET.");
    const exp = Math.floor(Date.now() / 1000) + seconds;
    return buildSignedStorageUrl(this.options.publicBaseUrl, objectPath, exp, this.options.secret);
  }

  async exists(objectPath: string): Promise<boolean> {
    try {
      return (await stat(this.fileFor(objectPath))).isFile();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Size, type and hash of a stored object; NotFoundError when there is none. */
  async info(objectPath: string): Promise<StoredObjectInfo> {
    const file = this.fileFor(objectPath);
    let stats;
    try {
      stats = await stat(file);
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError("No such stored object.");
      throw err;
    }
    if (!stats.isFile()) throw new NotFoundError("No such stored object.");
    const meta = await readMeta(this.metaFileFor(file));
    // Metadata from an earlier object at the same path is ignored when the sizes disagree.
    const usable = meta && meta.bytes === stats.size ? meta : undefined;
    return {
      bytes: stats.size,
      contentType: usable?.contentType ?? EXTENSION_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
      sha256: usable?.sha256 ?? null,
      modifiedAt: stats.mtime,
    };
  }

  async open(objectPath: string): Promise<Readable> {
    const file = this.fileFor(objectPath);
    try {
      if (!(await stat(file)).isFile()) throw new NotFoundError("No such stored object.");
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError("No such stored object.");
      throw err;
    }
    return createReadStream(file);
  }

  async remove(objectPath: string): Promise<void> {
    const file = this.fileFor(objectPath);
    for (const target of [file, this.metaFileFor(file)]) {
      try {
        await unlink(target);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** A stream of bytes `start`..`end` (inclusive) of a stored object. */
  read(objectPath: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.fileFor(objectPath), range ? { start: range.start, end: range.end } : {});
  }
}

async function readMeta(file: string): Promise<Meta | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<Meta>;
    if (typeof parsed.contentType === "string" && typeof parsed.bytes === "number" && typeof parsed.sha256 === "string") {
      return parsed as Meta;
    }
  } catch {
    // missing or unreadable metadata: fall back to the extension
  }
  return undefined;
}

/** Make the rename durable. Not every platform can fsync a directory; that is not an error. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
