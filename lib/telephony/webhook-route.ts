import "server-only";
import { z } from "zod";
import { asService, type Tx } from "@/lib/db";
import { ConfigError } from "@/lib/config";
import { NotFoundError } from "@/lib/errors";
import { clientIp, route, type RouteContext } from "@/lib/http/route";
import { verifiedForm } from "@/lib/telephony/signature";
import { WEBHOOK_LIMITS } from "@/lib/telephony/webhook-limits";

/**
 * The shape of every SignalWire endpoint: limits first (in memory, no database), then verify
 * the signature over the raw body (a bad one is 403 — 429 once its address has sent too many —
 * and nothing is read from the database), then check the call id in the path and count the
 * request against that call, then run one domain function in a service transaction. Ignored
 * events still answer 2xx; a refused request (429, Retry-After) stores nothing.
 */
export function signalwireRoute(
  handler: (tx: Tx, input: { callId: string; form: Record<string, string>; url: URL }, ctx: RouteContext<{ callId: string }>) => Promise<Response>,
) {
  return route<{ callId: string }>(async (req, ctx) => {
    const source = clientIp(req);
    await WEBHOOK_LIMITS.perSource.consume(source, "Too many webhook requests from this address.");
    let form: Record<string, string>;
    try {
      form = await verifiedForm(req);
    } catch (err) {
      // A flood of unverifiable requests is answered 429 once over its budget. Requests that
      // verify are never refused for others' failures: a carrier shares addresses (and the
      // simulator shares loopback) with whoever is forging, and must not be locked out by them.
      if (!(err instanceof ConfigError)) {
        await WEBHOOK_LIMITS.failedPerSource.penalize(source);
        await WEBHOOK_LIMITS.failedPerSource.assertOpen(source, "Too many unverifiable webhook requests from this address.");
      }
      throw err;
    }
    if (!z.uuid().safeParse(ctx.params.callId).success) throw new NotFoundError("No such call.");
    await WEBHOOK_LIMITS.perCall.consume(ctx.params.callId, "Too many webhook requests for this call.");
    return asService((tx) => handler(tx, { callId: ctx.params.callId, form, url: new URL(req.url) }, ctx));
  });
}

export function laml(xml: string): Response {
  return new Response(xml, { status: 200, headers: { "content-type": "application/xml; charset=utf-8" } });
}
