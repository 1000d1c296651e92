import "server-only";
import type { Tx } from "@/lib/db";
import type { RouteContext } from "@/lib/http/route";
import { webhookRoute, type Verifier } from "@/lib/http/webhook-route";
import { verifiedForm } from "@/lib/telephony/signature";

/** SignalWire's proof: X-SignalWire-Signature over the public URL and the form (lib/telephony/signature.ts). */
const signalwireSignature: Verifier<Record<string, string>> = { verify: verifiedForm };

/** Every SignalWire endpoint: the provider webhook shape (lib/http/webhook-route.ts) with SignalWire's signature, about one call. */
export function signalwireRoute(
  handler: (tx: Tx, input: { callId: string; form: Record<string, string>; url: URL }, ctx: RouteContext<{ callId: string }>) => Promise<Response>,
) {
  return webhookRoute<Record<string, string>, { callId: string }>(signalwireSignature, { subject: "callId", notFound: "No such call." }, (tx, { verified, params, url }, ctx) =>
    handler(tx, { callId: params.callId, form: verified, url }, ctx),
  );
}

export function laml(xml: string): Response {
  return new Response(xml, { status: 200, headers: { "content-type": "application/xml; charset=utf-8" } });
}
