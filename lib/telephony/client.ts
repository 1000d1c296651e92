import "server-only";
import { RestClient, type CompatibilityApi } from "@signalwire/compatibility-api";
import { config, ConfigError, type Config } from "@/lib/config";
import { originHttpClient } from "@/lib/telephony/origin-http-client";

/**
 * The SignalWire REST client, configured once from the environment. When the config names a
 * carrier simulator URL (embedded default only), the SDK's own `httpClient` option sends its
 * requests there instead of https://<space>; nothing else changes.
 */
let cached: { for: NonNullable<Config["telephony"]>; client: CompatibilityApi } | undefined;

export function signalwire(): CompatibilityApi {
  const telephony = config().telephony;
  if (!telephony) {
    throw new ConfigError("Telephony is not configured: set the SIGNALWIRE_* variables (see README).");
  }
  if (cached?.for !== telephony) {
    const client = RestClient(telephony.projectId, telephony.apiToken, {
      signalwireSpaceUrl: telephony.spaceUrl,
      ...(telephony.simulatorUrl ? { httpClient: originHttpClient(telephony.simulatorUrl) } : {}),
    });
    cached = { for: telephony, client };
  }
  return cached.client;
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
