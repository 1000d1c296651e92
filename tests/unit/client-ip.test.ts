import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { CLIENT_IP_HEADER, clientAddress, clientIp, normalizeIp, stampClientIp, trustFor } from "@/lib/http/client-ip";

/** A request as node:http hands it to the server: headers lower-cased, the socket's peer. */
function incoming(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
  return { headers: { ...headers }, socket: { remoteAddress } } as unknown as IncomingMessage;
}

const trust = (env: Record<string, string> = {}) => trustFor(parseConfig(env).proxyTrust);

describe("client address", () => {
  it("with no trusted proxy, is the socket's peer and ignores X-Forwarded-For", () => {
    const req = incoming("203.0.113.9", { "x-forwarded-for": "10.1.2.3, 10.4.5.6" });
    expect(clientAddress(req, trust())).toBe("203.0.113.9");
    expect(clientAddress(incoming("203.0.113.9", { "x-forwarded-for": "1.1.1.1" }), trust())).toBe("203.0.113.9");
  });

  it("with one trusted hop, is the right-most X-Forwarded-For entry, not what the client put left of it", () => {
    const req = incoming("10.0.0.2", { "x-forwarded-for": "6.6.6.6, 198.51.100.7" });
    expect(clientAddress(req, trust({ TRUSTED_PROXY_HOPS: "1" }))).toBe("198.51.100.7");
    expect(clientAddress(req, trust({ TRUSTED_PROXY_HOPS: "2" }))).toBe("6.6.6.6");
    // No header behind a trusted hop: the proxy itself is the client.
    expect(clientAddress(incoming("10.0.0.2"), trust({ TRUSTED_PROXY_HOPS: "1" }))).toBe("10.0.0.2");
  });

  it("with trusted CIDRs, walks left only through addresses inside them", () => {
    const env = { TRUSTED_PROXIES: "10.0.0.0/8, 192.168.1.1" };
    expect(clientAddress(incoming("10.0.0.2", { "x-forwarded-for": "203.0.113.1, 192.168.1.1" }), trust(env))).toBe("203.0.113.1");
    // The socket peer is not a trusted proxy: its header is ignored.
    expect(clientAddress(incoming("198.51.100.3", { "x-forwarded-for": "203.0.113.1" }), trust(env))).toBe("198.51.100.3");
    // A client-made entry left of an untrusted one stays ignored.
    expect(clientAddress(incoming("10.0.0.2", { "x-forwarded-for": "1.2.3.4, 198.51.100.4" }), trust(env))).toBe("198.51.100.4");
    expect(clientAddress(incoming("127.0.0.1", { "x-forwarded-for": "198.51.100.5" }), trust({ TRUSTED_PROXIES: "loopback" }))).toBe("198.51.100.5");
  });

  it("treats IPv4-mapped IPv6 as the IPv4 address, from the socket and in the trust list", () => {
    expect(normalizeIp("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(clientAddress(incoming("::ffff:203.0.113.9"), trust())).toBe("203.0.113.9");
    const viaMappedProxy = incoming("::ffff:10.0.0.2", { "x-forwarded-for": "::ffff:198.51.100.6" });
    expect(clientAddress(viaMappedProxy, trust({ TRUSTED_PROXIES: "10.0.0.0/8" }))).toBe("198.51.100.6");
    expect(normalizeIp("2001:db8::1")).toBe("2001:db8::1");
  });

  it("never returns garbage from X-Forwarded-For: the nearest valid trusted address instead", () => {
    for (const xff of ["not-an-ip", "999.1.1.1", "<script>", ", ,", "1.2.3.4, ;drop table"]) {
      const got = clientAddress(incoming("10.0.0.2", { "x-forwarded-for": xff }), trust({ TRUSTED_PROXY_HOPS: "1" }));
      expect(got, xff).toBe("10.0.0.2");
    }
    expect(clientAddress(incoming("10.0.0.2", { "x-forwarded-for": "garbage" }), trust())).toBe("10.0.0.2");
  });

  it("replaces a client's own copy of the private header, and route handlers read only that header", () => {
    const req = incoming("203.0.113.9", { [CLIENT_IP_HEADER]: "1.1.1.1", "x-forwarded-for": "2.2.2.2" });
    stampClientIp(req, trust());
    expect(req.headers[CLIENT_IP_HEADER]).toBe("203.0.113.9");
    expect(clientIp(new Request("http://x/", { headers: { "x-forwarded-for": "2.2.2.2" } }))).toBe("unknown");
    expect(clientIp(new Request("http://x/", { headers: { [CLIENT_IP_HEADER]: "203.0.113.9" } }))).toBe("203.0.113.9");
  });
});

describe("proxy trust configuration", () => {
  it("defaults to no trusted proxy", () => {
    expect(parseConfig({}).proxyTrust).toEqual({ hops: 0, proxies: [] });
  });
  it("accepts hop counts, addresses, CIDRs and proxy-addr's names", () => {
    expect(parseConfig({ TRUSTED_PROXY_HOPS: "2", TRUSTED_PROXIES: "loopback, 10.0.0.0/8,2001:db8::/32,192.0.2.1" }).proxyTrust).toEqual({
      hops: 2,
      proxies: ["loopback", "10.0.0.0/8", "2001:db8::/32", "192.0.2.1"],
    });
  });
  it("refuses what is not a count or an address", () => {
    expect(() => parseConfig({ TRUSTED_PROXY_HOPS: "-1" })).toThrow(/TRUSTED_PROXY_HOPS/);
    expect(() => parseConfig({ TRUSTED_PROXY_HOPS: "one" })).toThrow(/TRUSTED_PROXY_HOPS/);
    expect(() => parseConfig({ TRUSTED_PROXIES: "10.0.0.0/33" })).toThrow(/TRUSTED_PROXIES/);
    expect(() => parseConfig({ TRUSTED_PROXIES: "my-proxy.internal" })).toThrow(/TRUSTED_PROXIES/);
  });
});
