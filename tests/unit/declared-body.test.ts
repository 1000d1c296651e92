import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BODY_LIMIT_BYTES, refuseDeclaredOversizedBody } from "@/lib/http/declared-body";
import type { NextConfig } from "next";

/**
 * The front server's refusal of a body larger than any route reads (docs/adr/0032), on a real
 * HTTP server: the answer comes from the headers, before the client sends the body, and the
 * connection closes, so nothing of the body is read into memory. Whatever the server passes on
 * reads its whole body and answers with its size (what Next's proxy would do, in memory).
 */
let server: Server;
let base: string;
const bytesReadBySocket: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    req.socket.once("close", () => bytesReadBySocket.push((req.socket as Socket).bytesRead));
    if (refuseDeclaredOversizedBody(req, res)) return;
    let size = 0;
    req.on("data", (chunk: Buffer) => (size += chunk.length));
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ size })));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/**
 * Send the headers (declaring `declared` bytes) and `first` bytes of the body, then wait for an
 * answer without sending more. The client asks to keep the connection alive; `closed` says
 * whether the server closed it anyway (within a second of answering).
 */
function declare(path: string, declared: number, first: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown>; closed: boolean }> {
  const agent = new Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", "content-length": String(declared), ...headers }, agent }, (res) => {
      let body = "";
      const socket = req.socket!;
      const closed = new Promise<boolean>((done) => {
        const timer = setTimeout(() => done(false), 500);
        socket.once("close", () => {
          clearTimeout(timer);
          done(true);
        });
      });
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => {
        void closed.then((wasClosed) => {
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers, closed: wasClosed });
          agent.destroy();
        });
      });
    });
    req.on("error", reject);
    req.write(Buffer.alloc(first, "{"));
    if (first === declared) req.end();
  });
}

describe("a declared body larger than any route reads", () => {
  it("is 413 from the headers, in the error shape, before the body is sent, and the connection closes", async () => {
    bytesReadBySocket.length = 0;
    const answer = await declare("/api/calls", 12 * 1000 ** 2, 0, { "x-request-id": "req-12345678" });
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe("close");
    expect(JSON.parse(answer.body)).toEqual({ error: { code: "payload_too_large", message: `The request body is larger than ${BODY_LIMIT_BYTES} bytes.`, requestId: "req-12345678" } });
    expect(answer.closed).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    // Headers only: nothing of the 12 MB was read.
    expect(bytesReadBySocket[0]).toBeLessThan(1024);
  });

  it("is refused on any path and method but the bundle upload, which takes its own larger limit", async () => {
    for (const path of ["/", "/api/webhooks/signalwire/x/status", "/api/evidence/verify/x", "/api/evidence/exports"]) {
      expect((await declare(path, BODY_LIMIT_BYTES + 1, 0)).status, path).toBe(413);
    }
    const upload = await declare("/api/evidence/verify", BODY_LIMIT_BYTES + 1, BODY_LIMIT_BYTES + 1);
    expect(upload.status).toBe(200);
    expect(JSON.parse(upload.body)).toEqual({ size: BODY_LIMIT_BYTES + 1 });
  });

  it("lets through a body at the limit, and one whose length is not declared", async () => {
    const atLimit = await declare("/api/calls", BODY_LIMIT_BYTES, BODY_LIMIT_BYTES);
    expect(JSON.parse(atLimit.body)).toEqual({ size: BODY_LIMIT_BYTES });
    expect(atLimit.closed).toBe(false);
    expect((await declare("/api/calls", 2, 2)).status).toBe(200);
  });

  it("is what Next's proxy keeps of a body sent without a length", async () => {
    const { default: nextConfig } = (await import(pathToFileURL(path.resolve("next.config.js")).href)) as { default: NextConfig };
    expect(nextConfig.experimental?.proxyClientMaxBodySize).toBe(BODY_LIMIT_BYTES);
  });
});
