/**
 * Bodies our own server read off the socket before building the Request: bin/machine-routes.ts
 * does, for provider webhooks, since a small body read whole costs far less than a web stream.
 * The Request then carries no stream, and `readText` (lib/http/route.ts) reads these bytes
 * instead, under the same limit. No `server-only` here: the server imports this before it has
 * the react-server condition that marker needs.
 */
const preread = new WeakMap<Request, Uint8Array>();

/** A Request whose body has already been read into `bytes` (at most one byte past any route's limit). */
export function requestWithBody(url: string, init: { method: string; headers: Headers }, bytes: Uint8Array): Request {
  const req = new Request(url, init);
  preread.set(req, bytes);
  return req;
}

/** The pre-read body of `req`, once; undefined when it has none (read its stream instead). */
export function takePrereadBody(req: Request): Uint8Array | undefined {
  const bytes = preread.get(req);
  preread.delete(req);
  return bytes;
}
