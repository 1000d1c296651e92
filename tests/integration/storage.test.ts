import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET, HEAD } from "@/app/api/storage/[...path]/route";
import { config, resetConfig } from "@/lib/config";
import { SignatureError } from "@/lib/errors";
import { resetStorage, storage } from "@/lib/storage";
import { FilesystemStorage } from "@/lib/storage/filesystem";
import { StoragePathError } from "@/lib/storage/paths";
import { SupabaseStorage } from "@/lib/storage/supabase";
import { parseRange } from "@/lib/storage/serve";
import { buildSignedStorageUrl, signStoragePath, verifyStorageSignature } from "@/lib/storage/signed-url";

/**
 * The filesystem adapter (embedded default) and its signed URLs. The route handler is called
 * directly with a Request, as Next would call it; the Playwright suite covers it behind a server.
 */

let root: string;
let store: FilesystemStorage;
const secret = "storage-test-secret-that-is-long-enough-0123456789";
const base = "http://127.0.0.1:3000";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A body that yields `bytes` in chunks, pausing between them so a test can look mid-write. */
function slowBody(bytes: Buffer, opts: { chunk?: number; pauseMs?: number; failAfter?: number } = {}): ReadableStream<Uint8Array> {
  const size = opts.chunk ?? 16 * 1024;
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (opts.failAfter !== undefined && offset >= opts.failAfter) {
        controller.error(new Error("upstream connection reset"));
        return;
      }
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      await new Promise((r) => setTimeout(r, opts.pauseMs ?? 0));
      controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + size)));
      offset += size;
    },
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "verbatim-storage-"));
  store = new FilesystemStorage({ root, publicBaseUrl: base, secret });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("filesystem put", () => {
  it("returns the size and SHA-256 of exactly what it wrote, from a web stream or a Node stream", async () => {
    const bytes = randomBytes(300_000 + 17);
    const fromWeb = await store.put("org/call/web.wav", slowBody(bytes, { chunk: 7_000 }), { contentType: "audio/wav" });
    const onDisk = await readFile(path.join(root, "org/call/web.wav"));
    expect(fromWeb).toEqual({ bytes: bytes.length, sha256: sha256(bytes) });
    expect(sha256(onDisk)).toBe(sha256(bytes));

    const fromNode = await store.put("org/call/node.bin", Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]), {
      contentType: "application/octet-stream",
    });
    expect(fromNode).toEqual({ bytes: bytes.length, sha256: sha256(bytes) });
    expect(await store.exists("org/call/node.bin")).toBe(true);
    expect(await store.exists("org/call/absent.bin")).toBe(false);
  });

  it("is atomic: nothing at the path until the write completes, and the old object stays whole meanwhile", async () => {
    const first = randomBytes(50_000);
    await store.put("org/call/atomic.wav", slowBody(first), { contentType: "audio/wav" });

    const second = randomBytes(200_000);
    const writing = store.put("org/call/atomic.wav", slowBody(second, { chunk: 10_000, pauseMs: 10 }), { contentType: "audio/wav" });
    await new Promise((r) => setTimeout(r, 60));
    // Mid-write: the path still holds the complete first object; the new bytes are in a temp file.
    expect(sha256(await readFile(path.join(root, "org/call/atomic.wav")))).toBe(sha256(first));
    expect((await readdir(path.join(root, "org/call"))).some((n) => n.startsWith(".atomic.wav.") && n.endsWith(".tmp"))).toBe(true);
    await writing;
    expect(sha256(await readFile(path.join(root, "org/call/atomic.wav")))).toBe(sha256(second));
    expect((await readdir(path.join(root, "org/call"))).filter((n) => n.endsWith(".tmp"))).toEqual([]);

    const fresh = store.put("org/call/new.wav", slowBody(second, { chunk: 10_000, pauseMs: 10 }), { contentType: "audio/wav" });
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.exists("org/call/new.wav")).toBe(false);
    await fresh;
    expect(await store.exists("org/call/new.wav")).toBe(true);
  });

  it("leaves nothing behind when the body fails midway", async () => {
    const bytes = randomBytes(100_000);
    await expect(store.put("org/broken/file.wav", slowBody(bytes, { failAfter: 40_000 }), { contentType: "audio/wav" })).rejects.toThrow(
      /connection reset/,
    );
    expect(await store.exists("org/broken/file.wav")).toBe(false);
    expect(await readdir(path.join(root, "org/broken"))).toEqual([]);
  });

  it("refuses traversal, absolute paths and characters outside [A-Za-z0-9._/-]", async () => {
    const bad = ["../escape.wav", "org/../../escape.wav", "/etc/passwd", "org//call.wav", "org/call/", "org/.hidden", "..", "", "org/call name.wav", "org/%2e%2e/x", "org\\x", "orgé/x", "a/b\u0000c"];
    for (const p of bad) {
      await expect(store.put(p, Readable.from([Buffer.from("x")]), { contentType: "text/plain" }), p).rejects.toBeInstanceOf(StoragePathError);
      await expect(store.signedUrl(p, { expiresInSeconds: 60 }), p).rejects.toBeInstanceOf(StoragePathError);
    }
    expect((await readdir(path.dirname(root))).includes("escape.wav")).toBe(false);
  });
});

