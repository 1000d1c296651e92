import { route } from "@/lib/http/route";
import { openApiDocument } from "@/lib/openapi/document";

export const dynamic = "force-dynamic";

/**
 * The API's OpenAPI 3.1 document, generated from the routes' zod contracts (lib/openapi,
 * docs/adr/0043). Public: it describes the API and reveals no data.
 */
export const GET = route(async () => Response.json(openApiDocument(), { headers: { "cache-control": "public, max-age=300" } }));
