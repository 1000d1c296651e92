import { z } from "zod";
import { PLANS, ROLES } from "@/lib/rbac/policy";

/** Client-safe: zod and the policy data only (the page's organization switcher reads it). */

/** One of the caller's organizations, with their role there and its plan. */
export const membershipSchema = z.object({
  orgId: z.string(),
  orgName: z.string(),
  plan: z.enum(PLANS),
  role: z.enum(ROLES),
  userId: z.string(),
});
export type Membership = z.infer<typeof membershipSchema>;