describe("signed storage URLs", () => {
  const now = 1_900_000_000;

  it("verify a fresh signature and say how long it has left", () => {
    const sig = signStoragePath("org/call/rec.wav", now + 300, secret);
    expect(verifyStorageSignature({ path: "org/call/rec.wav", exp: String(now + 300), sig }, secret, now)).toBe(300);
  });

  it("refuse expired, tampered and malformed links", () => {
    const exp = now + 300;
    const sig = signStoragePath("org/call/rec.wav", exp, secret);
    const attempts: Array<[string, { path: string; exp: string | null; sig: string | null }, number]> = [
      ["expired", { path: "org/call/rec.wav", exp: String(exp), sig }, exp],
      ["expired long ago", { path: "org/call/rec.wav", exp: String(exp), sig }, exp + 86_400],
      ["other path", { path: "org/call/other.wav", exp: String(exp), sig }, now],
      ["other org", { path: "org2/call/rec.wav", exp: String(exp), sig }, now],
      ["extended exp", { path: "org/call/rec.wav", exp: String(exp + 3600), sig }, now],
      ["flipped signature", { path: "org/call/rec.wav", exp: String(exp), sig: (sig[0] === "A" ? "B" : "A") + sig.slice(1) }, now],
      ["truncated signature", { path: "org/call/rec.wav", exp: String(exp), sig: sig.slice(0, -2) }, now],
      ["other secret", { path: "org/call/rec.wav", exp: String(exp), sig: signStoragePath("org/call/rec.wav", exp, `${secret}x`) }, now],
      ["no signature", { path: "org/call/rec.wav", exp: String(exp), sig: null }, now],
      ["no exp", { path: "org/call/rec.wav", exp: null, sig }, now],
      ["non-numeric exp", { path: "org/call/rec.wav", exp: `${exp}.0`, sig }, now],
      // Correctly signed, but further off than any link this server issues (the year 2100).
      ["lifetime past the bound", { path: "org/call/rec.wav", exp: "4102444800", sig: signStoragePath("org/call/rec.wav", 4102444800, secret) }, now],
    ];
    for (const [name, input, at] of attempts) {
      expect(() => verifyStorageSignature(input, secret, at), name).toThrow(SignatureError);
    }
  });

  it("signedUrl builds a URL on the public base that verifies", async () => {
    const url = new URL(await store.signedUrl("org/call/web.wav", { expiresInSeconds: 120 }));
    expect(url.origin + url.pathname).toBe(`${base}/api/storage/org/call/web.wav`);
    const left = verifyStorageSignature(
      { path: "org/call/web.wav", exp: url.searchParams.get("exp"), sig: url.searchParams.get("sig") },
      secret,
    );
    expect(left).toBeGreaterThan(110);
    expect(left).toBeLessThanOrEqual(120);
  });
});

