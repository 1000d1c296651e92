import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Liveness: the process answers. Says nothing about dependencies (that is /ready). */
export const GET = route(async () => Response.json({ status: "ok" }));
