import "server-only";
import { Readable } from "node:stream";
import type { FilesystemStorage } from "@/lib/storage/filesystem";

/**
 * Serving a stored object over HTTP for the filesystem adapter's signed URLs, with single-range
 * requests (audio elements seek with `Range: bytes=N-`). Multi-range requests are answered with
 * the whole object, which RFC 9110 allows.
 */
export type ByteRange = { start: number; end: number };

/**
 * Parse a Range header against an object of `size` bytes: a range, "unsatisfiable", or null
 * when the header is absent, malformed or multi-range (serve everything).
 */
export function parseRange(header: string | null, size: number): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    return size === 0 ? "unsatisfiable" : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

export async function serveStoredObject(
  store: FilesystemStorage,
  objectPath: string,
  req: { method: string; headers: Headers },
  maxAgeSeconds: number,
): Promise<Response> {
  const info = await store.info(objectPath);
  const headers = new Headers({
    "content-type": info.contentType,
    "accept-ranges": "bytes",
    "cache-control": `private, max-age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    "last-modified": info.modifiedAt.toUTCString(),
    "x-content-type-options": "nosniff",
    "content-disposition": "inline",
  });
  if (info.sha256) headers.set("etag", `"${info.sha256}"`);

  // If-Range: a range applies only while the object is the one the client saw.
  const ifRange = req.headers.get("if-range");
  const rangeHeader = ifRange && ifRange !== headers.get("etag") ? null : req.headers.get("range");
  const range = parseRange(rangeHeader, info.bytes);
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${info.bytes}`);
    headers.set("content-length", "0");
    return new Response(null, { status: 416, headers });
  }
  const head = req.method === "HEAD";
  if (range) {
    headers.set("content-range", `bytes ${range.start}-${range.end}/${info.bytes}`);
    headers.set("content-length", String(range.end - range.start + 1));
    return new Response(head ? null : toWeb(store.read(objectPath, range)), { status: 206, headers });
  }
  headers.set("content-length", String(info.bytes));
  return new Response(head || info.bytes === 0 ? null : toWeb(store.read(objectPath)), { status: 200, headers });
}

function toWeb(stream: Readable): ReadableStream<Uint8Array> {
  return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
}
