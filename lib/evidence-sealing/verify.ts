import "server-only";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { config } from "@/lib/config";
import { asService } from "@/lib/db";
import { PayloadTooLargeError, UnprocessableError, UnsupportedMediaTypeError } from "@/lib/errors";
import { BundleZipError, openZipBundle } from "@/lib/evidence/bundle-zip";
import { jwks } from "@/lib/evidence/keys";
import { verifyBundle, verifyManifestJws, type VerificationReport } from "@/lib/evidence/verify-bundle";
import { evidenceKeyring, timeStampAuthority } from "@/lib/evidence-sealing/authority";
import { appendCustodyEvent } from "@/lib/evidence-sealing/custody";
import { checkAgainstOrganization } from "@/lib/evidence-sealing/verify-against-log";

/**
 * `POST /api/evidence/verify` (docs/adr/0017): a bundle ZIP (`application/zip`) or a manifest
 * JWS (`application/jose` or text), checked by the offline verifier against this server's keys
 * and TSA certificates (not the ones the bundle brings: the question is "did Verbatim seal
 * this?"), then against the organization's own log and custody record (verify-against-log.ts).
 * A ZIP is streamed to a private temporary file, at most `EVIDENCE_VERIFY_MAX_BYTES` (413 past
 * it), read with the ZIP limits of lib/evidence/bundle-zip.ts, and removed. Every verification
 * is a custody event naming the manifest's hash, and the call when the manifest is this
 * organization's.
 */
const ZIP_TYPES = new Set(["application/zip", "application/x-zip-compressed"]);
const JWS_TYPES = new Set(["application/jose", "text/plain"]);
const MAX_JWS_BYTES = 1024 * 1024;

export async function verifyUpload(req: Request, args: { orgId: string; actorUserId: string; requestId: string }): Promise<VerificationReport> {
  const type = req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!ZIP_TYPES.has(type) && !JWS_TYPES.has(type)) {
    throw new UnsupportedMediaTypeError("Send an evidence bundle as application/zip, or a manifest JWS as application/jose or text/plain.");
  }
  const limit = ZIP_TYPES.has(type) ? config().evidence.verifyMaxBytes : MAX_JWS_BYTES;
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  const [keyring, tsa] = await Promise.all([evidenceKeyring(), timeStampAuthority()]);
  const trust = { jwks: jwks(keyring), trustedTsaCertificates: tsa.trustedCertificates };

  let report: VerificationReport;
  if (JWS_TYPES.has(type)) {
    const text = Buffer.concat(await collect(req.body, limit)).toString("utf8").trim();
    report = await verifyManifestJws(text, trust.jwks);
  } else {
    const dir = await mkdtemp(path.join(tmpdir(), "verbatim-verify-"));
    try {
      const file = path.join(dir, "bundle.zip");
      await pipeline(Readable.fromWeb((req.body ?? new Blob([]).stream()) as never), limiter(limit), createWriteStream(file, { mode: 0o600 }));
      let bundle: Awaited<ReturnType<typeof openZipBundle>>;
      try {
        bundle = await openZipBundle(file);
      } catch (error) {
        if (error instanceof BundleZipError) throw new UnprocessableError(error.message, `zip_${error.reason}`);
        throw error;
      }
      try {
        report = await verifyBundle(bundle, trust);
      } catch (error) {
        if (error instanceof BundleZipError) throw new UnprocessableError(error.message, `zip_${error.reason}`);
        throw error;
      } finally {
        bundle.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

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

function limiter(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) return done(new PayloadTooLargeError(limit));
      done(null, chunk);
    },
  });
}

async function collect(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let seen = 0;
  if (!body) return chunks;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    seen += chunk.length;
    if (seen > limit) throw new PayloadTooLargeError(limit);
    chunks.push(Buffer.from(chunk));
  }
  return chunks;
}
