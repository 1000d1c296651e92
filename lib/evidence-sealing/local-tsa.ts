import "server-only";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { certificateToPem, derToPem, OID, parseCertificate, pemToDer, TIMESTAMP_QUERY_TYPE, TIMESTAMP_REPLY_TYPE, oidToString, toArrayBuffer } from "@/lib/evidence/timestamp";

/**
 * A local RFC 3161 time-stamping authority for the embedded default and for tests. It is an
 * honest TSA with its own self-signed CA, not a trusted third party: the page labels its
 * tokens as local. Its files live in the directory given to it (the app passes
 * `.data/evidence-tsa`): `ca.pem` (the trust anchor a verifier is given), `tsa.pem` (the
 * signing certificate, with the critical timeStamping EKU) and their private keys, mode 0600.
 *
 * Keys are ECDSA P-256 and tokens are signed with ecdsa-with-SHA256, which OpenSSL, PKI.js and
 * every mainstream verifier accept.
 */

/** A fixed policy OID for the local TSA, under the UUID arc (2.25, ITU-T X.667): no registration needed. */
export const LOCAL_TSA_POLICY = "2.25.216172782113783808236452356085127843817";

export interface LocalTsa {
  /** The self-signed CA certificate (PEM): what a verifier trusts. */
  caCertificate: string;
  /** The TSA's signing certificate (PEM), issued by the CA. */
  tsaCertificate: string;
  /** Answers DER TimeStampReq bytes with DER TimeStampResp bytes. Never throws for bad input. */
  respond(request: Uint8Array): Promise<Uint8Array>;
}

const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
const FILES = { caCert: "ca.pem", caKey: "ca-key.pem", tsaCert: "tsa.pem", tsaKey: "tsa-key.pem" } as const;

/** The local TSA in `dir`, creating its CA and signing certificate on first use. */
export async function loadOrCreateLocalTsa(dir: string, options: { now?: () => Date } = {}): Promise<LocalTsa> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = await readAll(dir);
  const files = existing ?? (await createAuthority(dir));
  const tsaCert = parseCertificate(files.tsaCert, `${dir}/${FILES.tsaCert}`);
  const tsaKey = await crypto.subtle.importKey("pkcs8", toArrayBuffer(pemToDer(files.tsaKey)), ECDSA, false, ["sign"]);
  const now = options.now ?? (() => new Date());
  return {
    caCertificate: files.caCert,
    tsaCertificate: files.tsaCert,
    respond: (request) => respond(request, { tsaCert, tsaKey, now }),
  };
}

/**
 * Serves a TSA over HTTP as RFC 3161 §3.4 describes: POST `application/timestamp-query`,
 * answered with `application/timestamp-reply`. Listens on 127.0.0.1 and an ephemeral port
 * unless told otherwise.
 */
export async function startTimeStampServer(tsa: Pick<LocalTsa, "respond">, options: { host?: string; port?: number } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    if (req.headers["content-type"]?.split(";")[0]?.trim() !== TIMESTAMP_QUERY_TYPE) {
      res.writeHead(415, { "content-type": "text/plain" }).end(`Send ${TIMESTAMP_QUERY_TYPE}.`);
      return;
    }
    req.on("error", () => res.destroy());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.writableEnded) return;
      void tsa.respond(new Uint8Array(Buffer.concat(chunks))).then(
        (reply) => res.writeHead(200, { "content-type": TIMESTAMP_REPLY_TYPE, "content-length": reply.length }).end(reply),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

const MAX_REQUEST_BYTES = 16 * 1024;

// PKIFailureInfo bits (RFC 3161 §2.4.2).
const FAIL = { badAlg: 0, badRequest: 2, badDataFormat: 5, unacceptedPolicy: 15, unacceptedExtension: 16, systemFailure: 25 } as const;
const DIGEST_LENGTH: Record<string, number> = { [OID.sha256]: 32, [OID.sha384]: 48, [OID.sha512]: 64 };

async function respond(requestDer: Uint8Array, signer: { tsaCert: pkijs.Certificate; tsaKey: CryptoKey; now: () => Date }): Promise<Uint8Array> {
  let request: pkijs.TimeStampReq;
  try {
    request = pkijs.TimeStampReq.fromBER(toArrayBuffer(requestDer));
  } catch {
    return rejection(FAIL.badDataFormat, "The request is not a DER TimeStampReq.");
  }
  if (request.version !== 1) return rejection(FAIL.badRequest, `Unsupported TimeStampReq version ${request.version}.`);
  const imprint = request.messageImprint;
  const expectedLength = DIGEST_LENGTH[imprint.hashAlgorithm.algorithmId];
  if (expectedLength === undefined) return rejection(FAIL.badAlg, "Only SHA-256, SHA-384 and SHA-512 imprints are accepted.");
  if (imprint.hashedMessage.valueBlock.valueHexView.byteLength !== expectedLength) return rejection(FAIL.badDataFormat, "The imprint's length does not match its algorithm.");
  if (request.reqPolicy !== undefined && requestedPolicy(requestDer) !== LOCAL_TSA_POLICY) return rejection(FAIL.unacceptedPolicy, `This TSA issues tokens under policy ${LOCAL_TSA_POLICY} only.`);
  if (request.extensions?.length) return rejection(FAIL.unacceptedExtension, "This TSA accepts no request extensions.");

  try {
    const tstInfo = new pkijs.TSTInfo({
      version: 1,
      policy: LOCAL_TSA_POLICY,
      messageImprint: imprint,
      serialNumber: new asn1js.Integer({ valueHex: positive(randomBytes(16)) }),
      genTime: signer.now(),
      accuracy: new pkijs.Accuracy({ seconds: 1 }),
      ...(request.nonce ? { nonce: request.nonce } : {}),
    });
    const tstDer = new Uint8Array(tstInfo.toSchema().toBER(false));
    const attributes = [
      new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.tstInfo })] }),
      new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: sha256(tstDer) })] }),
      new pkijs.Attribute({ type: OID.signingCertificateV2, values: [signingCertificateV2(signer.tsaCert)] }),
    ];
    const signedData = new pkijs.SignedData({
      version: 3,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.tstInfo, eContent: new asn1js.OctetString({ valueHex: tstDer }) }),
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.tsaCert.issuer, serialNumber: signer.tsaCert.serialNumber }),
          // DER orders a SET OF by encoding; verifiers that re-encode (OpenSSL) depend on it.
          signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: derSorted(attributes) }),
        }),
      ],
      ...(request.certReq ? { certificates: [signer.tsaCert] } : {}),
    });
    await signedData.sign(signer.tsaKey, 0, "SHA-256");
    const token = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
    const response = new pkijs.TimeStampResp({ status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }), timeStampToken: token });
    return new Uint8Array(response.toSchema().toBER(false));
  } catch {
    return rejection(FAIL.systemFailure, "The TSA could not sign the token.");
  }
}

