import "server-only";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Where an outbound webhook may be sent (docs/adr/0039). Asked when an endpoint is saved (a
 * refusal is 422 with the reason) and again by every delivery, on the addresses the connection
 * itself uses (`pinnedLookup`), so a DNS answer that changes after the check changes nothing.
 *
 * - https only, on port 443 or 8443; http, and any port, only to a loopback host (`localhost`,
 *   `127.0.0.0/8`, `[::1]`) and only in the embedded default (`loopbackAllowed`), where a
 *   receiver on this machine is the point. A name that resolves to loopback is not a loopback host.
 * - No credentials, no fragment, at most 2,048 characters, a host of at most 253.
 * - The host as written must be its canonical form: `https://2130706433`, `0x7f.1`, `0177.0.0.1`
 *   or a Unicode name are refused rather than silently read as what the URL parser makes of
 *   them (an internationalized name is accepted in its ASCII `xn--` form).
 * - Every address the host resolves to must be public unicast: not private, loopback,
 *   link-local, unique-local, CGNAT, multicast, broadcast, unspecified, documentation,
 *   benchmarking, reserved, nor an IPv4-mapped, NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 or
 *   Teredo form (which can carry a private IPv4 address).
 */

export const MAX_URL_LENGTH = 2048;
const HTTPS_PORTS = new Set(["", "443", "8443"]);

/** Extra ranges ipaddr.js calls `unicast` that are no place for a webhook. */
const EXTRA_REFUSED: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001:db8::", 32],
].map(([a, bits]) => [ipaddr.parse(a as string), bits as number]);

export interface UrlPolicy {
  loopbackAllowed: boolean;
}

export class RefusedUrlError extends Error {
  override name = "RefusedUrlError";
}

function isLoopbackHost(hostname: string): boolean {
  if (hostname === "localhost") return true;
  const bare = hostname.replace(/^\[|\]$/g, "");
  return ipaddr.isValid(bare) && ipaddr.process(bare).range() === "loopback";
}

/** Whether a webhook may connect to `address` (an IP string). */
export function isDeliverableAddress(address: string, { loopback }: { loopback: boolean }): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  // ::ffff:a.b.c.d is a.b.c.d; every other IPv6 form of an IPv4 address is refused by range below.
  const ip = parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
  const range = ip.range();
  if (loopback) return range === "loopback";
  if (range !== "unicast") return false;
  return !EXTRA_REFUSED.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
}

/** Why `raw` cannot be a webhook endpoint, judged from the text alone; null when it can (DNS aside). */
export function urlProblem(raw: string, policy: UrlPolicy): string | null {
  if (raw.length > MAX_URL_LENGTH) return `The URL is longer than ${MAX_URL_LENGTH} characters.`;
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return "The URL contains spaces or control characters.";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "This is not a URL.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "Webhook URLs must use https.";
  if (url.username || url.password || /^[a-z]+:\/\/[^/?#]*@/i.test(raw)) return "The URL must not contain a user name or password.";
  if (url.hash || raw.includes("#")) return "The URL must not contain a fragment (#).";
  if (url.hostname.length > 253) return "The host name is longer than 253 characters.";
  // What the parser made of the host must be what was written (case aside): no numeric,
  // octal or hex IPv4 forms, no Unicode names, no percent-encoded hosts.
  const written = /^[a-z]+:\/\/([^/?#]*)/i.exec(raw)?.[1] ?? "";
  const writtenHost = written.replace(/:\d*$/, "").toLowerCase();
  if (writtenHost !== url.hostname.toLowerCase()) {
    return /[^\x00-\x7f]/.test(writtenHost)
      ? `Write the host in its ASCII form (${url.hostname}).`
      : "The host is written in an unusual form; write the name or the address as it is usually written.";
  }
  const loopback = isLoopbackHost(url.hostname);
  if (loopback) {
    if (!policy.loopbackAllowed) return "The URL points to this machine (a loopback address).";
    return null;
  }
  if (url.protocol !== "https:") {
    return policy.loopbackAllowed ? "Webhook URLs must use https (http only to this machine, in the embedded default)." : "Webhook URLs must use https.";
  }
  if (!HTTPS_PORTS.has(url.port)) return "Webhook URLs may use port 443 or 8443 only.";
  const bare = url.hostname.replace(/^\[|\]$/g, "");
  if (ipaddr.isValid(bare) && !isDeliverableAddress(bare, { loopback: false })) {
    return "The URL points to a private, loopback, link-local or otherwise non-public address.";
  }
  if (!bare.includes(".") && !ipaddr.isValid(bare)) return "The host must be a fully qualified name.";
  return null;
}

export type Resolver = typeof dnsLookup;

/**
 * A `lookup` for the connection: resolves the host, refuses unless every address is
 * deliverable (loopback ones for a loopback host), and hands the connection exactly those
 * addresses, so what was checked is what is connected to.
 */
export function pinnedLookup(opts: { loopback: boolean; resolve?: Resolver }): LookupFunction {
  const resolve = opts.resolve ?? dnsLookup;
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as unknown as LookupAddress[];
      if (list.length === 0 || !list.every((a) => isDeliverableAddress(a.address, { loopback: opts.loopback }))) {
        return callback(Object.assign(new RefusedUrlError("The host resolves to a private, loopback, link-local or otherwise non-public address."), { code: "ENOTPUBLIC" }), "", 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** The URL as a delivery will see it: its policy problem, or the host's resolution checked. */
export async function checkEndpointUrl(raw: string, policy: UrlPolicy, resolve: Resolver = dnsLookup): Promise<string | null> {
  const problem = urlProblem(raw, policy);
  if (problem) return problem;
  const url = new URL(raw);
  const bare = url.hostname.replace(/^\[|\]$/g, "");
  if (ipaddr.isValid(bare)) return null;
  const loopback = isLoopbackHost(url.hostname);
  return new Promise((done) => {
    pinnedLookup({ loopback, resolve })(bare, { all: true }, (err) => {
      if (!err) return done(null);
      if ((err as NodeJS.ErrnoException).code === "ENOTPUBLIC") return done(err.message);
      done(`The host ${bare} could not be resolved.`);
    });
  });
}

/** Whether a delivery to this URL connects to loopback (embedded default only; the URL already passed `urlProblem`). */
export function targetsLoopback(raw: string): boolean {
  return isLoopbackHost(new URL(raw).hostname);
}
