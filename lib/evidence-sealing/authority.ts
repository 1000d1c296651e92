import "server-only";
import path from "node:path";
import { config } from "@/lib/config";
import { currentRequestId } from "@/lib/correlation";
import { keyringFromEnvironment, loadOrCreateLocalKeyring, type EvidenceKeyring } from "@/lib/evidence-sealing/keys";
import { loadOrCreateLocalTsa } from "@/lib/evidence-sealing/local-tsa";
import { timedProviderRequest } from "@/lib/metrics";
import { requestTimeStamp, TIMESTAMP_REPLY_TYPE, type VerifiedTimeStamp } from "@/lib/evidence/timestamp";

/**
 * Who seals: the evidence keyring and the time-stamping authority, from `config().evidence`,
 * loaded once per process. Production names the key (EVIDENCE_SIGNING_KEY…) and a TSA
 * (EVIDENCE_TSA_URL, EVIDENCE_TSA_CERTIFICATES); the embedded default keeps a key in
 * EVIDENCE_KEYS_DIR and a local TSA in EVIDENCE_TSA_DIR (both under `.data/`), the local TSA
 * answered in-process. Either way a token is requested through the same RFC 3161 client and
 * fully verified before it is returned.
 */
export interface TimeStampAuthority {
  /** What the page and the tree-head rows call it: the TSA's URL, or "local TSA". */
  name: string;
  /** The PEM certificates a token's signer must chain to. */
  trustedCertificates: string[];
  stamp(data: Uint8Array): Promise<VerifiedTimeStamp & { token: Uint8Array }>;
}

let keyring: Promise<EvidenceKeyring> | undefined;
let authority: Promise<TimeStampAuthority> | undefined;

export function evidenceKeyring(): Promise<EvidenceKeyring> {
  keyring ??= loadKeyring().catch((error: unknown) => {
    keyring = undefined;
    throw error;
  });
  return keyring;
}

export function timeStampAuthority(): Promise<TimeStampAuthority> {
  authority ??= loadAuthority().catch((error: unknown) => {
    authority = undefined;
    throw error;
  });
  return authority;
}

/** Forget the loaded key and TSA (tests that change the configuration, key rotation). */
export function resetEvidenceAuthority(): void {
  keyring = undefined;
  authority = undefined;
}

async function loadKeyring(): Promise<EvidenceKeyring> {
  const keys = config().evidence.keys;
  if (keys.kind === "environment") {
    return keyringFromEnvironment({ signingKey: keys.signingKey, signingKeyId: keys.signingKeyId, retiredKeys: keys.retiredKeys });
  }
  return loadOrCreateLocalKeyring(path.resolve(process.cwd(), keys.dir));
}

async function loadAuthority(): Promise<TimeStampAuthority> {
  const tsa = config().evidence.tsa;
  if (tsa.kind === "remote") {
    const trustedCertificates = splitPem(tsa.certificates);
    if (trustedCertificates.length === 0) throw new Error("EVIDENCE_TSA_CERTIFICATES holds no PEM certificate.");
    return {
      name: tsa.url,
      trustedCertificates,
      stamp: (data) => timedProviderRequest("tsa", "timestamp", () => requestTimeStamp(tsa.url, data, { trustedCertificates, fetch: correlatedFetch })),
    };
  }
  const local = await loadOrCreateLocalTsa(path.resolve(process.cwd(), tsa.dir));
  // The local TSA answers in-process: the request still goes through requestTimeStamp (DER
  // request, nonce, full verification of the reply), only the HTTP hop is left out.
  const inProcess: typeof fetch = async (_url, init) => {
    const body = new Uint8Array(await new Response(init?.body as BodyInit).arrayBuffer());
    return new Response((await local.respond(body)) as Uint8Array<ArrayBuffer>, { status: 200, headers: { "content-type": TIMESTAMP_REPLY_TYPE } });
  };
  const trustedCertificates = [local.caCertificate];
  return {
    name: "local TSA",
    trustedCertificates,
    stamp: (data) => timedProviderRequest("tsa", "timestamp", () => requestTimeStamp("local-tsa:", data, { trustedCertificates, fetch: inProcess })),
  };
}

/** fetch with the request id at work (the sealing job's: the call's placing request's) as `X-Request-Id`. */
const correlatedFetch: typeof fetch = (url, init) => {
  const requestId = currentRequestId();
  if (!requestId) return fetch(url, init);
  const headers = new Headers(init?.headers);
  headers.set("x-request-id", requestId);
  return fetch(url, { ...init, headers });
};

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Is the time-stamping authority there? Remote: any HTTP answer to a GET of its URL within
 * `timeoutMs` below 500 (a TSA takes POSTs; a 405 still says it is up), so a probe never asks
 * for, or pays for, a token. Local: its key and certificate load.
 */
export async function probeTimeStampAuthority(timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  const tsa = config().evidence.tsa;
  try {
    if (tsa.kind === "local") {
      await timeStampAuthority();
      return { ok: true };
    }
    const res = await fetch(tsa.url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    await res.body?.cancel();
    return res.status >= 500 ? { ok: false, reason: `the TSA answered HTTP ${res.status}` } : { ok: true };
  } catch (err) {
    const message = err instanceof Error && err.name === "TimeoutError" ? "timed out" : err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return { ok: false, reason: `the TSA did not answer: ${message.slice(0, 200)}` };
  }
}