/** TimeStampReq's reqPolicy (third element when present), decoded for arcs of any size. */
function requestedPolicy(requestDer: Uint8Array): string | undefined {
  const fields = (asn1js.fromBER(toArrayBuffer(requestDer)).result as asn1js.Sequence).valueBlock.value;
  const oid = fields.find((f) => f instanceof asn1js.ObjectIdentifier);
  return oid ? oidToString(oid) : undefined;
}

function rejection(failBit: number, text: string): Uint8Array {
  const bytes = new Uint8Array(Math.floor(failBit / 8) + 1);
  bytes[bytes.length - 1] = 0x80 >> failBit % 8;
  const response = new pkijs.TimeStampResp({
    status: new pkijs.PKIStatusInfo({
      status: pkijs.PKIStatus.rejection,
      statusStrings: [new asn1js.Utf8String({ value: text })],
      failInfo: new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (failBit % 8) }),
    }),
  });
  return new Uint8Array(response.toSchema().toBER(false));
}

/** SigningCertificateV2 (RFC 5035) with one ESSCertIDv2: SHA-256 of the TSA certificate (the default algorithm, so omitted). */
function signingCertificateV2(certificate: pkijs.Certificate): asn1js.Sequence {
  const certHash = sha256(new Uint8Array(certificate.toSchema(true).toBER(false)));
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: certHash })] })] })] });
}

function derSorted(attributes: pkijs.Attribute[]): pkijs.Attribute[] {
  const encoded = attributes.map((a) => ({ a, der: Buffer.from(a.toSchema().toBER(false)) }));
  return encoded.sort((x, y) => Buffer.compare(x.der, y.der)).map((e) => e.a);
}

interface AuthorityFiles {
  caCert: string;
  caKey: string;
  tsaCert: string;
  tsaKey: string;
}

