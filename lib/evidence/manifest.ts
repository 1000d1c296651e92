import { createHash } from "node:crypto";
import type { JSONWebKeySet } from "jose";
import { z } from "zod";
import { canonicalJson } from "./canonical-json";
import { signCanonical, SignedJsonError, verifyCanonical, type SignedJsonKind } from "./signed-json";

/**
 * Evidence manifests: what Verbatim holds about one call at one moment, as RFC 8785 canonical
 * JSON, signed as a compact JWS with Ed25519 (`typ: "verbatim-manifest+jws"`). Pure: no
 * database and no Next.js, so the exporter and the offline verifier use the same code.
 *
 * A manifest lists the call as stored, its modulation snapshot, the disclosure given, every
 * artifact with the SHA-256 and SHA-512 of its exact bytes (media as stored, everything else as
 * canonical JSON), and `missing[]`: what the snapshot asked for that is not there, with why.
 * Versions of one call form a chain: each names the SHA-256 of the previous version's payload.
 * `manifestSha256` is the SHA-256 of the JWS payload, i.e. of `canonicalJson(manifest)`.
 */

export const MANIFEST_TYP = "verbatim-manifest+jws";
/** Schema 1 (no tombstones) is sealed while nothing of the call was deleted; schema 2 adds `deleted`. */
export const MANIFEST_SCHEMA_VERSION = 1;
export const MANIFEST_SCHEMA_VERSION_WITH_TOMBSTONES = 2;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const sha512Hex = z.string().regex(/^[0-9a-f]{128}$/);
const isoTime = z.iso.datetime({ offset: true });
const jsonObject = z.record(z.string(), z.unknown());

export const FINAL_CALL_STATUSES = ["completed", "busy", "no_answer", "failed", "canceled"] as const;

export const ARTIFACT_KINDS = ["recording", "transcript", "translation", "redacted_transcript", "redacted_audio", "score", "survey_answer"] as const;
export type ManifestArtifactKind = (typeof ARTIFACT_KINDS)[number];

export const manifestArtifactSchema = z.strictObject({
  kind: z.enum(ARTIFACT_KINDS),
  id: z.string().min(1),
  sha256: sha256Hex,
  sha512: sha512Hex,
  bytes: z.number().int().min(0),
  mediaType: z.string().min(1),
  /** Where the bytes are: an object in blob storage, or a row whose canonical JSON they are. */
  location: z.discriminatedUnion("store", [
    z.strictObject({ store: z.literal("object"), path: z.string().min(1) }),
    z.strictObject({ store: z.literal("database"), table: z.string().min(1), id: z.string().min(1) }),
  ]),
  language: z.string().nullable(),
  /** Who or what made it (vendor, models, provider ids, parameters). */
  producer: jsonObject,
  /** What it was made from, by hash (a score: the transcript and the rubric). */
  inputs: jsonObject,
  /** For a redacted artifact: the original it was derived from. */
  derivedFrom: z.strictObject({ id: z.string().min(1), sha256: sha256Hex }).nullable(),
  producedAt: isoTime.nullable(),
});
export type ManifestArtifact = z.infer<typeof manifestArtifactSchema>;

export const MISSING_REASONS = ["not_reported", "pending", "failed", "absent", "missing", "not_produced", "integrity_mismatch", "unreadable"] as const;

export const missingEntrySchema = z.strictObject({
  kind: z.enum(ARTIFACT_KINDS),
  /** The row that should have carried it, when there is one. */
  id: z.string().nullable(),
  language: z.string().nullable(),
  reason: z.enum(MISSING_REASONS),
  detail: z.string().max(2000),
});
export type MissingEntry = z.infer<typeof missingEntrySchema>;

export const DELETION_REASONS = ["retention_policy", "erasure_request"] as const;
export type DeletionReason = (typeof DELETION_REASONS)[number];

/**
 * A tombstone (docs/adr/0037): an artifact that was deleted, by the hashes, size, media type
 * and location the sealed version `listedIn` listed it with, when and why. A verifier checks it
 * against that earlier version (carried in every bundle as versions/v<N>.jws): the version must
 * hash to `listedIn.manifestSha256` and list an artifact with the same kind, id, sha256, sha512,
 * bytes, mediaType, location and language. It is covered by the manifest's signature and log
 * leaf like every other member; it has no hash of its own.
 */
