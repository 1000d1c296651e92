import { createHash, X509Certificate } from "node:crypto";
import { createLocalJWKSet, GeneralSign, generalVerify, type GeneralJWS, type JSONWebKeySet, type JWK } from "jose";
import { artifactFileName } from "./bundle";
import { canonicalJson } from "./canonical-json";
import { sha256HexOf, type Manifest, type ManifestArtifact } from "./manifest";

/**
 * A call as a vCon (draft-ietf-vcon-vcon-core-04, docs/adr/0038): an export format derived
 * from a sealed manifest version and the JSON artifacts it lists, never a second store. Every
 * hash in it is the manifest's: the recording's `content_hash` is the manifest's SHA-512 of the
 * stored bytes, each analysis body is the artifact whose canonical JSON the manifest hashed, and
 * the signed manifest itself is the one attachment. Pure: the exporter, the API and the offline
 * verifier share it.
 *
 * Layout of the unsigned form (RFC 8785 canonical JSON when it is written anywhere):
 *   parties[0]     the calling side (`tel` URL of the caller id), parties[1] the called party
 *   dialog[0]      the recording by reference (`url` + `content_hash`), a placeholder recording
 *                  when the call was answered but nothing was recorded, or `incomplete` with
 *                  the disposition when it was never answered
 *   analysis[]     transcript, translation(s), score(s) and survey answer(s), in manifest
 *                  order, each `encoding: "json"` with the artifact as its body
 *   attachments[0] the manifest's compact JWS (`encoding: "none"`)
 *
 * The redacted form masks both numbers (no `tel`), carries the redacted transcript and redacted
 * audio in place of the originals (a recording placeholder when there is no redacted audio),
 * drops translations (made from the unredacted text) and names the original in `redacted`
 * by uuid, URL and the SHA-512 of the original's canonical JSON.
 */
export const VCON_SYNTAX = "0.4.0";
export const VCON_MEDIA_TYPE = "application/vcon+json";
/** The file a bundle carries it in (listed in export.json, so covered by the export statement). */
export const VCON_FILE = "vcon.json";
export const VCON_FORMS = ["original", "redacted"] as const;
export type VconForm = (typeof VCON_FORMS)[number];

/** A Party Object as the draft defines it (the parameters used here). */
export interface VconParty {
  tel?: string;
  name?: string;
  type?: string;
  role?: string;
}
export interface VconDialog {
  type: "recording" | "incomplete";
  start: string;
  duration?: number;
  parties: number[];
  originator?: number;
  mediatype?: string;
  filename?: string;
  url?: string;
  content_hash?: string;
  disposition?: "no-answer" | "busy" | "failed";
}
export interface VconAnalysis {
  type: string;
  dialog: number;
  vendor: string;
  product?: string;
  schema: string;
  mediatype: "application/json";
  filename: string;
  encoding: "json";
  body: unknown;
}
export interface VconAttachment {
  purpose: string;
  start: string;
  party: number;
  dialog: number;
  mediatype: string;
  filename: string;
  encoding: "none";
  body: string;
}
export interface Vcon {
  vcon: typeof VCON_SYNTAX;
  uuid: string;
  created_at: string;
  subject: string;
  redacted?: { uuid: string; type: string; url: string; content_hash: string };
  parties: VconParty[];
  dialog: VconDialog[];
  analysis: VconAnalysis[];
  attachments: VconAttachment[];
}

/** The draft's ContentHash (§2.2): "sha512-" and the base64url (unpadded) SHA-512 digest. */
export function contentHashOfHex(sha512Hex: string): string {
  return `sha512-${Buffer.from(sha512Hex, "hex").toString("base64url")}`;
}
export function contentHashOf(bytes: Uint8Array | string): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64url")}`;
}

/** The bytes of a vCon wherever it is written: RFC 8785 canonical JSON, so its hash is stable. */
export function vconBytes(vcon: Vcon): string {
  return canonicalJson(vcon);
}