async function readAll(dir: string): Promise<AuthorityFiles | undefined> {
  try {
    const [caCert, caKey, tsaCert, tsaKey] = await Promise.all([FILES.caCert, FILES.caKey, FILES.tsaCert, FILES.tsaKey].map((f) => readFile(path.join(dir, f), "utf8")));
    return { caCert: caCert!, caKey: caKey!, tsaCert: tsaCert!, tsaKey: tsaKey! };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Makes the CA and the TSA certificate and publishes them together: everything is written
 * into a fresh subdirectory first, and `tsa.pem` — the file `readAll` needs last — is linked
 * into place last, with link's no-replace semantics deciding between concurrent first starts.
 */
async function createAuthority(dir: string): Promise<AuthorityFiles> {
  const ca = await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
  const tsa = await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
  const now = new Date();
  const years = (n: number) => new Date(Date.UTC(now.getUTCFullYear() + n, now.getUTCMonth(), now.getUTCDate()));
  const caName = "Verbatim local time-stamping CA (not a public TSA)";
  const caCert = await issue({ subject: caName, issuer: caName, subjectKey: ca.publicKey, issuerKey: ca.privateKey, issuerPublicKey: ca.publicKey, notAfter: years(30), ca: true });
  const tsaCert = await issue({ subject: "Verbatim local time-stamping authority", issuer: caName, subjectKey: tsa.publicKey, issuerKey: ca.privateKey, issuerPublicKey: ca.publicKey, notAfter: years(20), ca: false });
  const files: AuthorityFiles = {
    caCert: certificateToPem(caCert),
    caKey: derToPem(new Uint8Array(await crypto.subtle.exportKey("pkcs8", ca.privateKey)), "PRIVATE KEY"),
    tsaCert: certificateToPem(tsaCert),
    tsaKey: derToPem(new Uint8Array(await crypto.subtle.exportKey("pkcs8", tsa.privateKey)), "PRIVATE KEY"),
  };
  const staging = path.join(dir, `.staging-${randomUUID()}`);
  await mkdir(staging, { mode: 0o700 });
  try {
    for (const [name, file] of [["caCert", FILES.caCert], ["caKey", FILES.caKey], ["tsaKey", FILES.tsaKey], ["tsaCert", FILES.tsaCert]] as const) {
      await writeFile(path.join(staging, file), files[name], { mode: file.endsWith("-key.pem") ? 0o600 : 0o644, flag: "wx" });
    }
    // Publish in the same order; if another process got there first, use its authority.
    for (const file of [FILES.caCert, FILES.caKey, FILES.tsaKey, FILES.tsaCert]) {
      try {
        await link(path.join(staging, file), path.join(dir, file));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        await waitForAll(dir);
        const theirs = await readAll(dir);
        if (theirs) return theirs;
        throw new Error(`${dir} holds a partial local TSA (${file} exists); remove the directory to start a new authority.`);
      }
    }
    return files;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The winner of a first start publishes four links in a row, but on a busy machine (several app
 * and worker processes starting at once on two cores) its event loop may stall between them for
 * seconds: wait up to 30 s for `tsa.pem` before calling the authority partial. Only a winner
 * that died half-way makes anyone wait that long.
 */
async function waitForAll(dir: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await readAll(dir)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function issue(args: {
  subject: string;
  issuer: string;
  subjectKey: CryptoKey;
  issuerKey: CryptoKey;
  issuerPublicKey: CryptoKey;
  notAfter: Date;
  ca: boolean;
}): Promise<pkijs.Certificate> {
  const certificate = new pkijs.Certificate();
  certificate.version = 2;
  certificate.serialNumber = new asn1js.Integer({ valueHex: positive(randomBytes(16)) });
  certificate.subject.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: args.subject }) }));
  certificate.issuer.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: args.issuer }) }));
  certificate.notBefore = x509Time(new Date(Date.now() - 60_000));
  certificate.notAfter = x509Time(args.notAfter);
  await certificate.subjectPublicKeyInfo.importKey(args.subjectKey);

  const subjectKeyId = await keyIdentifier(args.subjectKey);
  const issuerKeyId = await keyIdentifier(args.issuerPublicKey);
  const basic = new pkijs.BasicConstraints({ cA: args.ca });
  // keyUsage: keyCertSign + cRLSign for the CA (bits 5, 6); digitalSignature for the TSA (bit 0).
  const usage = args.ca ? new asn1js.BitString({ valueHex: Uint8Array.of(0x06), unusedBits: 1 }) : new asn1js.BitString({ valueHex: Uint8Array.of(0x80), unusedBits: 7 });
  const extensions = [
    new pkijs.Extension({ extnID: "2.5.29.19", critical: true, extnValue: basic.toSchema().toBER(false), parsedValue: basic }),
    new pkijs.Extension({ extnID: "2.5.29.15", critical: true, extnValue: usage.toBER(false), parsedValue: usage }),
    new pkijs.Extension({ extnID: "2.5.29.14", critical: false, extnValue: new asn1js.OctetString({ valueHex: subjectKeyId }).toBER(false) }),
    new pkijs.Extension({
      extnID: "2.5.29.35",
      critical: false,
      extnValue: new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: issuerKeyId }) }).toSchema().toBER(false),
    }),
  ];
  if (!args.ca) {
    // RFC 3161 §2.3: exactly one extended key usage, id-kp-timeStamping, and it MUST be critical.
    const eku = new pkijs.ExtKeyUsage({ keyPurposes: [OID.timeStamping] });
    extensions.push(new pkijs.Extension({ extnID: OID.extKeyUsage, critical: true, extnValue: eku.toSchema().toBER(false), parsedValue: eku }));
  }
  certificate.extensions = extensions;
  await certificate.sign(args.issuerKey, "SHA-256");
  return certificate;
}

async function keyIdentifier(publicKey: CryptoKey): Promise<Uint8Array> {
  // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
  const info = new pkijs.PublicKeyInfo();
  await info.importKey(publicKey);
  return new Uint8Array(createHash("sha1").update(info.subjectPublicKey.valueBlock.valueHexView).digest());
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function x509Time(value: Date): pkijs.Time {
  return new pkijs.Time({ type: value.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value });
}

/** A random serial number that DER reads as positive. */
function positive(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[0] = (copy[0]! & 0x7f) | 0x40; // top bit clear (positive), next set (no leading zero byte)
  return copy;
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
