import { z } from "zod";
import { ROLES } from "@/lib/rbac/policy";

/**
 * The organization API's request and response bodies (members, invitations), each defined once
 * as a zod schema with its type by `z.infer`: route handlers parse requests with them, domain
 * functions return their types, the page's client islands and the tests read responses through
 * them. Client-safe: zod and the policy data only.
 */

export const memberSchema = z.object({
  userId: z.string(),
  /** Null when the account's email cannot be found. */
  email: z.string().nullable(),
  role: z.enum(ROLES),
  createdAt: z.string(),
});
export type Member = z.infer<typeof memberSchema>;

/** GET /api/members. */
export const memberListResponseSchema = z.object({ members: z.array(memberSchema) });
export type MemberListResponse = z.infer<typeof memberListResponseSchema>;

/** PATCH /api/members/:userId. */
export const updateMemberRequestSchema = z.strictObject({ role: z.enum(ROLES) });
export type UpdateMemberRequest = z.infer<typeof updateMemberRequestSchema>;

export const memberResponseSchema = z.object({ member: memberSchema });
export type MemberResponse = z.infer<typeof memberResponseSchema>;

export const invitationSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type Invitation = z.infer<typeof invitationSchema>;

/** POST /api/invitations. */
export const createInvitationRequestSchema = z.object({
  email: z.email().max(255),
  role: z.enum(ROLES),
});
export type CreateInvitationRequest = z.infer<typeof createInvitationRequestSchema>;

/** The same shape whether or not the address has an account. */
export const createInvitationResponseSchema = z.object({
  invitation: invitationSchema,
  /** Present only when nothing was emailed: the inviter passes the link on themselves. */
  acceptUrl: z.string().optional(),
});
export type CreateInvitationResponse = z.infer<typeof createInvitationResponseSchema>;

/** GET /api/invitations: the open ones, newest first. */
export const invitationListResponseSchema = z.object({ invitations: z.array(invitationSchema) });
export type InvitationListResponse = z.infer<typeof invitationListResponseSchema>;

/** POST /api/invitations/accept. */
export const acceptInvitationRequestSchema = z.object({
  token: z.string().min(1).max(200),
  /** Embedded default, signed out: create the account for the invitation's email (or sign in to it). */
  password: z.string().min(12, "password: at least 12 characters").max(1024).optional(),
});
export type AcceptInvitationRequest = z.infer<typeof acceptInvitationRequestSchema>;

export const acceptInvitationResponseSchema = z.object({
  organization: z.object({ id: z.string(), name: z.string() }),
  role: z.enum(ROLES),
});
export type AcceptInvitationResponse = z.infer<typeof acceptInvitationResponseSchema>;

/** GET /api/invitations/preview query. */
export const invitationPreviewQuerySchema = z.object({ token: z.string().default("") });

/** What the accept page shows: organization and role, nothing about any account. */
export const invitationPreviewSchema = z.object({
  orgName: z.string(),
  role: z.enum(ROLES),
  expiresAt: z.string(),
});
export type InvitationPreview = z.infer<typeof invitationPreviewSchema>;
