import { readiness } from "@/lib/db/readiness";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Readiness: 200 when the database answers and migrations are current, 503 otherwise. */
export const GET = route(async () => {
  const result = await readiness();
  return Response.json(result, { status: result.ready ? 200 : 503 });
});
