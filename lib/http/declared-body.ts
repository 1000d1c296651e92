// Not `server-only`: bin/server.ts imports it outside the react-server condition.
import type { IncomingMessage, ServerResponse } from "node:http";
import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";

/**
 * The most a request body may be, except a bundle upload: 1 MiB, four times the largest body
 * any route reads (256 KiB: a targets CSV import; 64 KiB for JSON, survey and script drafts,
 * provider callbacks). The front
 * server (bin/server.ts) refuses a larger Content-Length with 413 from the headers alone, before
 * a byte of the body is read, and closes the connection: Next's proxy reads the body of every
 * request it runs on into memory, whether or not anything will read it, and the machine routes
 * would drain it. next.config.js caps what Next's proxy keeps of a body sent without a length at
 * the same figure (`experimental.proxyClientMaxBodySize`, 10 MB by default); the route's own
 * limit then answers 413 from the bytes it counts. (docs/adr/0032)
 */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** The bundle upload streams its body to disk under its own, larger limit (docs/adr/0028). */
const UPLOAD_PATH = "/api/evidence/verify";

/**
 * When `req` declares a body over the limit on any path but the upload: answer 413 in the error
 * shape, close the connection rather than read the body, and return true.
 */
export function refuseDeclaredOversizedBody(req: IncomingMessage, res: ServerResponse): boolean {
  const declared = Number(req.headers["content-length"]);
  if (!(declared > BODY_LIMIT_BYTES)) return false;
  if ((req.url ?? "/").split("?", 1)[0] === UPLOAD_PATH) return false;
  const given = req.headers[REQUEST_ID_HEADER];
  const requestId = requestIdFrom(new Headers(typeof given === "string" ? { [REQUEST_ID_HEADER]: given } : {}));
  const body = JSON.stringify({ error: { code: "payload_too_large", message: `The request body is larger than ${BODY_LIMIT_BYTES} bytes.`, requestId } });
  // Node reads (and drops) what is left of a request after its answer unless the connection
  // closes: with `connection: close` it closes as soon as the answer is out.
  res.writeHead(413, { "content-type": "application/json", "cache-control": "no-store", connection: "close", [REQUEST_ID_HEADER]: requestId }).end(body);
  return true;
}