export const deletedEntrySchema = manifestArtifactSchema.pick({ kind: true, id: true, sha256: true, sha512: true, bytes: true, mediaType: true, location: true, language: true }).extend({
  /** The sealed version that last listed the artifact, by number and hash. */
  listedIn: z.strictObject({ version: z.number().int().min(1), manifestSha256: sha256Hex }),
  deletedAt: isoTime,
  reason: z.enum(DELETION_REASONS),
  /** For `retention_policy`: the policy as it stood (kind, days kept, when and by whom it was set). */
  policy: z.strictObject({ kind: z.string().min(1), keepDays: z.number().int().min(1), updatedAt: isoTime, updatedBy: z.string().nullable() }).nullable(),
  /** For `erasure_request`: the request's id. */
  erasureRequestId: z.string().min(1).nullable(),
});
export type DeletedEntry = z.infer<typeof deletedEntrySchema>;

export const manifestSchema = z.strictObject({
  schemaVersion: z.union([z.literal(MANIFEST_SCHEMA_VERSION), z.literal(MANIFEST_SCHEMA_VERSION_WITH_TOMBSTONES)]),
  issuer: z.string().min(1),
  kid: z.string().min(1),
  issuedAt: isoTime,
  organizationId: z.string().min(1),
  version: z.number().int().min(1),
  previousSha256: sha256Hex.nullable(),
  call: z.strictObject({
    id: z.string().min(1),
    direction: z.string(),
    flow: z.string(),
    from: z.string(),
    to: z.string(),
    status: z.enum(FINAL_CALL_STATUSES),
    providerCallSid: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: isoTime,
    answeredAt: isoTime.nullable(),
    endedAt: isoTime.nullable(),
    durationSeconds: z.number().int().min(0).nullable(),
  }),
  /** The modulation snapshot taken when the call was placed, as stored. */
  modulations: jsonObject,
  /** The recording disclosure: the text from the snapshot, and whether a party heard it (the call was answered). */
  disclosure: z.strictObject({ text: z.string().nullable(), played: z.boolean() }),
  artifacts: z.array(manifestArtifactSchema),
  missing: z.array(missingEntrySchema),
  /** Schema 2 only: every artifact of the call deleted so far, oldest deletion first. */
  deleted: z.array(deletedEntrySchema).min(1).optional(),
})
  .refine((m) => (m.version === 1) === (m.previousSha256 === null), { message: "version 1 and only version 1 has no previous hash", path: ["previousSha256"] })
  .refine((m) => (m.schemaVersion === MANIFEST_SCHEMA_VERSION_WITH_TOMBSTONES) === (m.deleted !== undefined), { message: "schema 2 and only schema 2 has deleted[]", path: ["deleted"] });
export type Manifest = z.infer<typeof manifestSchema>;

// ---------------------------------------------------------------------------------------------
// Building

/** Hashes of bytes as measured from storage, or why they could not be read. */
export type MeasuredBytes = { sha256: string; sha512: string; bytes: number } | { error: string };

export interface RecordingFacts {
  id: string;
  status: "pending" | "stored" | "failed" | "absent" | "missing";
  providerRecordingSid: string | null;
  storagePath: string | null;
  mediaType: string | null;
  /** What the row says was stored. */
  sha256: string | null;
  bytes: number | null;
  durationSeconds: number | null;
  channels: number | null;
  error: string | null;
  createdAt: string;
  storedAt: string | null;
  /** The stored object read back now; undefined when the row has no object. */
  measured?: MeasuredBytes;
}

export interface TranscriptionFacts {
  id: string;
  status: "pending" | "submitted" | "completed" | "error";
  error: string | null;
  createdAt: string;
}

export interface CallArtifactFacts {
  id: string;
  kind: "transcript" | "translation" | "redacted_transcript" | "redacted_audio" | "score";
  language: string | null;
  body: unknown;
  storagePath: string | null;
  mediaType: string | null;
  bytes: number | null;
  sha256: string;
  provenance: Record<string, unknown>;
  inputs: Record<string, unknown>;
  producedAt: string;
  measured?: MeasuredBytes;
}

export interface SurveyAnswerFacts {
  id: string;
  /** The answer's hashed document, rebuilt from its row (lib/calls/survey-answers.ts `answerDocument`). */
  document: Record<string, unknown>;
  sha256: string | null;
  receivedAt: string | null;
}

