import { timeStampAuthority } from "@/lib/evidence-sealing/authority";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/**
 * The time-stamping authority's certificate(s), PEM: what an evidence bundle's timestamp tokens
 * chain to, published so a verifier can pin them (`npm run verify -- --tsa-cert`) instead of
 * trusting the tsa.pem a bundle carries. Public and cacheable, like the JWKS beside it: the
 * embedded default's local TSA certificate, or the trusted certificates configured for an
 * external TSA (EVIDENCE_TSA_CERTIFICATES).
 */
export const GET = route(async () =>
  new Response(`${(await timeStampAuthority()).trustedCertificates.map((pem) => pem.trim()).join("\n")}\n`, {
    headers: { "content-type": "application/pem-certificate-chain", "cache-control": "public, max-age=300" },
  }),
);
