import "server-only";
import { z } from "zod";
import { asService, type Tx } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";
import { route, type RouteContext } from "@/lib/http/route";
import { verifiedForm } from "@/lib/telephony/signature";

/**
 * The shape of every SignalWire endpoint: verify the signature over the raw body first (a bad
 * one is 403 and nothing is read from the database), then check the call id in the path, then
 * run one domain function in a service transaction. Ignored events still answer 2xx.
 */
export function signalwireRoute(
  handler: (tx: Tx, input: { callId: string; form: Record<string, string>; url: URL }, ctx: RouteContext<{ callId: string }>) => Promise<Response>,
) {
  return route<{ callId: string }>(async (req, ctx) => {
    const form = await verifiedForm(req);
    if (!z.uuid().safeParse(ctx.params.callId).success) throw new NotFoundError("No such call.");
    return asService((tx) => handler(tx, { callId: ctx.params.callId, form, url: new URL(req.url) }, ctx));
  });
}

export function laml(xml: string): Response {
  return new Response(xml, { status: 200, headers: { "content-type": "application/xml; charset=utf-8" } });
}