export interface ManifestFacts {
  issuer: string;
  kid: string;
  issuedAt: string;
  version: number;
  previousSha256: string | null;
  call: Manifest["call"] & { organizationId: string };
  modulations: Record<string, unknown>;
  recordings: readonly RecordingFacts[];
  transcriptions: readonly TranscriptionFacts[];
  artifacts: readonly CallArtifactFacts[];
  surveyAnswers: readonly SurveyAnswerFacts[];
  /** Tombstones of what was deleted (public.retention_deletions), in any order. */
  deleted?: readonly DeletedEntry[];
}

interface SnapshotView {
  record: boolean;
  transcribe: boolean;
  languages: string[];
  redact: boolean;
  disclosure: string | null;
  survey: boolean;
  shopperScript: boolean;
}

function snapshotView(m: Record<string, unknown>): SnapshotView {
  const translate = m.translate as { languages?: unknown } | null | undefined;
  return {
    record: m.record === true,
    transcribe: m.transcribe === true,
    languages: Array.isArray(translate?.languages) ? translate.languages.filter((l): l is string => typeof l === "string") : [],
    redact: m.redact === true,
    disclosure: typeof m.disclosure === "string" ? m.disclosure : null,
    survey: m.survey != null,
    shopperScript: m.shopperScript != null,
  };
}