/**
 * The vCon's uuid (§4.1.2), a version 8 UUID laid out as the draft's: the first 48 bits the
 * Unix time in ms (here the manifest's issuedAt, so an instance keeps its uuid), the rest from
 * a SHA-256 over the issuer's host name, the call, the manifest version and the form, so the
 * same sealed version always gives the same uuid and two calls sealed in one millisecond differ.
 */
export function vconUuid(args: { issuer: string; callId: string; version: number; form: VconForm; issuedAt: string }): string {
  const host = new URL(args.issuer).hostname;
  const ms = BigInt(new Date(args.issuedAt).getTime());
  const h = createHash("sha256").update(`vcon\n${host}\n${args.callId}\n${args.version}\n${args.form}`).digest();
  const b = Buffer.alloc(16);
  b.writeUIntBE(Number(ms & 0xffffffffffffn), 0, 6);
  h.copy(b, 6, 0, 10);
  b[6] = 0x80 | (b[6]! & 0x0f); // version 8
  b[8] = 0x80 | (b[8]! & 0x3f); // RFC 9562 variant
  const x = b.toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Where a member fetches a call's vCon (the original's `url` in a redacted vCon). */
export function vconUrl(issuer: string, callId: string): string {
  return `${issuer.replace(/\/$/, "")}/api/calls/${callId}/vcon`;
}

/** Where the recording the dialog references is fetched (a member route: a short-lived signed URL). */
export function recordingUrl(issuer: string, callId: string, original: boolean): string {
  return `${issuer.replace(/\/$/, "")}/api/calls/${callId}/recording${original ? "?original=1" : ""}`;
}

const ANALYSIS: Partial<Record<ManifestArtifact["kind"], { type: string; schema: string }>> = {
  transcript: { type: "transcript", schema: "verbatim-transcript" },
  redacted_transcript: { type: "transcript", schema: "verbatim-redacted-transcript" },
  translation: { type: "translation", schema: "verbatim-translation" },
  score: { type: "report", schema: "verbatim-shopper-score" },
  survey_answer: { type: "report", schema: "verbatim-survey-answer" },
};

const DISPOSITION = { busy: "busy", no_answer: "no-answer", failed: "failed", canceled: "failed" } as const;

export interface BuildVconArgs {
  manifest: Manifest;
  /** The manifest's compact JWS (the attachment). */
  manifestJws: string;
  /** Each JSON artifact's body, by artifact id (the value whose canonical JSON the manifest hashed). */
  bodies: ReadonlyMap<string, unknown>;
  form: VconForm;
  /** For the redacted form: how each number is shown instead (the call view's mask). */
  mask?: (e164: string) => string;
  /** For the redacted form: the original's uuid and the SHA-512 ContentHash of its bytes. */
  original?: { uuid: string; contentHash: string };
}

