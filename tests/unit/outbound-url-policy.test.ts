import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { checkEndpointUrl, isDeliverableAddress, pinnedLookup, urlProblem, type Resolver } from "@/lib/outbound/url-policy";
import { retryDelaySeconds, RETRY_DELAYS_SECONDS, RETRY_SPAN_SECONDS } from "@/lib/outbound/schedule";

/**
 * Where an outbound webhook may go (docs/adr/0039): hostile URLs, each refused with a reason a
 * person can act on; addresses after resolution; the lookup the connection uses.
 */
const prod = { loopbackAllowed: false };
const embedded = { loopbackAllowed: true };

const answering = (...addresses: string[]): Resolver =>
  ((_host: string, _opts: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) =>
    cb(null, addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })))) as unknown as Resolver;

describe("urlProblem", () => {
  it("accepts https to a public name on 443 or 8443", () => {
    expect(urlProblem("https://hooks.example.com/verbatim?x=1", prod)).toBeNull();
    expect(urlProblem("https://hooks.example.com:8443/v", prod)).toBeNull();
    expect(urlProblem("https://xn--bcher-kva.example/hook", prod)).toBeNull();
    expect(urlProblem("https://93.184.215.14/hook", prod)).toBeNull();
  });

  it.each([
    ["http://hooks.example.com/", "must use https"],
    ["ftp://hooks.example.com/", "must use https"],
    ["javascript:alert(1)", "must use https"],
    ["https://user:pw@hooks.example.com/", "user name or password"],
    ["https://user@hooks.example.com/", "user name or password"],
    ["https://@hooks.example.com/", "user name or password"],
    ["https://hooks.example.com:22/", "port 443 or 8443"],
    ["https://hooks.example.com:0/", "port 443 or 8443"],
    ["https://hooks.example.com:6379/", "port 443 or 8443"],
    ["https://hooks.example.com/#frag", "fragment"],
    ["https://2130706433/", "unusual form"],
    ["https://0x7f000001/", "unusual form"],
    ["https://0177.0.0.1/", "unusual form"],
    ["https://127.1/", "unusual form"],
    ["https://0x0a.0.0.1/", "unusual form"],
    ["https://[::ffff:127.0.0.1]/", "unusual form"],
    ["https://HOOKS.EXAMPLE.COM/", null],
    ["https://bücher.example/", "ASCII form (xn--bcher-kva.example)"],
    ["https://ехаmple.com/", "ASCII form"],
    ["https://%31%32%37.0.0.1/", "unusual form"],
    [`https://${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.${"e".repeat(20)}.example/`, "longer than 253"],
    [`https://hooks.example.com/${"a".repeat(2100)}`, "longer than 2048"],
    ["https://hooks.example.com/a b", "spaces or control"],
    ["https://hooks.example.com/\u0000", "spaces or control"],
    ["https://intranet/", "fully qualified"],
    ["not-a-url", "not a URL"],
  ])("%s → %s", (url, reason) => {
    const problem = urlProblem(url, prod);
    if (reason === null) expect(problem).toBeNull();
    else expect(problem).toContain(reason);
  });

  it.each([
    "https://10.0.0.1/", "https://172.16.5.4/", "https://192.168.1.1/", "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/", "https://0.0.0.0/", "https://224.0.0.1/", "https://255.255.255.255/", "https://192.0.2.10/",
    "https://198.18.0.1/", "https://240.0.0.1/", "https://[fd00::1]/", "https://[fe80::1]/", "https://[::]/", "https://[ff02::1]/",
    "https://[::ffff:a00:1]/", "https://[64:ff9b::a00:1]/", "https://[64:ff9b:1::a00:1]/", "https://[2002:a00:1::]/", "https://[2001::1]/",
    "https://[2001:db8::1]/",
  ])("refuses the non-public address %s", (url) => {
    expect(urlProblem(url, prod)).toBe("The URL points to a private, loopback, link-local or otherwise non-public address.");
    expect(urlProblem(url, embedded)).not.toBeNull();
  });

  it("allows loopback, over http and on any port, only in the embedded default", () => {
    for (const url of ["http://127.0.0.1:4000/hook", "http://localhost:4000/hook", "http://[::1]:4000/", "https://127.0.0.1/", "http://[::ffff:7f00:1]/"]) {
      expect(urlProblem(url, embedded), url).toBeNull();
      expect(urlProblem(url, prod), url).toBe("The URL points to this machine (a loopback address).");
    }
    expect(urlProblem("http://hooks.example.com/", embedded)).toContain("http only to this machine");
  });
});

