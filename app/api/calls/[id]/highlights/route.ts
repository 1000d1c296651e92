import type { z } from "zod";
import { callHighlightsQuerySchema } from "@/lib/calls/contracts";
import { callHighlights } from "@/lib/calls/call-search";
import { viewFor } from "@/lib/calls/call-view";
import { NotFoundError } from "@/lib/errors";
import { memberRoute } from "@/lib/http/member-route";
import { check } from "@/lib/rbac/authorize";

export const dynamic = "force-dynamic";

/**
 * Where one call's transcript and translations match `q`: the matching utterances of the
 * transcript the caller reads (by index in the detail's `transcript.utterances`) and each
 * translation they may read, hits marked as fragments. Reading transcripts is required (403);
 * another organization's call or a malformed id is 404.
 */
export const GET = memberRoute<{ id: string }, z.ZodUndefined, typeof callHighlightsQuerySchema>("operations.view", async ({ tx, orgId, membership, params, query }) => {
  if (query.original) check(membership, "transcript.original", orgId);
  const highlights = await callHighlights(tx, { orgId, callId: params.id, q: query.q, view: viewFor(membership, { original: Boolean(query.original) }) });
  if (!highlights) throw new NotFoundError("Call not found.");
  return Response.json(highlights);
}, { query: callHighlightsQuerySchema });
