import { REQUEST_ID_HEADER, requestIdFrom } from "@/lib/http/request-id";

/**
 * A request path whose percent-escapes do not decode (`/api/calls/%c0`, `/invite/%E0%A4%A`):
 * every router decodes its dynamic segments and throws on these, which used to surface as a
 * plain-text 500. The app's front server refuses them first, with the usual error shape.
 */
export function isMalformedPath(requestTarget: string): boolean {
  const path = requestTarget.split(/[?#]/, 1)[0]!;
  for (const segment of path.split("/")) {
    try {
      decodeURIComponent(segment);
    } catch {
      return true;
    }
  }
  return false;
}

/** The 400 answer for such a path: `{ error: { code, message, requestId } }`. */
export function malformedPathAnswer(headers: Headers): { status: 400; headers: Record<string, string>; body: string; requestId: string } {
  const requestId = requestIdFrom(headers);
  const body = { error: { code: "invalid_request", message: "The request path has a percent-escape that is not valid UTF-8.", requestId } };
  return {
    status: 400,
    headers: { "content-type": "application/json", "cache-control": "no-store", [REQUEST_ID_HEADER]: requestId },
    body: JSON.stringify(body),
    requestId,
  };
}
