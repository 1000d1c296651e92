import "server-only";
import { AppError, RateLimitedError } from "@/lib/errors";
import type { ErrorBody } from "@/lib/http/contracts";
import { REQUEST_ID_HEADER } from "@/lib/http/request-id";
import type { Logger } from "@/lib/logger";

/** Connection-level failures of the driver (postgres.js) and Postgres's own "not now" states. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH",
  "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED",
  "57P01", "57P02", "57P03", "53300",
]);

/** True when the error (or what caused it) says the database could not be reached, not that a query was wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? "");
    if (UNREACHABLE_CODES.has(code) || code.startsWith("08")) return true;
  }
  return false;
}

/**
 * The one mapping from errors to HTTP. A database that cannot be reached is a 503 with
 * Retry-After (a provider retries, a person is told to try again); any other unknown error is a
 * 500 without internals.
 */
export function errorResponse(err: unknown, requestId: string, log: Logger): Response {
  if (err instanceof AppError) {
    const level = err.status >= 500 ? "error" : "info";
    log[level]({ code: err.code, status: err.status, detail: err.message }, "request failed");
    const headers = new Headers({ [REQUEST_ID_HEADER]: requestId });
    if (err instanceof RateLimitedError) headers.set("retry-after", String(err.retryAfterSeconds));
    const body: ErrorBody = {
      error: { ...err.details, code: err.code, message: err.message, requestId },
    };
    return Response.json(body, { status: err.status, headers });
  }
  if (isDatabaseUnavailable(err)) {
    log.error({ err }, "database unavailable");
    const body: ErrorBody = {
      error: { code: "unavailable", message: "The database is not answering right now. Try again in a few seconds.", requestId },
    };
    return Response.json(body, { status: 503, headers: { [REQUEST_ID_HEADER]: requestId, "retry-after": "5" } });
  }
  log.error({ err }, "unhandled error");
  const body: ErrorBody = {
    error: { code: "internal", message: "Something went wrong on our side. Quote the request id if you report it.", requestId },
  };
  return Response.json(body, { status: 500, headers: { [REQUEST_ID_HEADER]: requestId } });
}
