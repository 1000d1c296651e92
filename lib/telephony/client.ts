import "server-only";
import { RestClient, type CompatibilityApi } from "@signalwire/compatibility-api";
import { config, ConfigError, type Config } from "@/lib/config";
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
    const client = RestClient(telephony.projectId, telephony.apiToken, {
      signalwireSpaceUrl: telephony.spaceUrl,
      httpClient: withRequestIdHeader(telephony.simulatorUrl ? originHttpClient(telephony.simulatorUrl) : new SdkRequestClient()),
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
