import "server-only";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { Readable } from "node:stream";
import ipaddr from "ipaddr.js";
import { config } from "@/lib/config";
import { currentRequestId } from "@/lib/correlation";

/**
 * Where recording audio may be fetched from: the carrier, and nothing else a callback could
 * name. A RecordingUrl is accepted only on the configured SignalWire space's host over https
 * (port 443, no credentials), or on the carrier simulator's own origin in the embedded default.
 * When the audio is fetched, the host's addresses are checked as they are resolved for the
 * connection itself (no second lookup to race): private, loopback, link-local and other
 * non-public addresses are refused, except for the simulator, which is local by design.
 * Redirects are followed only on the same origin. Every refusal reads the same, so the answers
 * say nothing about what listens where.
 */

export const REFUSED_SOURCE = "The recording is not on the carrier's host; it was not fetched.";

export interface RecordingSources {
  /** The SignalWire space host (`example.signalwire.com`); undefined without SignalWire. */
  spaceUrl: string | undefined;
  /** The carrier simulator's origin, in the embedded default only. */
  simulatorUrl: string | undefined;
}

export function configuredSources(): RecordingSources {
  const telephony = config().telephony;
  return { spaceUrl: telephony?.spaceUrl, simulatorUrl: telephony?.simulatorUrl };
}

/** Why `value` may not be fetched as recording audio, or null when it may. */
export function recordingUrlProblem(value: string, sources: RecordingSources): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "RecordingUrl is not a URL.";
  }
  if (url.username || url.password) return REFUSED_SOURCE;
  if (sources.simulatorUrl && url.origin === new URL(sources.simulatorUrl).origin) return null;
  const space = sources.spaceUrl?.toLowerCase();
  if (url.protocol !== "https:" || url.port !== "" || !space || url.hostname !== space) return REFUSED_SOURCE;
  return null;
}

/** Only addresses on the public internet: not private, loopback, link-local, unique-local, multicast, reserved. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === "unicast";
}

/** A `lookup` for the connection that resolves as usual and refuses any non-public address. */
export function publicOnlyLookup(resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as unknown as LookupAddress[];
      if (list.length === 0 || !list.every((a) => isPublicAddress(a.address))) {
        return callback(Object.assign(new Error(REFUSED_SOURCE), { code: "ENOTPUBLIC" }), "", 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

export interface FetchedAudio {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

export class RefusedSourceError extends Error {
  override name = "RefusedSourceError";
  constructor() {
    super(REFUSED_SOURCE);
  }
}

const MAX_REDIRECTS = 3;

/**
 * GET `value` under the policy above. Throws RefusedSourceError for a URL, an address or a
 * redirect the policy refuses; other failures (timeouts, resets) throw as they come.
 */
export async function fetchRecordingAudio(value: string, opts: { signal: AbortSignal; accept: string; sources?: RecordingSources }): Promise<FetchedAudio> {
  const sources = opts.sources ?? configuredSources();
  let current = value;
  for (let hop = 0; ; hop += 1) {
    if (recordingUrlProblem(current, sources)) throw new RefusedSourceError();
    const url = new URL(current);
    const local = Boolean(sources.simulatorUrl) && url.origin === new URL(sources.simulatorUrl!).origin;
    const res = await get(url, { signal: opts.signal, accept: opts.accept, lookup: local ? undefined : publicOnlyLookup() });
    const location = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.resume();
      const next = new URL(location, url);
      if (next.origin !== url.origin || hop >= MAX_REDIRECTS) throw new RefusedSourceError();
      current = next.toString();
      continue;
    }
    const headers = new Headers();
    for (const [name, v] of Object.entries(res.headers)) {
      if (v !== undefined) headers.set(name, Array.isArray(v) ? v.join(", ") : v);
    }
    return { status: res.statusCode ?? 0, headers, body: Readable.toWeb(res) as ReadableStream<Uint8Array> };
  }
}

function get(url: URL, opts: { signal: AbortSignal; accept: string; lookup: LookupFunction | undefined }): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    // The request id the ingest job continues (the call's placing request's), for the carrier's logs.
    const requestId = currentRequestId();
    const headers = { accept: opts.accept, ...(requestId ? { "x-request-id": requestId } : {}) };
    const req = request(url, { method: "GET", headers, signal: opts.signal, ...(opts.lookup ? { lookup: opts.lookup } : {}) }, resolve);
    req.on("error", (err: NodeJS.ErrnoException) => reject(err.code === "ENOTPUBLIC" ? new RefusedSourceError() : err));
    req.end();
  });
}