describe("range parsing", () => {
  it("handles the forms audio elements send", () => {
    expect(parseRange(null, 100)).toBeNull();
    expect(parseRange("bytes=0-", 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=10-19", 100)).toEqual({ start: 10, end: 19 });
    expect(parseRange("bytes=90-500", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-30", 100)).toEqual({ start: 70, end: 99 });
    expect(parseRange("bytes=-300", 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,5-6", 100)).toBeNull();
    expect(parseRange("items=0-1", 100)).toBeNull();
    expect(parseRange("bytes=20-10", 100)).toBeNull();
  });
});

describe("GET /api/storage/[...path]", () => {
  let served: Buffer;
  let serveRoot: string;

  beforeAll(async () => {
    serveRoot = await mkdtemp(path.join(tmpdir(), "verbatim-serve-"));
    process.env.STORAGE_DIR = serveRoot;
    resetConfig();
    resetStorage();
    served = randomBytes(10_000);
    await storage().put("org-a/call-1/RE1.wav", slowBody(served), { contentType: "audio/wav" });
  });

  afterAll(async () => {
    delete process.env.STORAGE_DIR;
    resetConfig();
    resetStorage();
    await rm(serveRoot, { recursive: true, force: true });
  });

  const call = (url: string, init: RequestInit = {}, method: typeof GET = GET) => {
    const segments = new URL(url).pathname.replace(/^\/api\/storage\//, "").split("/");
    return method(new Request(url, init), { params: Promise.resolve({ path: segments }) });
  };

  it("streams the object with its type, length and a private cache lifetime bounded by the link", async () => {
    const url = await storage().signedUrl("org-a/call-1/RE1.wav", { expiresInSeconds: 300 });
    expect(url.startsWith(`${config().publicBaseUrl}/api/storage/org-a/call-1/RE1.wav?exp=`)).toBe(true);
    const res = await call(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("audio/wav");
    expect(res.headers.get("content-length")).toBe(String(served.length));
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("cache-control")).toMatch(/^private, max-age=(29\d|300)$/);
    expect(res.headers.get("etag")).toBe(`"${sha256(served)}"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(served)).toBe(true);

    const head = await call(url, { method: "HEAD" }, HEAD);
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(served.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers Range requests with 206 and the exact bytes, and 416 past the end", async () => {
    const url = await storage().signedUrl("org-a/call-1/RE1.wav", { expiresInSeconds: 300 });
    const part = await call(url, { headers: { range: "bytes=100-199" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-199/${served.length}`);
    expect(part.headers.get("content-length")).toBe("100");
    expect(Buffer.from(await part.arrayBuffer()).equals(served.subarray(100, 200))).toBe(true);

    const tail = await call(url, { headers: { range: "bytes=9990-" } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(served.subarray(9990))).toBe(true);

    const beyond = await call(url, { headers: { range: `bytes=${served.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${served.length}`);
  });

  it("refuses a bad or expired signature with 403 and the standard error body", async () => {
    const url = new URL(await storage().signedUrl("org-a/call-1/RE1.wav", { expiresInSeconds: 300 }));
    const tampered = new URL(url);
    tampered.pathname = "/api/storage/org-b/call-1/RE1.wav";
    const expired = buildSignedStorageUrl(config().publicBaseUrl, "org-a/call-1/RE1.wav", Math.floor(Date.now() / 1000) - 1, config().sessionSecret!);
    for (const bad of [tampered.toString(), expired, `${url.origin}${url.pathname}`]) {
      const res = await call(bad);
      expect(res.status, bad).toBe(403);
      const body = await res.json();
      expect(body.error).toMatchObject({ code: "invalid_signature" });
      expect(typeof body.error.requestId).toBe("string");
    }
  });

  it("answers 404 for a validly signed path with no object", async () => {
    const url = await storage().signedUrl("org-a/call-1/none.wav", { expiresInSeconds: 60 });
    const res = await call(url);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe("not_found");
  });
});

describe("Supabase Storage adapter (storage-js against a stand-in Storage API)", () => {
  // A few lines of Supabase Storage's REST API: enough to see what storage-js really sends.
  let server: Server;
  let url: string;
  const objects = new Map<string, { body: Buffer; contentType: string; upsert: string | undefined; chunked: boolean }>();
  const auth: string[] = [];

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      auth.push(String(req.headers.authorization ?? ""));
      const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of req) chunks.push(chunk as Buffer);
      } catch {
        return; // the client gave up mid-upload
      }
      const json = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      let m: RegExpExecArray | null;
      if (req.method === "POST" && (m = /^\/storage\/v1\/object\/sign\/(.+)$/.exec(pathname))) {
        const { expiresIn } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { expiresIn: number };
        return json(200, { signedURL: `/object/sign/${m[1]}?token=tok-${expiresIn}` });
      }
      if (req.method === "GET" && (m = /^\/storage\/v1\/object\/info\/(.+)$/.exec(pathname))) {
        return objects.has(m[1]!) ? json(200, { name: m[1] }) : json(404, { statusCode: "404", error: "not_found", message: "Object not found" });
      }
      if (req.method === "POST" && (m = /^\/storage\/v1\/object\/(.+)$/.exec(pathname))) {
        objects.set(m[1]!, {
          body: Buffer.concat(chunks),
          contentType: String(req.headers["content-type"]),
          upsert: req.headers["x-upsert"] as string | undefined,
          chunked: req.headers["transfer-encoding"] === "chunked",
        });
        return json(200, { Key: m[1], Id: randomBytes(8).toString("hex") });
      }
      json(400, { statusCode: "400", error: "unexpected", message: `${req.method} ${pathname}` });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("streams the upload (chunked, upsert, content type) and hashes exactly the bytes sent", async () => {
    const store = new SupabaseStorage({ url, secretKey: "sb_secret_test", bucket: "recordings" });
    const bytes = randomBytes(200_000 + 3);
    const result = await store.put("org/call/RE9.wav", slowBody(bytes, { chunk: 9_000 }), { contentType: "audio/wav" });
    const received = objects.get("recordings/org/call/RE9.wav")!;
    expect(result).toEqual({ bytes: bytes.length, sha256: sha256(bytes) });
    expect(sha256(received.body)).toBe(sha256(bytes));
    expect(received).toMatchObject({ contentType: "audio/wav", upsert: "true", chunked: true });
    expect(auth.at(-1)).toBe("Bearer sb_secret_test");

    expect(await store.exists("org/call/RE9.wav")).toBe(true);
    expect(await store.exists("org/call/none.wav")).toBe(false);
    expect(await store.signedUrl("org/call/RE9.wav", { expiresInSeconds: 120 })).toBe(
      `${url}/storage/v1/object/sign/recordings/org/call/RE9.wav?token=tok-120`,
    );
    await expect(store.put("../x", slowBody(bytes), { contentType: "audio/wav" })).rejects.toBeInstanceOf(StoragePathError);
  });

  it("fails the put when the source fails midway", async () => {
    const store = new SupabaseStorage({ url, secretKey: "sb_secret_test", bucket: "recordings" });
    await expect(store.put("org/call/broken.wav", slowBody(randomBytes(100_000), { failAfter: 30_000 }), { contentType: "audio/wav" })).rejects.toThrow();
  });
});
