import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withRequestId } from "@/lib/correlation";
import { signalwire } from "@/lib/telephony/client";
import { clearSignalWire, configureSignalWire } from "@/tests/support/signalwire";

/**
 * The carrier hears the request id at work (docs/adr/0043): the SignalWire SDK, as the app
 * configures it (`signalwire()`), sends `X-Request-Id` on its REST requests whenever a request or
 * a job is running, and nothing of the kind otherwise. A local server stands in for the carrier
 * and keeps the headers of what it received.
 */
let server: Server;
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(req.headers);
    req.resume();
    req.on("end", () => {
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ sid: "CA0123456789abcdef0123456789abcdef", status: "queued" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  configureSignalWire({ CARRIER_SIMULATOR_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

afterAll(async () => {
  clearSignalWire();
  await new Promise((resolve) => server.close(resolve));
});

const dial = () => signalwire().calls.create({ to: "+14155550123", from: "+14155550100", url: "https://voice.example.test/api/laml/x" });

describe("the SignalWire client", () => {
  it("sends the request id at work as X-Request-Id", async () => {
    received.length = 0;
    await withRequestId("place-0123456789", dial);
    expect(received).toHaveLength(1);
    expect(received[0]!["x-request-id"]).toBe("place-0123456789");
    expect(received[0]!.authorization).toMatch(/^Basic /);
  });

  it("sends none when no request or job is at work", async () => {
    received.length = 0;
    await dial();
    expect(received).toHaveLength(1);
    expect(received[0]!["x-request-id"]).toBeUndefined();
  });
});
