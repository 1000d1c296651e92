import { requestCookieJar } from "@/lib/auth";
import { confirmAddressProofRequestSchema, type AddressProvenResponse } from "@/lib/auth/contracts";
import { confirmAddressProof } from "@/lib/orgs/address-proofs";
import { storableHeader } from "@/lib/pg-safe";
import { clientIp, readJson, route } from "@/lib/http/route";

/**
 * The link's holder proved the address: set the account's password, end every other session of
 * it, sign this browser in (docs/adr/0027). The token is the credential.
 */
export const POST = route(async (req, { log }) => {
  const body = await readJson(req, confirmAddressProofRequestSchema, 8 * 1024);
  const userAgent = storableHeader(req.headers.get("user-agent"));
  const proven = await confirmAddressProof(await requestCookieJar(), { ...body, ip: clientIp(req), userAgent });
  log.info({ userId: proven.user.id, offeredAgain: proven.offeredAgain.length, kept: proven.kept.length }, "address proven: password set, other sessions ended");
  return Response.json(proven satisfies AddressProvenResponse);
});
