import { createHash, randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

/**
 * RFC 3161 trusted timestamps for signed tree heads, built and checked with PKI.js (+ asn1js).
 *
 * A client asks a time-stamping authority (TSA) for a token over SHA-256(bytes), with a nonce
 * and certReq, by HTTP POST (`application/timestamp-query` → `application/timestamp-reply`,
 * RFC 3161 §3.4). A token is accepted only when: the TSA granted it; its message imprint is
 * SHA-256 of exactly those bytes; its nonce is ours (when we know it); the CMS signature
 * verifies with the signer's certificate; that certificate chains to a trusted TSA certificate
 * at genTime, carries exactly the critical id-kp-timeStamping extended key usage (RFC 3161
 * §2.3), and is the one the ESS signing-certificate(-v2) attribute names (RFC 5035).
 */

export const OID = {
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingCertificate: "1.2.840.113549.1.9.16.2.12",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  extKeyUsage: "2.5.29.37",
  timeStamping: "1.3.6.1.5.5.7.3.8",
} as const;

export const TIMESTAMP_QUERY_TYPE = "application/timestamp-query";
export const TIMESTAMP_REPLY_TYPE = "application/timestamp-reply";

export type TimeStampFailure =
  | "malformed"
  | "not_granted"
  | "imprint_mismatch"
  | "nonce_mismatch"
  | "signer_certificate_missing"
  | "signing_certificate_mismatch"
  | "not_a_tsa_certificate"
  | "untrusted_tsa"
  | "bad_signature"
  | "transport";

/** Why a timestamp was refused, in a form a verifier can name. */
export class TimeStampError extends Error {
  constructor(
    readonly reason: TimeStampFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "TimeStampError";
  }
}

export interface TimeStampRequest {
  /** DER TimeStampReq, the body to POST. */
  der: Uint8Array;
  nonce: bigint;
  /** SHA-256 of the data being stamped. */
  imprint: Uint8Array;
}

export interface VerifiedTimeStamp {
  genTime: Date;
  serialNumber: string;
  policy: string;
  nonce: bigint | undefined;
  /** The certificate that signed the token (PEM). */
  tsaCertificate: string;
}

/** A TimeStampReq (RFC 3161 §2.4.1) for SHA-256(data), with a fresh 64-bit nonce and certReq. */
export function createTimeStampRequest(data: Uint8Array, options: { nonce?: bigint } = {}): TimeStampRequest {
  const imprint = sha256(data);
  const nonce = options.nonce ?? BigInt(`0x${randomBytes(8).toString("hex")}`);
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256, algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
    }),
    nonce: asn1js.Integer.fromBigInt(nonce),
    certReq: true,
  });
  return { der: new Uint8Array(request.toSchema().toBER(false)), nonce, imprint };
}

/** The status of a TimeStampResp and, when granted, its token (DER ContentInfo). */
export function parseTimeStampResponse(der: Uint8Array): { status: number; statusText: string | undefined; failInfo: number[]; token: Uint8Array | undefined } {
  let response: pkijs.TimeStampResp;
  try {
    response = pkijs.TimeStampResp.fromBER(toArrayBuffer(der));
  } catch (error) {
    throw new TimeStampError("malformed", `The TSA's reply is not a TimeStampResp: ${(error as Error).message}`, { cause: error });
  }
  const info = response.status;
  const failInfo: number[] = [];
  if (info.failInfo) {
    const bits = new Uint8Array(info.failInfo.valueBlock.valueHexView);
    bits.forEach((byte, i) => {
      for (let b = 0; b < 8; b++) if (byte & (0x80 >> b)) failInfo.push(i * 8 + b);
    });
  }
  const statusText = info.statusStrings?.map((s) => s.valueBlock.value).join("; ");
  const token = response.timeStampToken ? new Uint8Array(response.timeStampToken.toSchema().toBER(false)) : undefined;
  return { status: info.status, statusText, failInfo, token };
}

/**
 * Asks the TSA at `url` for a token over `data` and checks it completely before returning it.
 * `trustedCertificates` are the PEM certificates the TSA's signing certificate must chain to.
 */
