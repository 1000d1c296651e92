import "server-only";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { JSONWebKeySet } from "jose";
import { config } from "@/lib/config";
import { asService } from "@/lib/db";
import { PayloadTooLargeError, UnprocessableError, UnsupportedMediaTypeError, ValidationError } from "@/lib/errors";
import { BundleZipError, DEFAULT_ZIP_LIMITS, openZipBundle } from "@/lib/evidence/bundle-zip";
import { jwks } from "@/lib/evidence-sealing/keys";
import { verifyBundle, verifyManifestJws, type VerificationReport } from "@/lib/evidence/verify-bundle";
import { evidenceKeyring, timeStampAuthority } from "@/lib/evidence-sealing/authority";
import { appendCustodyEvent } from "@/lib/evidence-sealing/custody";
import { checkAgainstOrganization } from "@/lib/evidence-sealing/verify-against-log";
import { ConcurrencyLimit } from "@/lib/http/concurrency-limit";

/**
 * `POST /api/evidence/verify` (docs/adr/0017, 0028): a bundle ZIP (`application/zip`) or a
 * manifest JWS (`application/jose` or text), checked by the offline verifier against this
 * server's keys and TSA certificates (not the ones the bundle brings: the question is "did
 * Verbatim seal this?"), then against the organization's own log and custody record
 * (verify-against-log.ts, docs/adr/0025). Every verification is a custody event naming the
 * manifest's hash, and the call when the manifest is this organization's.
 *
 * A ZIP costs the server at most this, whatever it holds:
 * - the upload is streamed to a private temporary file (removed afterwards) a chunk at a time,
 *   at most `EVIDENCE_VERIFY_MAX_BYTES`: 413 at once when Content-Length says more, or when the
 *   bytes counted pass it, without reading the rest;
 * - at most `EVIDENCE_VERIFY_CONCURRENCY` bundles are received and checked at once in this
 *   process; one more is 429 with Retry-After before its body is read;
 * - its entries may declare at most the upload's size plus `INFLATE_ALLOWANCE_BYTES`
 *   uncompressed in all, so inflating is bounded by what was sent; each entry inflates to at
 *   most its declared size, a small file is read whole only up to its cap, and an artifact
 *   only at the size its manifest declares (lib/evidence/bundle-zip.ts);
 * - a ZIP that cannot be read safely, however it is malformed, is 422 `zip_<reason>`.
 */
const ZIP_TYPES = new Set(["application/zip", "application/x-zip-compressed"]);
const JWS_TYPES = new Set(["application/jose", "text/plain"]);
const MAX_JWS_BYTES = 1024 * 1024;
/**
 * How much more than its own size a bundle may declare uncompressed. A genuine bundle stores
 * its media as they are and deflates only JSON (manifests, proofs, transcripts, custody), which
 * is far less than this; a ZIP bomb declares gigabytes from a few megabytes.
 */
export const INFLATE_ALLOWANCE_BYTES = 64 * 1024 ** 2;
/** Roughly how long a large bundle takes to check here, so a refused client retries after one. */
const BUSY_RETRY_AFTER_SECONDS = 10;

const bundleVerifications = new ConcurrencyLimit(() => config().evidence.verifyConcurrency, {
  message: "This server is already checking as many evidence bundles as it checks at once. Send the bundle again shortly.",
  retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS,
}, "evidence_verify");

export async function verifyUpload(req: Request, args: { orgId: string; actorUserId: string; requestId: string }): Promise<VerificationReport> {
  const type = req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!ZIP_TYPES.has(type) && !JWS_TYPES.has(type)) {
    throw new UnsupportedMediaTypeError("Send an evidence bundle as application/zip, or a manifest JWS as application/jose or text/plain.");
  }
  const isZip = ZIP_TYPES.has(type);
  const limit = isZip ? config().evidence.verifyMaxBytes : MAX_JWS_BYTES;
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);

  let report = isZip ? await bundleVerifications.run(async () => verifyZip(req.body, limit, await serverTrust())) : await verifyJws(req.body, limit);

  await asService(async (tx) => {
    report = await checkAgainstOrganization(tx, args.orgId, report);
    const sha256 = report.manifest?.sha256 ?? null;
    const [ours] = sha256
      ? await tx<{ id: string; callId: string }[]>`
          select id, call_id as "callId" from public.evidence_manifests where organization_id = ${args.orgId} and manifest_sha256 = ${sha256} limit 1`
      : [];
    await appendCustodyEvent(tx, { orgId: args.orgId, actorUserId: args.actorUserId, action: "evidence.verified", callId: ours?.callId ?? null, manifestId: ours?.id ?? null, sha256, requestId: args.requestId });
  });
  return report;
}

async function serverTrust(): Promise<{ jwks: JSONWebKeySet; trustedTsaCertificates: string[] }> {
  const [keyring, tsa] = await Promise.all([evidenceKeyring(), timeStampAuthority()]);
  return { jwks: jwks(keyring), trustedTsaCertificates: tsa.trustedCertificates };
}

async function verifyJws(body: ReadableStream<Uint8Array> | null, limit: number): Promise<VerificationReport> {
  const { jwks: keys } = await serverTrust();
  const chunks: Uint8Array[] = [];
  for await (const chunk of upTo(body, limit)) chunks.push(chunk);
  return verifyManifestJws(Buffer.concat(chunks).toString("utf8").trim(), keys);
}

async function verifyZip(body: ReadableStream<Uint8Array> | null, limit: number, trust: Awaited<ReturnType<typeof serverTrust>>): Promise<VerificationReport> {
  const dir = await mkdtemp(path.join(tmpdir(), "verbatim-verify-"));
  try {
    const file = path.join(dir, "bundle.zip");
    await pipeline(upTo(body, limit), createWriteStream(file, { mode: 0o600 }));
    const received = (await stat(file)).size;
    const maxTotalBytes = Math.min(DEFAULT_ZIP_LIMITS.maxTotalBytes, received + INFLATE_ALLOWANCE_BYTES);
    const bundle = await refusedAs422(() => openZipBundle(file, { maxTotalBytes }));
    try {
      return await refusedAs422(() => verifyBundle(bundle, trust));
    } finally {
      bundle.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function refusedAs422<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BundleZipError) throw new UnprocessableError(error.message, `zip_${error.reason}`);
    throw error;
  }
}

/**
 * The request body's chunks, 413 as soon as they add up to more than `limit`. Past the limit,
 * and when the consumer stops, the rest is left unread rather than cancelled: cancelling the
 * body destroys the socket, and the 413 would never reach the client (the route closes the
 * connection after answering instead).
 */
async function* upTo(body: ReadableStream<Uint8Array> | null, limit: number): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  let seen = 0;
  try {
    for (;;) {
      const next = await reader.read().catch(() => {
        throw new ValidationError("The upload stopped before the whole body arrived.");
      });
      if (next.done) return;
      seen += next.value.byteLength;
      if (seen > limit) throw new PayloadTooLargeError(limit);
      yield next.value;
    }
  } finally {
    reader.releaseLock();
  }
}
