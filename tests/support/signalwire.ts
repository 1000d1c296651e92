import { createHash, randomUUID } from "node:crypto";
import path from "node:path";
import { resetConfig } from "@/lib/config";
import { asService } from "@/lib/db";
import type { ModulationSnapshot } from "@/lib/calls/snapshot";
import { signWebhook, startCarrierSimulator, type CarrierSimulatorOptions } from "@/scripts/simulator";

/**
 * SignalWire as the tests see it: credentials in the environment, and webhook requests signed
 * by the SDK's own signing function over the PUBLIC url, while the request itself arrives at
 * the app's internal address (as behind a proxy), so verification against PUBLIC_BASE_URL and
 * not the Host header is what is exercised.
 */
export const PUBLIC_BASE_URL = "https://verbatim.example.com";
export const INTERNAL_ORIGIN = "http://10.0.0.7:3000";
export const PROJECT_ID = "11111111-2222-4333-8444-555555555555";
export const API_TOKEN = "PT_test_api_token";
export const SIGNING_KEY = "PSK_test_signing_key_0123456789abcdef";

const SIGNALWIRE_ENV = [
  "PUBLIC_BASE_URL", "SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE_URL",
  "SIGNALWIRE_SIGNING_KEY", "SIGNALWIRE_FROM_NUMBER", "CARRIER_SIMULATOR_URL",
];

export function configureSignalWire(extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    PUBLIC_BASE_URL,
    SIGNALWIRE_PROJECT_ID: PROJECT_ID,
    SIGNALWIRE_API_TOKEN: API_TOKEN,
    SIGNALWIRE_SPACE_URL: "example.signalwire.com",
    SIGNALWIRE_SIGNING_KEY: SIGNING_KEY,
    SIGNALWIRE_FROM_NUMBER: "+14155550100",
    ...extra,
  });
  resetConfig();
}

export function clearSignalWire(): void {
  for (const name of SIGNALWIRE_ENV) delete process.env[name];
  resetConfig();
}

/** The carrier simulator with the test project's credentials, on a free port, no pacing. */
export function startTestCarrier(options: Partial<CarrierSimulatorOptions> = {}) {
  return startCarrierSimulator({
    port: 0,
    projectId: PROJECT_ID,
    apiToken: API_TOKEN,
    signingKey: SIGNING_KEY,
    audioDir: path.resolve(".test-data/carrier-audio"),
    delayMs: 0,
    ...options,
  });
}

export interface SignedOptions {
  key?: string;
  /** Sign over this URL instead of the one requested. */
  signedUrl?: string;
  /** Change the body after signing. */
  tamper?: (params: Record<string, string>) => Record<string, string>;
  header?: "x-signalwire-signature" | "x-twilio-signature" | null;
  contentType?: string;
}

export function signedRequest(pathAndQuery: string, params: Record<string, string>, opts: SignedOptions = {}): Request {
  const signature = signWebhook(opts.key ?? SIGNING_KEY, opts.signedUrl ?? `${PUBLIC_BASE_URL}${pathAndQuery}`, params);
  const sent = opts.tamper ? opts.tamper({ ...params }) : params;
  const headers = new Headers({ "content-type": opts.contentType ?? "application/x-www-form-urlencoded" });
  if (opts.header !== null) headers.set(opts.header ?? "x-signalwire-signature", signature);
  return new Request(`${INTERNAL_ORIGIN}${pathAndQuery}`, {
    method: "POST",
    headers,
    body: new URLSearchParams(sent).toString(),
  });
}

export const ctx = <P>(params: P) => ({ params: Promise.resolve(params) });

export function planFor(overrides: Partial<ModulationSnapshot> = {}): ModulationSnapshot {
  return {
    flow: "direct",
    from: "+14155550100",
    to: "+14155550199",
    operatorPhone: null,
    record: true,
    transcribe: false,
    translate: null,
    disclosure: "This call is recorded.",
    survey: null,
    shopperScript: null,
    configVersion: 1,
    ...overrides,
  };
}

/** A queued call row as POST /api/calls leaves it, before any callback. */
export async function queuedCall(orgId: string, userId: string, plan: ModulationSnapshot = planFor()): Promise<string> {
  const [row] = await asService((tx) => tx<{ id: string }[]>`
    insert into public.calls (organization_id, created_by, flow, from_number, to_number, idempotency_key, modulations, plan_tier)
    values (${orgId}, ${userId}, ${plan.flow}, ${plan.from}, ${plan.to}, ${randomUUID()}, ${tx.json(plan as never)}, 'global')
    returning id`);
  return row!.id;
}

/**
 * A provider sid shaped like the real ones (two letters and 32 hex digits, which SignalWire's
 * compatibility API accepts besides its UUIDs), stable for a label so tests can name them.
 */
export function sidOf(label: string): string {
  const prefix = /^[A-Z]{2}/.test(label) ? label.slice(0, 2) : "CA";
  return prefix + createHash("sha256").update(label).digest("hex").slice(0, 32);
}

/** A status callback's form as SignalWire sends it (pass a real-shaped sid: `sidOf(label)`). */
export function statusParams(sid: string, callStatus: string, seq: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: PROJECT_ID,
    CallSid: sid,
    CallStatus: callStatus,
    SequenceNumber: String(seq),
    Timestamp: new Date(Date.UTC(2026, 10, 21, 12, 0, seq)).toUTCString(),
    Direction: "outbound-api",
    ...extra,
  };
}

/** The status webhook's path for a call. */
export const statusPath = (callId: string) => `/api/webhooks/signalwire/${callId}/status`;
