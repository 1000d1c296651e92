import { addressProofRequestSchema, type AddressProofRequestedResponse } from "@/lib/auth/contracts";
import { requestAddressProof } from "@/lib/orgs/address-proofs";
import { clientIp, readJson, route } from "@/lib/http/route";

/**
 * Embedded default: send the address a link that lets whoever reads its mail set the password of
 * the account that uses it (docs/adr/0027). 202 with the same message for every address; 404 in
 * Supabase mode, where Supabase Auth proves addresses.
 */
export const POST = route(async (req) => {
  const body = await readJson(req, addressProofRequestSchema, 4 * 1024);
  const answer = await requestAddressProof({ email: body.email, ip: clientIp(req) });
  return Response.json(answer satisfies AddressProofRequestedResponse, { status: 202 });
});
