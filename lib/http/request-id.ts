/** Request ids: accepted from `x-request-id` when they look sane, generated otherwise. */
export const REQUEST_ID_HEADER = "x-request-id";

const SANE = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestIdFrom(headers: Headers): string {
  const given = headers.get(REQUEST_ID_HEADER);
  return given && SANE.test(given) ? given : crypto.randomUUID();
}
