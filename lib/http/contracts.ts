import { z } from "zod";

/**
 * The body of every error answer, from every route (`errorResponse` in lib/http/respond.ts):
 * a stable `code`, a message for people, the request id to quote, and sometimes details of the
 * error's own (`field`, `retryAfterSeconds`, …). Client-safe: zod only.
 */
export const errorBodySchema = z.object({
  error: z.looseObject({ code: z.string(), message: z.string(), requestId: z.string() }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