export async function requestTimeStamp(
  url: string,
  data: Uint8Array,
  options: { trustedCertificates: readonly string[]; fetch?: typeof fetch; timeoutMs?: number },
): Promise<VerifiedTimeStamp & { token: Uint8Array }> {
  const request = createTimeStampRequest(data);
  let reply: Uint8Array;
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": TIMESTAMP_QUERY_TYPE, accept: TIMESTAMP_REPLY_TYPE },
      body: request.der as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const type = response.headers.get("content-type")?.split(";")[0]?.trim();
    // Some TSAs still send the pre-RFC name; the reply is fully verified either way.
    if (type !== TIMESTAMP_REPLY_TYPE && type !== "application/timestamp-response") throw new Error(`content type ${type ?? "(none)"}, not ${TIMESTAMP_REPLY_TYPE}`);
    reply = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    if (error instanceof TimeStampError) throw error;
    throw new TimeStampError("transport", `The TSA at ${url} did not answer with a timestamp reply: ${(error as Error).message}`, { cause: error });
  }
  const parsed = parseTimeStampResponse(reply);
  // 0 granted, 1 grantedWithMods (RFC 3161 §2.4.2); anything else carries no token.
  if ((parsed.status !== 0 && parsed.status !== 1) || !parsed.token) {
    throw new TimeStampError("not_granted", `The TSA refused the request (status ${parsed.status}${parsed.statusText ? `: ${parsed.statusText}` : ""}${parsed.failInfo.length ? `, failInfo bits ${parsed.failInfo.join(",")}` : ""}).`);
  }
  const verified = await verifyTimeStampToken(parsed.token, { data, nonce: request.nonce, trustedCertificates: options.trustedCertificates });
  return { ...verified, token: parsed.token };
}

/** Checks a TimeStampToken (DER ContentInfo) over `data` as the module comment describes. */
export async function verifyTimeStampToken(
  token: Uint8Array,
  options: { data: Uint8Array; nonce?: bigint; trustedCertificates: readonly string[] },
): Promise<VerifiedTimeStamp> {
  let signedData: pkijs.SignedData;
  let tstInfo: pkijs.TSTInfo;
  try {
    const contentInfo = pkijs.ContentInfo.fromBER(toArrayBuffer(token));
    if (contentInfo.contentType !== OID.signedData) throw new Error(`content type ${contentInfo.contentType} is not signed-data`);
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
    if (signedData.encapContentInfo.eContentType !== OID.tstInfo || !signedData.encapContentInfo.eContent) throw new Error("it does not carry a TSTInfo");
    if (signedData.signerInfos.length !== 1) throw new Error(`it has ${signedData.signerInfos.length} signers, not one`);
    tstInfo = pkijs.TSTInfo.fromBER(signedData.encapContentInfo.eContent.getValue());
  } catch (error) {
    throw new TimeStampError("malformed", `The timestamp token is not an RFC 3161 TimeStampToken: ${(error as Error).message}`, { cause: error });
  }

  const imprint = tstInfo.messageImprint;
  if (imprint.hashAlgorithm.algorithmId !== OID.sha256) {
    throw new TimeStampError("imprint_mismatch", `The token's message imprint uses ${imprint.hashAlgorithm.algorithmId}, not SHA-256.`);
  }
  if (!bytesEqual(new Uint8Array(imprint.hashedMessage.valueBlock.valueHexView), sha256(options.data))) {
    throw new TimeStampError("imprint_mismatch", "The token is over other data: its message imprint is not SHA-256 of the signed tree head.");
  }
  const nonce = tstInfo.nonce?.toBigInt();
  if (options.nonce !== undefined && nonce !== options.nonce) {
    throw new TimeStampError("nonce_mismatch", "The token's nonce is not the one in our request: it answers another request.");
  }

  const signerInfo = signedData.signerInfos[0]!;
  const trusted = options.trustedCertificates.map((pem, i) => parseCertificate(pem, `trusted TSA certificate ${i}`));
  const signer = findSigner(signerInfo, [...(signedData.certificates ?? []).filter((c) => c instanceof pkijs.Certificate), ...trusted]);
  if (!signer) throw new TimeStampError("signer_certificate_missing", "Neither the token nor the trusted certificates hold the certificate that signed the token.");
  if (!signedData.certificates?.some((c) => c instanceof pkijs.Certificate && bytesEqual(der(c), der(signer)))) {
    signedData.certificates = [...(signedData.certificates ?? []), signer];
  }

  checkTimeStampingUsage(signer);
  checkSigningCertificateAttribute(signerInfo, signer);

  // The trust anchor may be the TSA's own certificate rather than its CA: then there is no
  // chain to build, only the validity period to check at the token's time.
  const directlyTrusted = trusted.some((c) => bytesEqual(der(c), der(signer)));
  if (directlyTrusted && (tstInfo.genTime < signer.notBefore.value || tstInfo.genTime > signer.notAfter.value)) {
    throw new TimeStampError("untrusted_tsa", "The token's time is outside the TSA certificate's validity period.");
  }
  if (!isStrictEcdsaDer(signerInfo)) throw new TimeStampError("bad_signature", "The token's ECDSA signature is not DER-encoded.");

  let result: pkijs.SignedDataVerifyResult;
  try {
    result = await signedData.verify({ signer: 0, data: toArrayBuffer(options.data), trustedCerts: trusted, checkChain: !directlyTrusted, extendedMode: true });
  } catch (error) {
    const failure = error as pkijs.SignedDataVerifyError;
    if (failure.code === 5) throw new TimeStampError("untrusted_tsa", `The TSA's certificate does not chain to a trusted TSA certificate at the token's time: ${failure.message}`, { cause: error });
    throw new TimeStampError("bad_signature", `The token's CMS signature does not verify: ${failure.message ?? String(error)}`, { cause: error });
  }
  if (!result.signatureVerified) throw new TimeStampError("bad_signature", "The token's CMS signature does not verify with the TSA's certificate.");

  return {
    genTime: tstInfo.genTime,
    serialNumber: Buffer.from(tstInfo.serialNumber.valueBlock.valueHexView).toString("hex"),
    policy: policyOf(signedData.encapContentInfo.eContent!.getValue()),
    nonce,
    tsaCertificate: certificateToPem(signer),
  };
}

