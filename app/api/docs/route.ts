import { route } from "@/lib/http/route";
import { openApiDocument } from "@/lib/openapi/document";
import { referencePage } from "@/lib/openapi/reference-page";

export const dynamic = "force-dynamic";

/**
 * The OpenAPI document as a page people read: every operation with its auth, parameters, body,
 * answers and error codes, rendered on the server with no script (docs/adr/0043). Public.
 */
export const GET = route(async () =>
  new Response(referencePage(openApiDocument()), { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "public, max-age=300" } }),
);