describe("addresses after resolution", () => {
  it("refuses a name that resolves to any non-public address, and a loopback name to anything but loopback", async () => {
    expect(await checkEndpointUrl("https://hooks.example.com/", prod, answering("93.184.215.14"))).toBeNull();
    expect(await checkEndpointUrl("https://hooks.example.com/", prod, answering("93.184.215.14", "10.1.2.3"))).toContain("non-public");
    expect(await checkEndpointUrl("https://hooks.example.com/", embedded, answering("127.0.0.1"))).toContain("non-public");
    expect(await checkEndpointUrl("https://hooks.example.com/", prod, answering("::ffff:169.254.169.254"))).toContain("non-public");
    expect(await checkEndpointUrl("https://hooks.example.com/", prod, answering("64:ff9b::7f00:1"))).toContain("non-public");
    expect(await checkEndpointUrl("http://localhost:3000/", embedded, answering("127.0.0.1", "::1"))).toBeNull();
    expect(await checkEndpointUrl("http://localhost:3000/", embedded, answering("127.0.0.1", "93.184.215.14"))).toContain("non-public");
    const failing = ((_h: string, _o: unknown, cb: (e: NodeJS.ErrnoException) => void) => cb(Object.assign(new Error("nx"), { code: "ENOTFOUND" }))) as unknown as Resolver;
    expect(await checkEndpointUrl("https://hooks.example.com/", prod, failing)).toBe("The host hooks.example.com could not be resolved.");
  });

  it("hands the connection exactly the addresses it checked", async () => {
    const lookup = pinnedLookup({ loopback: false, resolve: answering("93.184.215.14", "2606:2800:220:1::1") });
    const one = await new Promise<[string, number]>((resolve, reject) =>
      lookup("hooks.example.com", {}, (err, address, family) => (err ? reject(err) : resolve([address as string, family as number]))),
    );
    expect(one).toEqual(["93.184.215.14", 4]);
    const refused = pinnedLookup({ loopback: false, resolve: answering("10.0.0.1") });
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => refused("hooks.example.com", {}, (e) => resolve(e)));
    expect(err?.code).toBe("ENOTPUBLIC");
  });

  it("classifies addresses", () => {
    expect(isDeliverableAddress("8.8.8.8", { loopback: false })).toBe(true);
    expect(isDeliverableAddress("::ffff:8.8.8.8", { loopback: false })).toBe(true);
    expect(isDeliverableAddress("127.0.0.1", { loopback: false })).toBe(false);
    expect(isDeliverableAddress("127.0.0.1", { loopback: true })).toBe(true);
    expect(isDeliverableAddress("8.8.8.8", { loopback: true })).toBe(false);
    expect(isDeliverableAddress("not-an-ip", { loopback: false })).toBe(false);
  });
});

describe("the retry schedule", () => {
  it("spans about a day, with jitter of at most 20% either way", () => {
    expect(RETRY_SPAN_SECONDS / 3600).toBeGreaterThan(24);
    expect(RETRY_SPAN_SECONDS / 3600).toBeLessThan(30);
    expect(retryDelaySeconds(1, 0)).toBe(4);
    expect(retryDelaySeconds(1, 0.999999)).toBe(6);
    expect(retryDelaySeconds(2, 0.5)).toBe(300);
    expect(retryDelaySeconds(RETRY_DELAYS_SECONDS.length + 1)).toBeNull();
  });
});
