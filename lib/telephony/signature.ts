import "server-only";
import { RestClient } from "@signalwire/compatibility-api";
import { config, ConfigError } from "@/lib/config";
import { SignatureError, UnsupportedMediaTypeError } from "@/lib/errors";
import { isPgText } from "@/lib/pg-safe";
import { readText } from "@/lib/http/route";

/**
 * Verify a SignalWire webhook with the SDK's own `validateRequest`: HMAC over the exact public
 * URL (PUBLIC_BASE_URL + path + query, never the Host header, which proxies rewrite) plus the
 * sorted form fields, keyed by the project's Signing Key (not the API token). There is no way
 * to switch this off.
 */
const WEBHOOK_LIMIT_BYTES = 64 * 1024;

export type FormParams = Record<string, string | string[]>;

function publicUrlOf(req: Request): string {
  const url = new URL(req.url);
  return `${config().publicBaseUrl}${url.pathname}${url.search}`;
}

function formParams(raw: string): FormParams {
  const params: FormParams = Object.create(null);
  for (const [key, value] of new URLSearchParams(raw)) {
    const existing = params[key];
    if (existing === undefined) params[key] = value;
    else params[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return params;
}

/**
 * Read the form body once, verify the signature, and return the fields (first value of each).
 * The signature covers the raw fields; what is returned holds only text Postgres can store: a
 * field whose key or value has a NUL or a lone surrogate is left out, so a required one reads as
 * missing (400) and an optional one is dropped. Each field's domain is checked by the callback
 * schemas in lib/telephony/callbacks.ts.
 */
export async function verifiedForm(req: Request): Promise<Record<string, string>> {
  const signingKey = config().telephony?.signingKey;
  if (!signingKey) throw new ConfigError("SIGNALWIRE_SIGNING_KEY is not configured; webhooks cannot be verified.");

  const signature = req.headers.get("x-signalwire-signature") ?? req.headers.get("x-twilio-signature");
  let params: FormParams = {};
  if (req.method === "POST") {
    const type = (req.headers.get("content-type") ?? "").toLowerCase();
    const raw = await readText(req, WEBHOOK_LIMIT_BYTES);
    if (raw.length > 0 && !type.startsWith("application/x-www-form-urlencoded")) {
      throw new UnsupportedMediaTypeError("SignalWire webhooks are form-encoded (application/x-www-form-urlencoded).");
    }
    params = formParams(raw);
  }
  if (!signature) throw new SignatureError("The X-SignalWire-Signature header is missing.");
  if (!RestClient.validateRequest(signingKey, signature, publicUrlOf(req), params)) {
    throw new SignatureError();
  }
  const flat: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(params)) {
    const first = Array.isArray(value) ? value[0]! : value;
    if (isPgText(key) && isPgText(first)) flat[key] = first;
  }
  return flat;
}
