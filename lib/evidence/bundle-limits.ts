/**
 * What every `BundleReader` refuses (docs/adr/0017), whether the bundle is a ZIP on disk
 * (bundle-zip.ts) or files in memory (`memoryBundle`), and the one error it refuses with. Pure:
 * the verifier's callers map the error to their own answer (the verify API: 422 `zip_<reason>`).
 *
 * `SMALL_FILE_MAX_BYTES` caps a file read whole (JSON, JWS, DER) when the caller names no
 * smaller cap: 16 MiB. The largest such file in a genuine bundle is custody.json, which grows
 * by about 450 bytes with each export and verification of the call, so the cap is some 35 000
 * of them; the rest (manifests, proofs, keys, a timestamp token) are kilobytes. Reading and
 * parsing 16 MiB costs tens of milliseconds of one core and a few times that in memory, which
 * is what a hostile file can cost the verify API at most.
 */
export const SMALL_FILE_MAX_BYTES = 16 * 1024 ** 2;

export type BundleRefusal =
  /** Not a ZIP at all, or its central directory cannot be read. */
  | "not_a_zip"
  | "too_many_entries"
  /** Declared sizes above a limit: the whole archive's, or one file read whole. */
  | "too_large"
  | "unsafe_name"
  | "duplicate_name"
  /** A header or the compressed data is damaged (bad signature, data past the end, bad deflate stream). */
  | "corrupt"
  /** A compression method other than stored and deflate. */
  | "unsupported"
  | "encrypted"
  /** A file's bytes are not the size its ZIP entry (or the caller) declares. */
  | "size_mismatch";

export class BundleZipError extends Error {
  constructor(
    readonly reason: BundleRefusal,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "BundleZipError";
  }
}