export function buildVcon(args: BuildVconArgs): Vcon {
  const { manifest, form } = args;
  const call = manifest.call;
  const redacted = form === "redacted";
  const party = (e164: string, role: string): VconParty =>
    redacted ? { name: args.mask ? args.mask(e164) : "redacted", role } : { tel: `tel:${e164}`, role };
  const parties = [party(call.from, "caller"), party(call.to, "callee")];

  const byKind = (kind: ManifestArtifact["kind"]) => manifest.artifacts.filter((a) => a.kind === kind);
  const recording = redacted ? byKind("redacted_audio").at(-1) : byKind("recording").at(-1);
  const start = call.answeredAt ?? call.createdAt;
  const dialog: VconDialog =
    call.status !== "completed" || !call.answeredAt
      ? { type: "incomplete", start: call.createdAt, parties: [0, 1], originator: 0, disposition: call.status === "completed" ? "failed" : DISPOSITION[call.status] }
      : {
          type: "recording",
          start,
          ...(call.durationSeconds !== null ? { duration: call.durationSeconds } : {}),
          parties: [0, 1],
          originator: 0,
          ...(recording
            ? {
                mediatype: recording.mediaType,
                filename: artifactFileName(recording).slice("artifacts/".length),
                url: recordingUrl(manifest.issuer, call.id, !redacted),
                content_hash: contentHashOfHex(recording.sha512),
              }
            : {}),
        };

  const kinds: ManifestArtifact["kind"][] = redacted ? ["redacted_transcript", "score", "survey_answer"] : ["transcript", "translation", "score", "survey_answer"];
  const analysis: VconAnalysis[] = manifest.artifacts.flatMap((a) => {
    const as = ANALYSIS[a.kind];
    if (!as || !kinds.includes(a.kind) || !args.bodies.has(a.id)) return [];
    const vendor = typeof a.producer.vendor === "string" ? a.producer.vendor : "verbatim";
    const models = Array.isArray(a.producer.models) ? a.producer.models.filter((m): m is string => typeof m === "string") : [];
    return [{
      type: as.type,
      dialog: 0,
      vendor,
      ...(models.length > 0 ? { product: models.join(",") } : {}),
      schema: a.language && a.kind === "translation" ? `${as.schema};lang=${a.language}` : as.schema,
      mediatype: "application/json" as const,
      filename: artifactFileName(a).slice("artifacts/".length),
      encoding: "json" as const,
      body: args.bodies.get(a.id),
    }];
  });

  const vcon: Vcon = {
    vcon: VCON_SYNTAX,
    uuid: vconUuid({ issuer: manifest.issuer, callId: call.id, version: manifest.version, form, issuedAt: manifest.issuedAt }),
    created_at: manifest.issuedAt,
    subject: `Call ${call.id}, evidence manifest version ${manifest.version}`,
    parties,
    dialog: [dialog],
    analysis,
    attachments: [{ purpose: "verbatim-evidence-manifest", start: manifest.issuedAt, party: 0, dialog: 0, mediatype: "application/jose", filename: "manifest.jws", encoding: "none", body: args.manifestJws }],
  };
  if (redacted) {
    if (!args.original) throw new Error("A redacted vCon names its original.");
    vcon.redacted = { uuid: args.original.uuid, type: "pii", url: vconUrl(manifest.issuer, call.id), content_hash: args.original.contentHash };
  }
  return vcon;
}

/** A disagreement between a vCon and the manifest it claims to be derived from. */
export interface VconMismatch {
  field: string;
  message: string;
}

/**
 * Checks an (unredacted) vCon against the manifest and its JWS, the way the offline verifier
 * does for a bundle's vcon.json: the attachment is the manifest's JWS, the uuid is this
 * version's, the recording's content_hash is the manifest's SHA-512 of the recording, every
 * analysis body hashes (canonical JSON, SHA-256) to the artifact the filename names, and
 * nothing the manifest lists as an analysis artifact is left out. Empty when they agree.
 */