export function sha256HexOf(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function sha512HexOf(bytes: Uint8Array | string): string {
  return createHash("sha512").update(bytes).digest("hex");
}

/** The hashes and size of a JSON artifact: over the UTF-8 bytes of its canonical JSON. */
export function jsonBytesFacts(value: unknown): { sha256: string; sha512: string; bytes: number } {
  const bytes = Buffer.from(canonicalJson(value), "utf8");
  return { sha256: sha256HexOf(bytes), sha512: sha512HexOf(bytes), bytes: bytes.length };
}

function hashRef(value: unknown): { id: string; sha256: string } | null {
  if (!value || typeof value !== "object") return null;
  const { id, sha256 } = value as { id?: unknown; sha256?: unknown };
  return typeof id === "string" && typeof sha256 === "string" && /^[0-9a-f]{64}$/.test(sha256) ? { id, sha256 } : null;
}

/**
 * The manifest for a call from what is stored about it. Stored hashes are checked against the
 * bytes: an artifact whose bytes no longer match its recorded hash (or cannot be read) is not
 * listed as an artifact; it appears in `missing[]` as `integrity_mismatch` or `unreadable`.
 */
export function buildManifest(facts: ManifestFacts): Manifest {
  const snapshot = snapshotView(facts.modulations);
  const artifacts: ManifestArtifact[] = [];
  const missing: MissingEntry[] = [];
  const miss = (kind: ManifestArtifactKind, reason: MissingEntry["reason"], detail: string, id: string | null = null, language: string | null = null) =>
    missing.push({ kind, id, language, reason, detail: detail.slice(0, 2000) });

  // Recordings: every stored one, checked against its bytes.
  const recordings = [...facts.recordings].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  let intactRecordings = 0;
  for (const r of recordings) {
    if (r.status !== "stored") continue;
    const checked = checkMedia(r.measured, r.sha256, r.bytes);
    if (!checked.ok) {
      miss("recording", checked.reason, `recording ${r.id}: ${checked.detail}`, r.id);
      continue;
    }
    intactRecordings += 1;
    artifacts.push({
      kind: "recording",
      id: r.id,
      ...checked.hashes,
      mediaType: r.mediaType ?? "application/octet-stream",
      location: { store: "object", path: r.storagePath! },
      language: null,
      producer: { vendor: "signalwire", providerRecordingSid: r.providerRecordingSid, durationSeconds: r.durationSeconds, channels: r.channels },
      inputs: { call: { id: facts.call.id } },
      derivedFrom: null,
      producedAt: r.storedAt,
    });
  }

  // Call artifacts: JSON kinds over their canonical JSON, redacted audio over its bytes.
  const sortedArtifacts = [...facts.artifacts].sort((a, b) => a.producedAt.localeCompare(b.producedAt) || a.id.localeCompare(b.id));
  for (const a of sortedArtifacts) {
    let hashes: { sha256: string; sha512: string; bytes: number };
    let location: ManifestArtifact["location"];
    let mediaType: string;
    if (a.kind === "redacted_audio") {
      const checked = checkMedia(a.measured, a.sha256, a.bytes);
      if (!checked.ok) {
        miss(a.kind, checked.reason, `${a.kind} ${a.id}: ${checked.detail}`, a.id, a.language);
        continue;
      }
      hashes = checked.hashes;
      location = { store: "object", path: a.storagePath! };
      mediaType = a.mediaType ?? "application/octet-stream";
    } else {
      hashes = jsonBytesFacts(a.body);
      if (hashes.sha256 !== a.sha256) {
        miss(a.kind, "integrity_mismatch", `${a.kind} ${a.id}: its canonical JSON hashes to ${hashes.sha256}, the row records ${a.sha256}`, a.id, a.language);
        continue;
      }
      location = { store: "database", table: "call_artifacts", id: a.id };
      mediaType = "application/json";
    }
    const derivedFrom =
      a.kind === "redacted_transcript" ? hashRef(a.inputs.transcript) : a.kind === "redacted_audio" ? hashRef(a.inputs.recording) : null;
    const entry: ManifestArtifact = {
      kind: a.kind,
      id: a.id,
      ...hashes,
      mediaType,
      location,
      language: a.language,
      producer: a.provenance,
      inputs: a.inputs,
      derivedFrom,
      producedAt: a.producedAt,
    };
    artifacts.push(entry);
  }

  // Survey answers: each one's document as canonical JSON.
  for (const s of [...facts.surveyAnswers].sort((a, b) => (a.receivedAt ?? "").localeCompare(b.receivedAt ?? "") || a.id.localeCompare(b.id))) {
    const hashes = jsonBytesFacts(s.document);
    if (s.sha256 !== null && hashes.sha256 !== s.sha256) {
      miss("survey_answer", "integrity_mismatch", `survey answer ${s.id}: its canonical JSON hashes to ${hashes.sha256}, the row records ${s.sha256}`, s.id);
      continue;
    }
    artifacts.push({
      kind: "survey_answer",
      id: s.id,
      ...hashes,
      mediaType: "application/json",
      location: { store: "database", table: "survey_answers", id: s.id },
      language: null,
      producer: (s.document.provenance as Record<string, unknown> | undefined) ?? {},
      inputs: { survey: s.document.survey ?? null },
      derivedFrom: null,
      producedAt: s.receivedAt,
    });
  }

  // What the snapshot expected of an answered call and is not there. A deleted artifact is
  // accounted for by its tombstone, not missing.
  const deleted = [...(facts.deleted ?? [])].sort((a, b) => a.deletedAt.localeCompare(b.deletedAt) || a.id.localeCompare(b.id));
  const answered = facts.call.status === "completed";
  if (answered) {
    const kinds = (k: ManifestArtifactKind): Array<{ kind: string; language: string | null }> => [...artifacts, ...deleted].filter((a) => a.kind === k);
    if (snapshot.record && intactRecordings === 0 && kinds("recording").length === 0 && !missing.some((m) => m.kind === "recording")) {
      const last = recordings.at(-1);
      if (!last) miss("recording", "not_reported", "the snapshot asked for a recording and the carrier reported none");
      else miss("recording", last.status === "pending" ? "pending" : (last.status as MissingEntry["reason"]), `recording ${last.id} is ${last.status}${last.error ? `: ${last.error}` : ""}`, last.id);
    }
    if (snapshot.record && snapshot.transcribe) {
      const lastTranscription = [...facts.transcriptions].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)).at(-1);
      const why = (): [MissingEntry["reason"], string, string | null] =>
        !lastTranscription
          ? intactRecordings === 0
            ? ["not_produced", "no recording to transcribe", null]
            : ["not_reported", "no transcription was requested", null]
          : lastTranscription.status === "error"
            ? ["failed", `transcription ${lastTranscription.id} failed${lastTranscription.error ? `: ${lastTranscription.error}` : ""}`, lastTranscription.id]
            : lastTranscription.status === "completed"
              ? ["not_produced", `transcription ${lastTranscription.id} completed without this artifact`, lastTranscription.id]
              : ["pending", `transcription ${lastTranscription.id} is ${lastTranscription.status}`, lastTranscription.id];
      const expect = (kind: ManifestArtifactKind, language: string | null = null) => {
        const present = kinds(kind).some((a) => language === null || a.language === language);
        if (present || missing.some((m) => m.kind === kind && m.language === language)) return;
        const [reason, detail, id] = why();
        miss(kind, reason, language ? `${detail} (translation to ${language})` : detail, id, language);
      };
      expect("transcript");
      for (const language of snapshot.languages) expect("translation", language);
      if (snapshot.redact) {
        expect("redacted_transcript");
        expect("redacted_audio");
      }
      if (snapshot.shopperScript) expect("score");
    }
    if (snapshot.survey && kinds("survey_answer").length === 0 && !missing.some((m) => m.kind === "survey_answer")) {
      miss("survey_answer", "not_reported", "the snapshot asked for a survey and no answer was received");
    }
  }

  return manifestSchema.parse({
    schemaVersion: deleted.length > 0 ? MANIFEST_SCHEMA_VERSION_WITH_TOMBSTONES : MANIFEST_SCHEMA_VERSION,
    issuer: facts.issuer,
    kid: facts.kid,
    issuedAt: facts.issuedAt,
    organizationId: facts.call.organizationId,
    version: facts.version,
    previousSha256: facts.previousSha256,
    call: {
      id: facts.call.id,
      direction: facts.call.direction,
      flow: facts.call.flow,
      from: facts.call.from,
      to: facts.call.to,
      status: facts.call.status,
      providerCallSid: facts.call.providerCallSid,
      createdBy: facts.call.createdBy,
      createdAt: facts.call.createdAt,
      answeredAt: facts.call.answeredAt,
      endedAt: facts.call.endedAt,
      durationSeconds: facts.call.durationSeconds,
    },
    modulations: facts.modulations,
    disclosure: { text: snapshot.disclosure, played: snapshot.disclosure !== null && facts.call.answeredAt !== null },
    artifacts,
    missing,
    ...(deleted.length > 0 ? { deleted } : {}),
  });
}

