/**
 * An `httpClient` for the SignalWire SDK (`RestClient(project, token, { httpClient })`) that
 * sends every request to a fixed origin instead of https://<space>. The SDK always builds
 * `https://<signalwireSpaceUrl>/2010-04-01/...` and has no base-URL option, so this is the one
 * seam through which it can talk to a stand-in carrier (or a recording proxy) on plain HTTP.
 * It knows nothing about who listens at the origin: the path, query, method, credentials,
 * headers and form body go through exactly as the SDK's own RequestClient would send them.
 *
 * Not `server-only`: the dev orchestrator, scripts and vitest import it outside Next, where the
 * marker module throws. It holds no secrets of its own; credentials arrive per request.
 */

/** What the SDK passes to `httpClient.request` (see the SDK's lib/base/RequestClient.d.ts). */
export interface SdkRequestOptions {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  params?: object;
  /** Form fields; the SDK passes a flat object whose arrays mean repeated keys. */
  data?: unknown;
  timeout?: number;
  allowRedirects?: boolean;
  forever?: boolean;
  logLevel?: string;
}

/**
 * What the SDK expects back. Its Version/Page/RestException code accepts `body` either as a
 * string (it JSON.parses it) or as an already-parsed object, as axios hands it over.
 */
export interface SdkResponse {
  statusCode: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface SdkHttpClient {
  request(opts: SdkRequestOptions): Promise<SdkResponse>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Hop-by-hop headers fetch (undici) refuses to send or manages itself. */
const DROPPED_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"]);

export function originHttpClient(origin: string): SdkHttpClient {
  const base = new URL(origin);
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new Error(`originHttpClient needs an http(s) origin, not ${origin}`);
  }

  return {
    async request(opts) {
      if (!opts.method) throw new Error("http method is required");
      if (!opts.uri) throw new Error("uri is required");

      const target = retarget(base, opts.uri, opts.params);
      const headers = new Headers();
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        if (!DROPPED_HEADERS.has(name.toLowerCase())) headers.set(name, value);
      }
      // Same rule as the SDK's RequestClient: Basic auth only when both halves are present.
      if (opts.username && opts.password) {
        headers.set("Authorization", `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString("base64")}`);
      }

      const method = opts.method.toUpperCase();
      let body: string | undefined;
      if (typeof opts.data === "object" && opts.data !== null && method !== "GET" && method !== "HEAD") {
        body = formEncode(opts.data);
        if (!headers.has("Content-Type")) headers.set("Content-Type", "application/x-www-form-urlencoded");
      }

      const res = await fetch(target, {
        method,
        headers,
        body,
        // The SDK's client follows no redirects unless asked (maxRedirects: 0).
        redirect: opts.allowRedirects ? "follow" : "manual",
        signal: AbortSignal.timeout(opts.timeout ?? DEFAULT_TIMEOUT_MS),
      });
      const text = await res.text();
      const responseHeaders: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        responseHeaders[name] = value;
      });
      return { statusCode: res.status, body: responseBody(res.status, text), headers: responseHeaders };
    },
  };
}

/** origin + the path and query of the SDK's URI, plus `params` encoded as the SDK encodes them. */
function retarget(base: URL, uri: string, params: object | undefined): string {
  const original = new URL(uri);
  const basePath = base.pathname.replace(/\/+$/, "");
  let query = original.search.replace(/^\?/, "");
  if (params) {
    const extra = formEncode(params);
    if (extra) query = query ? `${query}&${extra}` : extra;
  }
  return `${base.origin}${basePath}${original.pathname}${query ? `?${query}` : ""}`;
}

/**
 * `qs.stringify(data, { arrayFormat: "repeat" })` as the SDK's RequestClient calls it: arrays
 * become repeated keys (StatusCallbackEvent=initiated&StatusCallbackEvent=ringing), undefined
 * is skipped, null is an empty value, nested objects use bracket keys. Written out rather than
 * importing `qs`, which is only the SDK's transitive dependency.
 */
function formEncode(data: object): string {
  const form = new URLSearchParams();
  const add = (key: string, value: unknown): void => {
    if (value === undefined) return;
    if (value === null) {
      form.append(key, "");
    } else if (Array.isArray(value)) {
      for (const item of value) add(key, item);
    } else if (value instanceof Date) {
      form.append(key, value.toISOString());
    } else if (typeof value === "object") {
      for (const [inner, innerValue] of Object.entries(value)) add(`${key}[${inner}]`, innerValue);
    } else {
      form.append(key, String(value));
    }
  };
  for (const [key, value] of Object.entries(data)) add(key, value);
  return form.toString();
}

/**
 * Parsed JSON when the body is JSON (what axios gives the SDK). A non-JSON error body (a proxy's
 * HTML 502, say) would make the SDK's RestException crash in JSON.parse with a SyntaxError that
 * hides the status, so it is wrapped in the Twilio error shape instead.
 */
function responseBody(status: number, text: string): unknown {
  if (text === "") return status >= 400 ? { status, message: `HTTP ${status} with an empty body` } : text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (status >= 400) return { status, message: `HTTP ${status}: ${text.slice(0, 200)}` };
    return text;
  }
}
