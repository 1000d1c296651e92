import { createRequire } from "node:module";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Sends signed webhooks the way SignalWire does: a form POST (or a GET with the fields in the
 * query) carrying `X-SignalWire-Signature`, the base64 HMAC-SHA1 of the exact URL plus the
 * sorted fields, keyed by the project's signing key.
 *
 * The signature is made by the SDK's own `getExpectedTwilioSignature`, the function its
 * `validateRequest` checks against, so the simulator cannot drift from the verifier the app
 * uses. The SDK's package `exports` only exposes its bundle, which does not re-export that
 * function, so it is loaded from the package's `lib/` by file path.
 */

type Params = Record<string, string>;

interface SignatureModule {
  getExpectedTwilioSignature(signingKey: string, url: string, params: Params): string;
}

let signatureModule: SignatureModule | undefined;

function signer(): SignatureModule {
  if (!signatureModule) {
    const require = createRequire(import.meta.url);
    const entry = require.resolve("@signalwire/compatibility-api"); // …/dist/index.node.js
    signatureModule = require(path.join(path.dirname(entry), "..", "lib", "webhooks", "webhooks.js")) as SignatureModule;
  }
  return signatureModule;
}

export function signWebhook(signingKey: string, url: string, params: Params): string {
  return signer().getExpectedTwilioSignature(signingKey, url, params);
}

export type HttpMethod = "GET" | "POST";

export interface WebhookRequest {
  url: string;
  method: HttpMethod;
  params: Params;
}

export interface WebhookOutcome {
  ok: boolean;
  /** Last HTTP status seen; undefined when no response arrived. */
  status: number | undefined;
  body: string;
  attempts: number;
  error: string | undefined;
}

export interface WebhookSenderOptions {
  signingKey: string;
  timeoutMs: number;
  /** Pause before retry n is n × retryDelayMs. */
  retryDelayMs: number;
}

export function methodOf(value: string | undefined): HttpMethod {
  return value?.toUpperCase() === "GET" ? "GET" : "POST";
}

/**
 * One webhook, tried up to `attempts` times while the answer is not 2xx (or no answer came).
 * Never throws for the app's failures; it throws only when `signal` aborts (simulator stopped).
 */
export async function sendWebhook(
  request: WebhookRequest,
  options: WebhookSenderOptions & { attempts: number; signal: AbortSignal },
): Promise<WebhookOutcome> {
  let outcome: WebhookOutcome = { ok: false, status: undefined, body: "", attempts: 0, error: undefined };
  for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
    if (attempt > 1) await sleep(options.retryDelayMs * (attempt - 1), undefined, { signal: options.signal });
    outcome = { ...(await attemptOnce(request, options)), attempts: attempt };
    if (outcome.ok) break;
  }
  return outcome;
}

async function attemptOnce(
  request: WebhookRequest,
  options: WebhookSenderOptions & { signal: AbortSignal },
): Promise<Omit<WebhookOutcome, "attempts">> {
  const form = new URLSearchParams(request.params).toString();
  // For a GET the fields ride in the query, and the signature covers that whole URL alone.
  const url = request.method === "GET" && form ? `${request.url}${request.url.includes("?") ? "&" : "?"}${form}` : request.url;
  const signature = signWebhook(options.signingKey, url, request.method === "GET" ? {} : request.params);
  const headers: Record<string, string> = {
    "X-SignalWire-Signature": signature,
    "User-Agent": "SignalWire-LaML-Simulator/1.0 (Verbatim)",
    Accept: "application/xml, text/xml, */*",
  };
  if (request.method === "POST") headers["Content-Type"] = "application/x-www-form-urlencoded";

  try {
    const res = await fetch(url, {
      method: request.method,
      headers,
      body: request.method === "POST" ? form : undefined,
      redirect: "follow",
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
    });
    const body = await res.text();
    return { ok: res.ok, status: res.status, body, error: res.ok ? undefined : `HTTP ${res.status}` };
  } catch (error) {
    if (options.signal.aborted) throw error;
    // fetch wraps the interesting part ("ECONNREFUSED", "bad port") in `cause`.
    const err = error as Error & { cause?: { code?: string; message?: string } };
    const reason =
      err.name === "TimeoutError" ? `no answer within ${options.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { ok: false, status: undefined, body: "", error: reason };
  }
}
