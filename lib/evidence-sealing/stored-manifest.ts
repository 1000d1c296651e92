import { canonicalJson } from "@/lib/evidence/canonical-json";
import { sha256HexOf, type Manifest } from "@/lib/evidence/manifest";

/**
 * The form a sealed manifest is stored in (docs/adr/0044, "The manifests' stored form"): the
 * signed manifest with every phone number taken out, and its JWS without the payload. Pure, so
 * the writer, every reader and the tests use the same two directions.
 *
 * Taking out: every string of the manifest that is an E.164 number becomes the reference
 * `pn-ref:<i>`, `i` its index in the list of numbers taken out (sealed beside the row, in
 * private.evidence_manifest_numbers). A string that already starts with `pn-ref:` is taken out
 * the same way, so every reference in a stored manifest is one made here and putting back can
 * never replace content the manifest really held. The migration's SQL walker
 * (private.manifest_without_numbers) follows the same rule; the order of the list does not
 * matter, since each reference names its index.
 *
 * Putting back yields the exact signed bytes only if nothing was changed: readers check the
 * SHA-256 (reconstitute), never trusting the stored form.
 */

const E164 = /^\+[1-9][0-9]{6,14}$/;
const REF_PREFIX = "pn-ref:";
const REF = /^pn-ref:(0|[1-9][0-9]{0,8})$/;

/** Why a stored manifest could not be put back into the bytes that were signed. Never a different manifest instead. */
export class StoredManifestError extends Error {
  override name = "StoredManifestError";
}

/** Whether a string leaves the manifest for the side list: a number, or something a reference could be mistaken for. */
const takenOut = (value: string) => E164.test(value) || value.startsWith(REF_PREFIX);

/** The manifest with its numbers replaced by references, and the numbers in reference order. */
export function withoutNumbers(manifest: unknown): { stored: unknown; numbers: string[] } {
  const numbers: string[] = [];
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return takenOut(value) ? `${REF_PREFIX}${numbers.push(value) - 1}` : value;
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return { stored: walk(manifest), numbers };
}

/** The stored manifest with its references replaced by the numbers they name; refuses a reference to no number. */
export function withNumbers(stored: unknown, numbers: readonly string[]): unknown {
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") {
      if (!value.startsWith(REF_PREFIX)) return value;
      const index = REF.exec(value)?.[1];
      const number = index === undefined ? undefined : numbers[Number(index)];
      if (number === undefined) throw new StoredManifestError(`The stored manifest holds "${value}", which names none of its ${numbers.length} numbers.`);
      return number;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(stored);
}

/** A compact JWS as stored: RFC 7515 Appendix F's detached content, `header..signature`. */
export function detachedJws(jws: string): string {
  const [header, , signature, ...rest] = jws.split(".");
  if (!header || !signature || rest.length > 0) throw new StoredManifestError("A manifest's JWS is not a compact JWS.");
  return `${header}..${signature}`;
}

/** The compact JWS again: the detached header and signature around the payload's base64url. */
export function attachedJws(detached: string, payload: Uint8Array): string {
  const [header, empty, signature, ...rest] = detached.split(".");
  if (!header || empty !== "" || !signature || rest.length > 0) throw new StoredManifestError("A stored manifest JWS is not detached (`header..signature`).");
  return `${header}.${Buffer.from(payload).toString("base64url")}.${signature}`;
}

/**
 * The signed manifest and its compact JWS from a stored row and its opened numbers: the numbers
 * put back, the result's canonical JSON hashed and compared with the row's manifest_sha256 (a
 * mismatch throws: a changed number, reference or row must never read as another manifest),
 * and those bytes re-encoded as the JWS payload.
 */
export function reconstitute(row: { id: string; manifest: unknown; jws: string; manifestSha256: string }, numbers: readonly string[]): { manifest: Manifest; jws: string } {
  const manifest = withNumbers(row.manifest, numbers) as Manifest;
  const bytes = Buffer.from(canonicalJson(manifest), "utf8");
  const sha256 = sha256HexOf(bytes);
  if (sha256 !== row.manifestSha256) {
    throw new StoredManifestError(`Manifest ${row.id} does not reconstitute to the bytes that were signed: they hash to ${sha256}, the row records ${row.manifestSha256}. Its stored form or its numbers were changed.`);
  }
  return { manifest, jws: attachedJws(row.jws, bytes) };
}