export function vconMismatches(value: unknown, manifest: Manifest, manifestJws: string): VconMismatch[] {
  const out: VconMismatch[] = [];
  const v = value as Partial<Vcon> | null;
  if (!v || typeof v !== "object") return [{ field: "", message: "is not a JSON object" }];
  if (v.vcon !== VCON_SYNTAX) out.push({ field: "vcon", message: `is ${JSON.stringify(v.vcon)}, not "${VCON_SYNTAX}"` });
  const uuid = vconUuid({ issuer: manifest.issuer, callId: manifest.call.id, version: manifest.version, form: "original", issuedAt: manifest.issuedAt });
  if (v.uuid !== uuid) out.push({ field: "uuid", message: `is ${JSON.stringify(v.uuid)}; this manifest version's vCon is ${uuid}` });
  if (v.redacted !== undefined) out.push({ field: "redacted", message: "a bundle carries the original vCon, not a redacted one" });
  const attachment = Array.isArray(v.attachments) ? v.attachments.find((a) => a?.purpose === "verbatim-evidence-manifest") : undefined;
  if (attachment?.body !== manifestJws) out.push({ field: "attachments", message: "does not carry the manifest's JWS" });
  const parties = Array.isArray(v.parties) ? v.parties : [];
  if (parties[0]?.tel !== `tel:${manifest.call.from}` || parties[1]?.tel !== `tel:${manifest.call.to}`) out.push({ field: "parties", message: "are not the manifest's caller and called numbers" });

  const recording = manifest.artifacts.filter((a) => a.kind === "recording").at(-1);
  const dialog = Array.isArray(v.dialog) ? v.dialog[0] : undefined;
  if (recording && dialog?.content_hash !== contentHashOfHex(recording.sha512)) {
    out.push({ field: "dialog[0].content_hash", message: `is ${JSON.stringify(dialog?.content_hash)}; the manifest's recording is ${contentHashOfHex(recording.sha512)}` });
  }
  if (!recording && dialog?.content_hash !== undefined) out.push({ field: "dialog[0].content_hash", message: "references a recording the manifest does not list" });

  const expected = manifest.artifacts.filter((a) => ["transcript", "translation", "score", "survey_answer"].includes(a.kind));
  const analysis = Array.isArray(v.analysis) ? v.analysis : [];
  if (analysis.length !== expected.length) out.push({ field: "analysis", message: `has ${analysis.length} entries; the manifest lists ${expected.length} analysis artifacts` });
  analysis.forEach((entry, i) => {
    const artifact = expected.find((a) => artifactFileName(a) === `artifacts/${entry?.filename}`);
    if (!artifact) return out.push({ field: `analysis[${i}].filename`, message: `names no artifact of the manifest (${JSON.stringify(entry?.filename)})` });
    let sha: string | undefined;
    try {
      sha = sha256HexOf(canonicalJson(entry.body));
    } catch {
      sha = undefined;
    }
    if (sha !== artifact.sha256) out.push({ field: `analysis[${i}].body`, message: `hashes to ${sha ?? "nothing"}; the manifest sealed ${artifact.sha256}` });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The signed form (§5.2): General JWS JSON Serialization over the unsigned form's bytes.

/**
 * The x5c of a signed vCon from a PEM chain (leaf first): each certificate's DER in standard
 * base64 (RFC 7515 §4.1.6). Refuses a chain whose leaf does not certify the signing key, so a
 * misconfigured certificate fails when the vCon is signed, not when someone checks it.
 */
export function x5cChain(pem: string, publicJwk: JWK): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error("The signing certificate chain holds no PEM certificate.");
  const certificates = blocks.map((b) => new X509Certificate(b));
  const leaf = certificates[0]!.publicKey.export({ format: "jwk" }) as JWK;
  if (leaf.kty !== publicJwk.kty || leaf.crv !== publicJwk.crv || leaf.x !== publicJwk.x) {
    throw new Error("The signing certificate does not certify the evidence signing key (its public key differs).");
  }
  return certificates.map((c) => c.raw.toString("base64"));
}

/**
 * Signs a vCon: the payload is its canonical JSON; the protected header names the key (`kid`,
 * so the organization's JWKS verifies it) and the content type; the unprotected header carries
 * what the draft puts there: `alg`, `x5c` when a certificate is configured, and the vCon's uuid.
 */
export async function signVcon(vcon: Vcon, key: { kid: string; privateKey: CryptoKey }, x5c?: string[]): Promise<GeneralJWS> {
  return new GeneralSign(new TextEncoder().encode(vconBytes(vcon)))
    .addSignature(key.privateKey)
    .setProtectedHeader({ kid: key.kid, cty: VCON_MEDIA_TYPE })
    .setUnprotectedHeader({ alg: "EdDSA", uuid: vcon.uuid, ...(x5c && x5c.length > 0 ? { x5c } : {}) })
    .sign();
}

/** Verifies a signed vCon against a JWKS (EdDSA only); the unsigned vCon it carries. */
export async function verifyVcon(jws: GeneralJWS, keys: JSONWebKeySet): Promise<Vcon> {
  const { payload } = await generalVerify(jws, createLocalJWKSet(keys), { algorithms: ["EdDSA"] });
  const vcon = JSON.parse(new TextDecoder().decode(payload)) as Vcon;
  const header = jws.signatures[0]?.header as { uuid?: unknown } | undefined;
  if (header?.uuid !== vcon.uuid) throw new Error("The signature header's uuid is not the signed vCon's.");
  return vcon;
}
