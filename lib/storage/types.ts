/** The one storage interface; adapters in lib/storage/{filesystem,supabase}.ts. */
export interface BlobStorage {
  /**
   * Stream `body` to `path` while computing SHA-256. Atomic: readers see the old object or the
   * complete new one, never a partial write. Returns the bytes written and their hex SHA-256.
   */
  put(
    path: string,
    body: ReadableStream<Uint8Array> | NodeJS.ReadableStream,
    opts: { contentType: string },
  ): Promise<{ bytes: number; sha256: string }>;
  /** A short-lived URL that lets a browser GET the object without other credentials. */
  signedUrl(path: string, opts: { expiresInSeconds: number }): Promise<string>;
  exists(path: string): Promise<boolean>;
  /** The stored bytes as a stream (the sealing job hashes them); NotFoundError when there is no object. */
  open(path: string): Promise<NodeJS.ReadableStream>;
  /** Delete the object (an expired export archive); no error when there is none. */
  remove(path: string): Promise<void>;
}
