import "server-only";
import { createHash } from "node:crypto";
import { Readable, Transform, type TransformCallback } from "node:stream";

/**
 * A pass-through stream that hashes (SHA-256) and counts what flows through it, so an upload
 * is hashed exactly as written, without holding it in memory. `maxBytes` aborts a body that
 * grows past a limit.
 */
export class HashingStream extends Transform {
  private readonly hash = createHash("sha256");
  private count = 0;
  private digest: string | undefined;

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.maxBytes) {
      callback(new Error(`The object is larger than ${this.maxBytes} bytes.`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest("hex");
    callback();
  }

  /** Bytes and hex SHA-256 of everything that passed; only after the stream has ended. */
  result(): { bytes: number; sha256: string } {
    if (this.digest === undefined) throw new Error("HashingStream.result() before the stream ended");
    return { bytes: this.count, sha256: this.digest };
  }
}

/** A Node readable for either kind of body `BlobStorage.put` accepts. */
export function toNodeReadable(body: ReadableStream<Uint8Array> | NodeJS.ReadableStream): Readable {
  if (body instanceof Readable) return body;
  if (typeof (body as ReadableStream<Uint8Array>).getReader === "function") {
    return Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>);
  }
  return new Readable().wrap(body as NodeJS.ReadableStream);
}
