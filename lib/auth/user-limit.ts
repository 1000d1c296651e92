import "server-only";
import { Limit } from "@/lib/rate-limits";

/**
 * Requests per signed-in user to the member API, counted where the session is resolved
 * (`requireSession`, `memberRoute`), by every app process together (lib/rate-limits).
 * Generous for a person on the page (each realtime event revalidates a few panels) and for
 * scripts that page through results; a runaway client or a stolen session hammering the API is
 * cut off, whichever instances its requests reach.
 */
export const USER_LIMIT = new Limit("member_api_user", { points: 600, durationSeconds: 60 });

export async function assertUserWithinLimit(userId: string): Promise<void> {
  await USER_LIMIT.consume(userId, "Too many requests.");
}
