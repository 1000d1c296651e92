import { memberRoute } from "@/lib/http/member-route";
import { rotateSecretSchema } from "@/lib/outbound/contracts";
import { rotateSecret } from "@/lib/outbound/endpoints";

export const dynamic = "force-dynamic";

/** A new signing secret, in this answer only; the previous ones keep signing for `overlapSeconds` (default a day). */
export const POST = memberRoute<{ id: string }, typeof rotateSecretSchema>("webhooks.manage", async ({ tx, orgId, params, body }) => {
  return Response.json(await rotateSecret(tx, { orgId, id: params.id, overlapSeconds: body.overlapSeconds }), { headers: { "cache-control": "no-store" } });
}, { body: rotateSecretSchema, optionalBody: true, bodyLimit: 1024 });
