import "server-only";
import { z } from "zod";
import { maskNumber, viewFor } from "@/lib/calls/call-view";
import { config } from "@/lib/config";
import { asService, type Tx } from "@/lib/db";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { buildVcon, contentHashOf, signVcon, VCON_MEDIA_TYPE, vconBytes, x5cChain, type Vcon } from "@/lib/evidence/vcon";
import { evidenceKeyring } from "@/lib/evidence-sealing/authority";
import { appendCustodyEvent } from "@/lib/evidence-sealing/custody";
import { jsonArtifactBytes, parsedBodies } from "@/lib/evidence-sealing/export";
import { manifestsOfCall } from "@/lib/evidence-sealing/manifests";
import type { Membership } from "@/lib/rbac/membership";

/**
 * A call's vCon by API (docs/adr/0038): `GET /api/calls/:id/vcon`, who may export evidence may
 * export it. Built from the latest sealed manifest version and the JSON artifacts it lists (as
 * the member reads them, under RLS), so its hashes are the manifest's and two requests for one
 * version give the same bytes. A member who sees numbers masked gets the redacted form, which
 * names the original by uuid, URL and hash; `redacted=1` asks for it anyway. `form=signed` wraps
 * either in a General JWS signed with the organization's evidence key (x5c when
 * EVIDENCE_SIGNING_CERTIFICATES is set). Every request is an `evidence.exported` custody event.
 */
export const vconQuerySchema = z.strictObject({
  form: z.enum(["unsigned", "signed"]).default("unsigned"),
  redacted: z.enum(["0", "1", "true", "false"]).optional(),
});
export type VconQuery = z.infer<typeof vconQuerySchema>;

export interface CallVcon {
  uuid: string;
  version: number;
  redacted: boolean;
  contentType: string;
  body: string;
}

export async function callVcon(
  tx: Tx,
  args: { membership: Pick<Membership, "orgId" | "role" | "plan">; callId: string; actorUserId: string; requestId: string; query: VconQuery },
): Promise<CallVcon> {
  const orgId = args.membership.orgId;
  const { callId } = args;
  const [call] = await tx<{ id: string }[]>`select id from public.calls where organization_id = ${orgId} and id = ${callId}`;
  if (!call) throw new NotFoundError("No such call in this organization.");
  const latest = (await manifestsOfCall(tx, { orgId, callId })).at(-1);
  if (!latest) throw new ConflictError("This call has no sealed manifest yet: its vCon is made from the sealed evidence, a few seconds after the call ends.", "not_sealed");

  const bodies = parsedBodies(await jsonArtifactBytes(tx, { orgId, callId, artifacts: latest.manifest.artifacts }));
  const base = { manifest: latest.manifest, manifestJws: latest.jws, bodies };
  const original = buildVcon({ ...base, form: "original" });
  const redacted = args.query.redacted === "1" || args.query.redacted === "true" || !viewFor(args.membership).numbers;
  const vcon: Vcon = redacted
    ? buildVcon({ ...base, form: "redacted", mask: maskNumber, original: { uuid: original.uuid, contentHash: contentHashOf(vconBytes(original)) } })
    : original;

  await asService((service) =>
    appendCustodyEvent(service, { orgId, actorUserId: args.actorUserId, action: "evidence.exported", callId, manifestId: latest.id, sha256: latest.manifestSha256, requestId: args.requestId }));

  if (args.query.form === "unsigned") return { uuid: vcon.uuid, version: latest.version, redacted, contentType: VCON_MEDIA_TYPE, body: vconBytes(vcon) };
  const keyring = await evidenceKeyring();
  const certificates = config().evidence.signingCertificates;
  const x5c = certificates ? x5cChain(certificates, keyring.signing.publicJwk) : undefined;
  const jws = await signVcon(vcon, keyring.signing, x5c);
  return { uuid: vcon.uuid, version: latest.version, redacted, contentType: "application/vcon+json", body: JSON.stringify(jws) };
}