type MediaCheck =
  | { ok: true; hashes: { sha256: string; sha512: string; bytes: number } }
  | { ok: false; reason: "integrity_mismatch" | "unreadable"; detail: string };

function checkMedia(measured: MeasuredBytes | undefined, recordedSha256: string | null, recordedBytes: number | null): MediaCheck {
  if (!measured) return { ok: false, reason: "unreadable", detail: "its stored object was not read" };
  if ("error" in measured) return { ok: false, reason: "unreadable", detail: `its stored object cannot be read: ${measured.error}` };
  if (recordedSha256 !== null && measured.sha256 !== recordedSha256) {
    return { ok: false, reason: "integrity_mismatch", detail: `the stored bytes hash to ${measured.sha256}, the row records ${recordedSha256}` };
  }
  if (recordedBytes !== null && measured.bytes !== recordedBytes) {
    return { ok: false, reason: "integrity_mismatch", detail: `the stored object has ${measured.bytes} bytes, the row records ${recordedBytes}` };
  }
  return { ok: true, hashes: { sha256: measured.sha256, sha512: measured.sha512, bytes: measured.bytes } };
}

// ---------------------------------------------------------------------------------------------
// Hashing, comparing, signing, verifying

/** SHA-256 (hex) of the manifest's canonical JSON: the bytes its JWS signs. */
export function manifestSha256(manifest: Manifest): string {
  return sha256HexOf(Buffer.from(canonicalJson(manifest), "utf8"));
}

/**
 * What a new version must differ in: everything but when and by which key it was issued and
 * where it sits in the chain. Equal content means there is nothing new to seal.
 */
export function manifestContent(manifest: Manifest): string {
  const { issuedAt: _issuedAt, previousSha256: _previous, version: _version, kid: _kid, issuer: _issuer, ...content } = manifest;
  return canonicalJson(content);
}

/** Signs a manifest as a compact JWS over its canonical JSON; the header's kid is the manifest's. */
export async function signManifest(manifest: Manifest, key: { kid: string; privateKey: CryptoKey }): Promise<string> {
  return signCanonical(manifestSchema.parse(manifest), MANIFEST_TYP, key);
}

/** Why a manifest was refused (`reason` as for every signed kind). */
export class ManifestError extends SignedJsonError {}

const KIND: SignedJsonKind<Manifest> = { typ: MANIFEST_TYP, noun: "manifest", schema: manifestSchema, error: ManifestError };

/**
 * Verifies a manifest JWS against a JWKS (current and retired keys) and returns the manifest
 * with its SHA-256 (lib/evidence/signed-json.ts says what is refused).
 */
export async function verifyManifest(jws: string, keys: JSONWebKeySet): Promise<{ manifest: Manifest; sha256: string }> {
  const { value, payload } = await verifyCanonical(jws, keys, KIND);
  return { manifest: value, sha256: sha256HexOf(payload) };
}

/** The log entry for a manifest: the ASCII bytes of its compact JWS (ADR 0010). */
export function manifestLogEntry(jws: string): Uint8Array {
  return new TextEncoder().encode(jws);
}
