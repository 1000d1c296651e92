import "server-only";
import { RestClient, type CompatibilityApi } from "@signalwire/compatibility-api";
import { config, ConfigError, type Config } from "@/lib/config";
import { metrics } from "@/lib/metrics";
import { currentRequestId } from "@/lib/correlation";
import { originHttpClient, type SdkHttpClient } from "@/lib/telephony/origin-http-client";

/**
 * The SignalWire REST client, configured once from the environment. When the config names a
 * carrier simulator URL (embedded default only), the SDK's own `httpClient` option sends its
 * requests there instead of https://<space>; nothing else changes. Either way each request
 * carries the request id at work as `X-Request-Id` (docs/adr/0043), through that same option.
 */
/** The SDK's own client (axios), the one it makes when given none; its typings declare the class as an instance. */
const SdkRequestClient = RestClient.RequestClient as unknown as new () => SdkHttpClient;

let cached: { for: NonNullable<Config["telephony"]>; client: CompatibilityApi } | undefined;

export function signalwire(): CompatibilityApi {
  const telephony = config().telephony;
  if (!telephony) {
    throw new ConfigError("Telephony is not configured: set the SIGNALWIRE_* variables (see README).");
  }
  if (cached?.for !== telephony) {
    // The SDK's own request client, or the simulator's; either way timed per request (metrics).
    const inner: SdkHttpClient = telephony.simulatorUrl ? originHttpClient(telephony.simulatorUrl) : new SdkRequestClient();
    const client = RestClient(telephony.projectId, telephony.apiToken, {
      signalwireSpaceUrl: telephony.spaceUrl,
      httpClient: timedHttpClient(withRequestIdHeader(inner)),
    });
    cached = { for: telephony, client };
  }
  return cached.client;
}

/** The SDK's HTTP client, sending the request id at work (the placing request's, the job's) as `X-Request-Id`. */
export function withRequestIdHeader(inner: SdkHttpClient): SdkHttpClient {
  return {
    request(opts) {
      const requestId = currentRequestId();
      return inner.request(requestId ? { ...opts, headers: { ...opts.headers, "X-Request-Id": requestId } } : opts);
    },
  };
}

/** What the simulated carrier cannot do on this machine, in words; null when nothing is degraded. */
export function carrierNotice(): string | null {
  return config().telephony?.simulatorNotice ?? null;
}

export function carrierKind(): "simulated" | "signalwire" | "unconfigured" {
  const telephony = config().telephony;
  if (!telephony) return "unconfigured";
  return telephony.simulatorUrl ? "simulated" : "signalwire";
}

/** Carrier REST resources the metrics name; any other is `other`. */
const RESOURCES = new Set(["Calls", "Recordings", "Conferences", "Queues", "IncomingPhoneNumbers", "Messages"]);

/**
 * The carrier operation a request is, for the metrics' `operation` label: method, resource and
 * whether it names one item (`POST Calls/{sid}`), never the sid or the account.
 */
export function carrierOperation(method: string, uri: string): string {
  const path = uri.replace(/^[a-z]+:\/\/[^/]+/i, "").split("?")[0]!;
  const match = /\/Accounts\/[^/]+\/(.*)$/.exec(path);
  if (!match) return `${method.toUpperCase()} other`;
  const [resource, id, ...rest] = match[1]!.replace(/\.json$/, "").split("/");
  const name = RESOURCES.has(resource ?? "") ? resource! : "other";
  const nested = rest.length > 0 && RESOURCES.has(rest[0]!.replace(/\.json$/, "")) ? `/${rest[0]!.replace(/\.json$/, "")}` : "";
  return `${method.toUpperCase()} ${name}${id ? "/{sid}" : ""}${nested}`;
}

/**
 * Every request through `inner`, timed under the carrier's provider metrics: outcome ok (2xx,
 * 3xx), rejected (4xx: the carrier refused the request), error (5xx, or no answer).
 */
function timedHttpClient(inner: SdkHttpClient): SdkHttpClient {
  return {
    async request(opts) {
      const end = metrics().providerRequests.startTimer({ provider: "carrier", operation: carrierOperation(opts.method, opts.uri) });
      try {
        const res = await inner.request(opts);
        end({ outcome: res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "rejected" : "ok" });
        return res;
      } catch (err) {
        end({ outcome: "error" });
        throw err;
      }
    },
  };
}

/**
 * Is the carrier there and does it take our credentials? One page of one call from the REST
 * API (SignalWire's, or the simulator's): read-only, nothing is dialled. Times out after
 * `timeoutMs`. Null when no carrier is configured.
 */
export async function probeCarrier(timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string } | null> {
  if (!config().telephony) return null;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  try {
    const answer = await Promise.race([signalwire().calls.page({ pageSize: 1 }).then(() => "ok" as const), timeout]);
    return answer === "ok" ? { ok: true } : { ok: false, reason: "the carrier did not answer: timed out" };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 401 || status === 403) return { ok: false, reason: `the carrier refused our credentials (HTTP ${status})` };
    const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return { ok: false, reason: `the carrier did not answer: ${message.slice(0, 200)}` };
  } finally {
    clearTimeout(timer);
  }
}