/**
 * ECDSA signatures travel as DER SEQUENCE { r, s }; a lenient parser accepts variants of the
 * same (r, s). Demand the one DER form, so no byte of a token can change without failing.
 */
function isStrictEcdsaDer(signerInfo: pkijs.SignerInfo): boolean {
  if (!signerInfo.signatureAlgorithm.algorithmId.startsWith("1.2.840.10045.4.")) return true;
  const bytes = new Uint8Array(signerInfo.signature.valueBlock.valueHexView);
  const parsed = asn1js.fromBER(toArrayBuffer(bytes));
  if (parsed.offset !== bytes.length || parsed.result.error || !(parsed.result instanceof asn1js.Sequence)) return false;
  const ints = parsed.result.valueBlock.value;
  if (ints.length !== 2 || !ints.every((i) => i instanceof asn1js.Integer)) return false;
  const canonical = new asn1js.Sequence({ value: ints.map((i) => new asn1js.Integer({ valueHex: new Uint8Array((i as asn1js.Integer).valueBlock.valueHexView) })) });
  return bytesEqual(new Uint8Array(canonical.toBER(false)), bytes);
}

/** The TSTInfo's policy OID, decoded with BigInt: asn1js cannot print arcs above 2^53 (the 2.25 UUID arc). */
function policyOf(tstDer: ArrayBuffer): string {
  const block = (asn1js.fromBER(tstDer).result as asn1js.Sequence).valueBlock.value[1]!;
  return oidToString(block);
}

/** Dotted form of an OBJECT IDENTIFIER block, for arcs of any size. */
export function oidToString(block: asn1js.BaseBlock): string {
  const tlv = block.valueBeforeDecodeView;
  const content = tlv.subarray(block.idBlock.blockLength + block.lenBlock.blockLength);
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of content) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs].join(".");
}

