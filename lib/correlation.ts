import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The request id of the work in progress, carried through `await`s without threading it through
 * every signature (docs/adr/0043): `route()` runs each request's handler inside it, the worker
 * runs each job inside the id its payload carries. `enqueue` stamps it on the jobs it adds; the
 * carrier's HTTP client sends it as `X-Request-Id`. Logs carry it on their child loggers, which
 * `route()` and the worker make from the same id.
 */
const current = new AsyncLocalStorage<string>();

/**
 * What a request id may look like: the rule lib/http/request-id.ts applies to a client's
 * `x-request-id` (that module is also the proxy's, which cannot load this server-only one).
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

export function withRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return requestId ? current.run(requestId, fn) : fn();
}

export function currentRequestId(): string | undefined {
  return current.getStore();
}
