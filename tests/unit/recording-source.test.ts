import { describe, expect, it } from "vitest";
import { isPublicAddress, publicOnlyLookup, recordingUrlProblem, REFUSED_SOURCE } from "@/lib/telephony/recording-source";

/** Issue 17 §5: recording audio comes from the carrier's host only, and never from a private address. */
describe("recording sources", () => {
  const sources = { spaceUrl: "example.signalwire.com", simulatorUrl: undefined };

  it("accepts the SignalWire space's host over https, in any case, and nothing else", () => {
    expect(recordingUrlProblem("https://example.signalwire.com/api/laml/2010-04-01/Accounts/p/Recordings/r", sources)).toBeNull();
    expect(recordingUrlProblem("https://EXAMPLE.SignalWire.com/r", sources)).toBeNull();
    for (const url of [
      "https://127.0.0.1/r", "https://[::1]/r", "https://2130706433/r", "https://0x7f.1/r", "https://example.signalwire.com:8443/r",
      "http://example.signalwire.com/r", "https://u:p@example.signalwire.com/r", "https://example.signalwire.com.evil.example/r", "file:///etc/passwd",
    ]) expect(recordingUrlProblem(url, sources), url).toBe(REFUSED_SOURCE);
    expect(recordingUrlProblem("not a url", sources)).toMatch(/not a URL/);
    expect(recordingUrlProblem("https://example.signalwire.com/r", { spaceUrl: undefined, simulatorUrl: undefined })).toBe(REFUSED_SOURCE);
  });

  it("accepts the simulator's own origin, http included, in the embedded default", () => {
    const embedded = { spaceUrl: "simulated.signalwire.invalid", simulatorUrl: "http://127.0.0.1:3990" };
    expect(recordingUrlProblem("http://127.0.0.1:3990/Accounts/p/Recordings/r", embedded)).toBeNull();
    expect(recordingUrlProblem("http://127.0.0.1:3991/Accounts/p/Recordings/r", embedded)).toBe(REFUSED_SOURCE);
  });

  it("tells public addresses from private, loopback, link-local, unique-local, mapped and reserved ones", () => {
    for (const a of ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]) expect(isPublicAddress(a), a).toBe(true);
    for (const a of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1", "nonsense"]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
  });

  it("refuses a connection whose name resolves to any non-public address", async () => {
    const resolveTo = (addresses: Array<{ address: string; family: number }>) =>
      ((_host: string, _opts: unknown, cb: (err: Error | null, a: typeof addresses) => void) => cb(null, addresses)) as never;
    const ask = (lookup: ReturnType<typeof publicOnlyLookup>) => new Promise<{ err: NodeJS.ErrnoException | null; address: string }>((resolve) =>
      lookup("example.signalwire.com", {}, (err, address) => resolve({ err, address: address as string })));
    expect(await ask(publicOnlyLookup(resolveTo([{ address: "93.184.216.34", family: 4 }])))).toEqual({ err: null, address: "93.184.216.34" });
    const rebound = await ask(publicOnlyLookup(resolveTo([{ address: "93.184.216.34", family: 4 }, { address: "127.0.0.1", family: 4 }])));
    expect(rebound.err?.code).toBe("ENOTPUBLIC");
  });
});
