import "server-only";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { HashingStream, toNodeReadable } from "@/lib/storage/hashing";
import { assertStoragePath } from "@/lib/storage/paths";
import { MAX_SIGNED_URL_SECONDS } from "@/lib/storage/signed-url";
import type { BlobStorage } from "@/lib/storage/types";

/**
 * Supabase Storage (production), one private bucket, used with the secret key from the server
 * only. Uploads stream: the body passes through a hashing stream on its way into storage-js's
 * `upload`, which accepts a web ReadableStream and sets `duplex: 'half'` for it itself (Node's
 * fetch requires that for streamed request bodies). A single upload is atomic on Supabase's
 * side (an S3 PUT), so readers never see a partial object.
 *
 * `upsert: true`: an ingest retried after the upload succeeded but before its row was marked
 * stored writes the same object again; nothing refers to an object until its row is `stored`,
 * and stored rows are frozen by a trigger, so an overwrite can never change evidence.
 */
export interface SupabaseStorageOptions {
  url: string;
  secretKey: string;
  bucket: string;
  maxBytes?: number;
}

export class SupabaseStorage implements BlobStorage {
  private readonly client: SupabaseClient;

  constructor(private readonly options: SupabaseStorageOptions) {
    this.client = createClient(options.url, options.secretKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
  }

  private bucket() {
    return this.client.storage.from(this.options.bucket);
  }

  async put(
    path: string,
    body: ReadableStream<Uint8Array> | NodeJS.ReadableStream,
    opts: { contentType: string },
  ): Promise<{ bytes: number; sha256: string }> {
    assertStoragePath(path);
    const hashing = new HashingStream(this.options.maxBytes);
    const piping = pipeline(toNodeReadable(body), hashing);
    const upload = this.bucket().upload(path, Readable.toWeb(hashing) as ReadableStream<Uint8Array>, {
      contentType: opts.contentType,
      upsert: true,
      duplex: "half",
      cacheControl: "private, max-age=0",
    });
    const [{ error }] = await Promise.all([upload, piping]);
    if (error) throw new Error(`Supabase Storage refused the upload of ${path}: ${error.message}`);
    return hashing.result();
  }

  async signedUrl(path: string, opts: { expiresInSeconds: number }): Promise<string> {
    assertStoragePath(path);
    const seconds = Math.floor(opts.expiresInSeconds);
    if (!(seconds >= 1 && seconds <= MAX_SIGNED_URL_SECONDS)) {
      throw new RangeError(`expiresInSeconds must be between 1 and ${MAX_SIGNED_URL_SECONDS}`);
    }
    const { data, error } = await this.bucket().createSignedUrl(path, seconds);
    if (error || !data) throw new Error(`Supabase Storage could not sign ${path}: ${error?.message ?? "no URL returned"}`);
    return data.signedUrl;
  }

  async open(path: string): Promise<NodeJS.ReadableStream> {
    assertStoragePath(path);
    // storage-js answers a Blob; its stream is read once, by the caller.
    const { data, error } = await this.bucket().download(path);
    if (error || !data) throw new Error(`Supabase Storage could not read ${path}: ${error?.message ?? "no data"}`);
    return Readable.fromWeb(data.stream() as import("node:stream/web").ReadableStream<Uint8Array>);
  }

  async exists(path: string): Promise<boolean> {
    assertStoragePath(path);
    // storage-js answers { data: false } for a missing object and throws on other errors.
    const { data } = await this.bucket().exists(path);
    return data === true;
  }

  async remove(path: string): Promise<void> {
    assertStoragePath(path);
    // storage-js answers success for a name that is not there.
    const { error } = await this.bucket().remove([path]);
    if (error) throw new Error(`Supabase Storage could not delete ${path}: ${error.message}`);
  }
}
