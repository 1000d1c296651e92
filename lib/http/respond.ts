import "server-only";
import { AppError, RateLimitedError } from "@/lib/errors";
import type { ErrorBody } from "@/lib/http/contracts";
import { REQUEST_ID_HEADER } from "@/lib/http/request-id";
import type { Logger } from "@/lib/log";

/** The one mapping from errors to HTTP. Unknown errors become a 500 without internals. */
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
  log.error({ err }, "unhandled error");
  const body: ErrorBody = {
    error: { code: "internal", message: "Something went wrong on our side. Quote the request id if you report it.", requestId },
  };
  return Response.json(body, { status: 500, headers: { [REQUEST_ID_HEADER]: requestId } });
}