/** RFC 3161 §2.3: the signing certificate has one extended key usage, timeStamping, marked critical. */
function checkTimeStampingUsage(certificate: pkijs.Certificate): void {
  const eku = certificate.extensions?.filter((e) => e.extnID === OID.extKeyUsage) ?? [];
  const purposes = eku.length === 1 && eku[0]!.parsedValue instanceof pkijs.ExtKeyUsage ? eku[0]!.parsedValue.keyPurposes : [];
  if (eku.length !== 1 || !eku[0]!.critical || purposes.length !== 1 || purposes[0] !== OID.timeStamping) {
    throw new TimeStampError("not_a_tsa_certificate", "The token's signing certificate is not a TSA certificate: it needs exactly one, critical, extended key usage: timeStamping.");
  }
}

/** RFC 5035 / RFC 2634: the ESS signing-certificate(-v2) attribute must name the signer's certificate by hash. */
function checkSigningCertificateAttribute(signerInfo: pkijs.SignerInfo, certificate: pkijs.Certificate): void {
  const attributes = signerInfo.signedAttrs?.attributes ?? [];
  const v2 = attributes.find((a) => a.type === OID.signingCertificateV2);
  const v1 = attributes.find((a) => a.type === OID.signingCertificate);
  const attribute = v2 ?? v1;
  if (!attribute) throw new TimeStampError("signing_certificate_mismatch", "The token has no ESS signing-certificate attribute naming the TSA's certificate.");
  try {
    // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), policies OPTIONAL }
    const first = ((attribute.values[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
    const fields = first.valueBlock.value;
    let algorithm: string = v2 ? OID.sha256 : OID.sha1; // ESSCertIDv2's hashAlgorithm defaults to SHA-256
    let hashField = fields[0];
    if (v2 && fields[0] instanceof asn1js.Sequence) {
      algorithm = new pkijs.AlgorithmIdentifier({ schema: fields[0] }).algorithmId;
      hashField = fields[1];
    }
    if (!(hashField instanceof asn1js.OctetString)) throw new Error("no certHash");
    const name = { [OID.sha1]: "sha1", [OID.sha256]: "sha256", [OID.sha384]: "sha384", [OID.sha512]: "sha512" }[algorithm];
    if (!name) throw new Error(`unsupported hash ${algorithm}`);
    const expected = new Uint8Array(createHash(name).update(der(certificate)).digest());
    if (!bytesEqual(new Uint8Array(hashField.valueBlock.valueHexView), expected)) throw new Error("its certificate hash names another certificate");
  } catch (error) {
    throw new TimeStampError("signing_certificate_mismatch", `The token's ESS signing-certificate attribute does not match the TSA's certificate: ${(error as Error).message}`, { cause: error });
  }
}

function findSigner(signerInfo: pkijs.SignerInfo, candidates: pkijs.Certificate[]): pkijs.Certificate | undefined {
  const sid = signerInfo.sid;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return candidates.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
  }
  // SubjectKeyIdentifier: [0] IMPLICIT OCTET STRING, which asn1js may read as constructed.
  const tagged = sid as asn1js.Constructed & asn1js.OctetString;
  const keyId = new Uint8Array(tagged.idBlock.isConstructed ? (tagged.valueBlock.value[0] as asn1js.OctetString).valueBlock.valueHexView : tagged.valueBlock.valueHexView);
  return candidates.find((c) => bytesEqual(new Uint8Array(createHash("sha1").update(c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest()), keyId));
}

/** A PEM (or bare base64) X.509 certificate as a PKI.js object. */
export function parseCertificate(pem: string, what = "certificate"): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(toArrayBuffer(pemToDer(pem)));
  } catch (error) {
    throw new TimeStampError("malformed", `The ${what} is not an X.509 certificate: ${(error as Error).message}`, { cause: error });
  }
}

export function certificateToPem(certificate: pkijs.Certificate): string {
  return derToPem(der(certificate), "CERTIFICATE");
}

export function pemToDer(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(body, "base64"));
}

export function derToPem(bytes: Uint8Array, label: string): string {
  const lines = Buffer.from(bytes).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function der(certificate: pkijs.Certificate): Uint8Array {
  return new Uint8Array(certificate.toSchema(true).toBER(false));
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

export function toArrayBuffer(data: Uint8Array): ArrayBuffer {
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
