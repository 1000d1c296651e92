import "server-only";
import type { Db, Tx } from "@/lib/db";
import type { RouteContext } from "@/lib/http/route";
import { webhookRoute, type Verifier } from "@/lib/http/webhook-route";
import { verifiedForm } from "@/lib/telephony/signature";

/** SignalWire's proof: X-SignalWire-Signature over the public URL and the form (lib/telephony/signature.ts). */
const signalwireSignature: Verifier<Record<string, string>> = { provider: "signalwire", scheme: "signalwireSignature", verify: verifiedForm };

/** Every SignalWire endpoint: the provider webhook shape (lib/http/webhook-route.ts) with SignalWire's signature, about one call. */
export function signalwireRoute(
  handler: (tx: Tx, input: { callId: string; form: Record<string, string>; url: URL }, ctx: RouteContext<{ callId: string }>) => Promise<Response>,
): ReturnType<typeof webhookRoute>;
/** One-statement handlers (a status report): no explicit transaction, one round trip. */
export function signalwireRoute(
  handler: (db: Db, input: { callId: string; form: Record<string, string>; url: URL }, ctx: RouteContext<{ callId: string }>) => Promise<Response>,
  options: { transaction: false },
): ReturnType<typeof webhookRoute>;
export function signalwireRoute(
  handler: (db: Tx, input: { callId: string; form: Record<string, string>; url: URL }, ctx: RouteContext<{ callId: string }>) => Promise<Response>,
  options: { transaction?: boolean } = {},
) {
  return webhookRoute<Record<string, string>, { callId: string }>(
    signalwireSignature,
    { subject: "callId", notFound: "No such call.", transaction: options.transaction },
    (db, { verified, params, url }, ctx) => handler(db as Tx, { callId: params.callId, form: verified, url }, ctx),
  );
}

export function laml(xml: string): Response {
  return new Response(xml, { status: 200, headers: { "content-type": "application/xml; charset=utf-8" } });
}
