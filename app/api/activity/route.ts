import { activityQuerySchema, type ActivityResponse } from "@/lib/activity/contracts";
import { listActivity } from "@/lib/activity/feed";
import { memberRoute } from "@/lib/http/member-route";

export const dynamic = "force-dynamic";

/** The active organization's newest events (call timelines, sealed evidence, custody), newest first. */
export const GET = memberRoute("operations.view", async ({ tx, membership, query }) => {
  return Response.json((await listActivity(tx, { membership, ...query })) satisfies ActivityResponse);
}, { query: activityQuerySchema });
