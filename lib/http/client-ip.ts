// Not `server-only`: bin/server.ts imports it outside the react-server condition. It holds
// nothing secret, and no client component imports it.
import proxyaddr from "proxy-addr";
import ipaddr from "ipaddr.js";
import type { IncomingMessage } from "node:http";

/**
 * The client's address, decided once by the server in front of Next (`bin/server.ts`) and
 * handed to route handlers in a private header. A route handler cannot see the socket, and
 * Next copies the socket address into `x-forwarded-for` only when the client did not send
 * that header, so no handler may trust `x-forwarded-for` itself. See docs/adr/0004-local-auth.md.
 */
export const CLIENT_IP_HEADER = "x-verbatim-client-ip";

export interface ProxyTrust {
  /** How many proxies in front of this server append to X-Forwarded-For (0: none, use the socket). */
  hops: number;
  /** Addresses, CIDRs or proxy-addr's names (loopback, linklocal, uniquelocal) of trusted proxies. */
  proxies: string[];
}

export type TrustFn = (addr: string, index: number) => boolean;

/**
 * proxy-addr's trust function for this configuration. With both set, a hop is trusted when it
 * is within the first `hops` or is a listed proxy.
 */
export function trustFor({ hops, proxies }: ProxyTrust): TrustFn {
  const listed = proxies.length > 0 ? proxyaddr.compile(proxies) : () => false;
  return (addr, index) => index < hops || listed(addr, index);
}

/** `::ffff:10.0.0.1` is `10.0.0.1`; anything that is not an address is "unknown". */
export function normalizeIp(value: string | undefined): string {
  if (!value) return "unknown";
  if (!ipaddr.isValid(value)) return "unknown";
  const parsed = ipaddr.parse(value);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  }
  return parsed.toString();
}

/**
 * The address of the client of this request: the socket's peer, unless trusted proxies say
 * otherwise through X-Forwarded-For (walked right to left, stopping at the first untrusted hop).
 */
export function clientAddress(req: Pick<IncomingMessage, "headers" | "socket">, trust: TrustFn): string {
  // [socket peer, right-most X-Forwarded-For entry, …] up to the first untrusted hop. A hop
  // that is not an address (garbage from a client or a misconfigured proxy) is skipped in
  // favour of the nearest valid one, which a trusted party vouched for.
  const chain = proxyaddr.all(req as IncomingMessage, trust);
  for (let i = chain.length - 1; i >= 0; i--) {
    const ip = normalizeIp(chain[i]);
    if (ip !== "unknown") return ip;
  }
  return "unknown";
}

/** Replace whatever the client sent in the private header with the address we computed. */
export function stampClientIp(req: Pick<IncomingMessage, "headers" | "socket">, trust: TrustFn): string {
  const ip = clientAddress(req, trust);
  delete req.headers[CLIENT_IP_HEADER];
  req.headers[CLIENT_IP_HEADER] = ip;
  return ip;
}

/** In a route handler: the address the server stamped, or "unknown" when none did (tests). */
export function clientIp(req: Request): string {
  return req.headers.get(CLIENT_IP_HEADER) ?? "unknown";
}
