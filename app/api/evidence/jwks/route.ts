import { jwks } from "@/lib/evidence-sealing/keys";
import { evidenceKeyring } from "@/lib/evidence-sealing/authority";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/**
 * The evidence public keys (RFC 7517 JWK Set): the current signing key, then every retired one,
 * by kid. Public and cacheable: manifests and tree heads name their kid, and a retired key stays
 * here so what it signed still verifies. Never private material (lib/evidence-sealing/keys.ts `jwks`).
 */
export const GET = route(async () =>
  Response.json(jwks(await evidenceKeyring()), {
    headers: { "content-type": "application/jwk-set+json", "cache-control": "public, max-age=300" },
  }),
);
