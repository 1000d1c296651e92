import "server-only";
import { z } from "zod";
import { activityQuerySchema, activityResponseSchema } from "@/lib/activity/contracts";
import {
  addressProofRequestedResponseSchema, addressProofRequestSchema, addressProvenResponseSchema, chooseOrgRequestSchema, chooseOrgResponseSchema,
  confirmAddressProofRequestSchema, emailLinkSessionRequestSchema, meResponseSchema, realtimeTokenResponseSchema, signedInResponseSchema, signInRequestSchema,
} from "@/lib/auth/contracts";
import {
  callDetailQuerySchema, callDetailSchema, callHighlightsQuerySchema, callHighlightsResponseSchema, callListQuerySchema, callListResponseSchema, callSummarySchema,
  placeCallRequestSchema, recordingUrlResponseSchema, scoreRequestSchema, scoreResponseSchema, voiceConfigResponseSchema, voiceConfigUpdateSchema,
} from "@/lib/calls/contracts";
import { campaignCreateSchema, campaignListQuerySchema, campaignProgressSchema, campaignUpdateSchema, campaignViewSchema } from "@/lib/campaigns/contracts";
import {
  evidenceExportDownloadQuerySchema, evidenceExportLinkSchema, evidenceExportListSchema, evidenceExportPreviewSchema, evidenceExportRequestSchema, evidenceExportViewSchema,
} from "@/lib/evidence-sealing/export-contracts";
import { insightsQuerySchema, scriptInsightsSchema, surveyInsightsSchema } from "@/lib/insights/contracts";
import { assemblyaiWebhookBodySchema } from "@/lib/intelligence/assemblyai-webhook";
import {
  acceptInvitationRequestSchema, acceptInvitationResponseSchema, createInvitationRequestSchema, createInvitationResponseSchema, invitationListResponseSchema,
  invitationPreviewQuerySchema, invitationPreviewSchema, memberListResponseSchema, memberResponseSchema, updateMemberRequestSchema,
} from "@/lib/orgs/contracts";
import { deliveryListQuerySchema, endpointCreateSchema, endpointUpdateSchema, endpointViewSchema, rotateSecretSchema } from "@/lib/outbound/contracts";
import type { Action } from "@/lib/rbac/policy";
import {
  erasureRequestSchema, holdReleaseRequestSchema, holdRequestSchema, retentionApplyRequestSchema, retentionPreviewRequestSchema,
} from "@/lib/retention/contracts";
import {
  LIBRARY_BODY_LIMIT, previewResponseSchema, publishShopperScriptRequestSchema, publishSurveyRequestSchema, shopperScriptListResponseSchema,
  shopperScriptVersionResponseSchema, surveyListResponseSchema, surveyVersionResponseSchema, versionParamSchema,
} from "@/lib/surveys/contracts";
import { shopperScriptDraftSchema, surveyDraftSchema } from "@/lib/surveys/documents";
import {
  IMPORT_MAX_BYTES, IMPORT_MEDIA_TYPES, importPreviewSchema, targetCreateSchema, targetFilterSchema, targetImportBodySchema, targetImportQuerySchema,
  targetListQuerySchema, targetUpdateSchema, targetViewSchema, targetWriteResponseSchema,
} from "@/lib/targets/contracts";
import { gatherQuerySchema, lamlQuerySchema } from "@/lib/telephony/callbacks";
import { vconQuerySchema } from "@/lib/vcon/call-vcon";

/**
 * Every route under app/api, keyed by its file, as the OpenAPI document (document.ts) describes
 * it: who may call it, the query and body schemas it validates with — the very objects the route
 * hands to memberRoute, readJson or readQuery, imported from the same contracts — what it answers
 * and the error codes of its own. What every route of a kind answers (401 without a session, 403
 * for a role or plan, 404 across organizations, 429, 413, …) is added by document.ts from the
 * kind and the schemas; the roles and plan of each 403 come from lib/rbac/policy.ts.
 *
 * Nothing here is checked by hand: tests/unit/openapi.test.ts imports every route file and fails
 * when a route, a method, its kind, action, body, query, media types or limit disagree with this
 * list, either way (docs/adr/0043).
 */

export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
export type Method = (typeof METHODS)[number];

export type Auth =
  | { kind: "public"; why: string }
  | { kind: "session" }
  | { kind: "member"; action: Action }
  | { kind: "webhook"; scheme: "signalwireSignature" | "assemblyaiWebhookSecret" };

export interface Body {
  schema: z.ZodType;
  /** Default application/json. */
  mediaTypes?: readonly string[];
  /** Bytes; default 64 KiB (what readJson reads). */
  limit?: number;
  /** The body may be left out entirely. */
  optional?: boolean;
}

export interface Answer {
  description: string;
  schema?: z.ZodType;
  /** Default application/json when there is a schema. */
  mediaType?: string;
}

/** Error answers of the route's own (beyond what its kind answers), by status: the `code`s. */
export type OwnErrors = Partial<Record<400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 502 | 503, readonly string[]>>;

export interface Operation {
  summary: string;
  description?: string;
  auth: Auth;
  query?: z.ZodType;
  body?: Body;
  /** A large upload the handler streams itself (not a schema): its media types and limit. */
  upload?: { mediaTypes: readonly string[]; description: string };
  headers?: readonly { name: string; required: boolean; description: string }[];
  responses: Record<number, Answer>;
  errors?: OwnErrors;
}

export type RouteFile = `app/api/${string}route.ts`;

const member = (action: Action): Auth => ({ kind: "member", action });
const session: Auth = { kind: "session" };
const open = (why: string): Auth => ({ kind: "public", why });
const signalwire: Auth = { kind: "webhook", scheme: "signalwireSignature" };
const json = (description: string, schema?: z.ZodType): Answer => ({ description, schema });
const file = (description: string, mediaType: string): Answer => ({ description, mediaType });
const none = (description: string): Answer => ({ description });

const library = (schema: z.ZodType): Body => ({ schema, limit: LIBRARY_BODY_LIMIT });
const laml = file("The LaML document for the step.", "application/xml");
/** A provider's signed form: every field it sends; which are read, and their domains, are in docs/webhooks.md. */
const providerForm: Body = { schema: z.record(z.string(), z.string()), mediaTypes: ["application/x-www-form-urlencoded"] };

const dependencyCheckSchema = z.object({ state: z.enum(["ok", "down", "not_configured"]), latencyMs: z.number().int(), reason: z.string().optional() });
const readinessSchema = z.object({
  status: z.enum(["healthy", "degraded", "critical"]),
  ready: z.boolean(),
  degraded: z.array(z.enum(["database", "storage", "carrier", "transcriber", "tsa", "worker"])),
  checks: z.object({ database: dependencyCheckSchema, storage: dependencyCheckSchema, carrier: dependencyCheckSchema, transcriber: dependencyCheckSchema, tsa: dependencyCheckSchema, worker: dependencyCheckSchema }),
  checkedAt: z.string(),
  database: z.enum(["ok", "unreachable"]),
  migrations: z.enum(["current", "pending", "changed", "unknown"]),
  pending: z.array(z.string()),
  changed: z.array(z.string()),
});
const callResponseSchema = z.object({ call: callSummarySchema });
const campaignResponseSchema = z.object({ campaign: campaignViewSchema });
const endpointResponseSchema = z.object({ endpoint: endpointViewSchema });
const targetResponseSchema = z.object({ target: targetViewSchema });

export const API: Record<RouteFile, Partial<Record<Method, Operation>>> = {
  "app/api/activity/route.ts": {
    GET: { summary: "The organization's activity feed, newest first", auth: member("operations.view"), query: activityQuerySchema, responses: { 200: json("A page of activity.", activityResponseSchema) } },
  },
  "app/api/auth/address-proof/confirm/route.ts": {
    POST: {
      summary: "Set the password from an address-proof link", auth: open("the link's token is the credential"), body: { schema: confirmAddressProofRequestSchema, limit: 8 * 1024 },
      responses: { 200: json("The address is proven; other sessions ended.", addressProvenResponseSchema) }, errors: { 410: ["proof_used", "proof_expired"], 429: ["rate_limited"] },
    },
  },
  "app/api/auth/address-proof/route.ts": {
    POST: {
      summary: "Ask for a link that proves an email address", auth: open("the same answer for every address"), body: { schema: addressProofRequestSchema, limit: 4 * 1024 },
      responses: { 202: json("The same answer whether or not the address has an account.", addressProofRequestedResponseSchema) }, errors: { 429: ["rate_limited"] },
    },
  },
  "app/api/auth/session/route.ts": {
    POST: {
      summary: "Adopt a Supabase email link's session (Supabase mode only)", auth: open("verified with Supabase first"), body: { schema: emailLinkSessionRequestSchema, limit: 16 * 1024 },
      responses: { 200: json("Signed in.", signedInResponseSchema) }, errors: { 404: ["not_found"] },
    },
  },
  "app/api/auth/sign-in/route.ts": {
    POST: {
      summary: "Sign in with email and password", auth: open("creates the session"), body: { schema: signInRequestSchema, limit: 8 * 1024 },
      responses: { 200: json("Signed in; the session cookie is set.", signedInResponseSchema) }, errors: { 429: ["rate_limited"] },
    },
  },
  "app/api/auth/sign-out/route.ts": {
    POST: { summary: "Sign out", auth: session, responses: { 204: none("Signed out; the session is revoked.") } },
  },
  "app/api/calls/[id]/evidence/route.ts": {
    GET: {
      summary: "Export a call's evidence bundle (ZIP)", auth: member("evidence.export"),
      responses: { 200: file("The bundle: manifest, signature, artifacts, keys, VERIFY.md. Recorded as a custody event.", "application/zip") }, errors: { 409: ["not_sealed"] },
    },
  },
  "app/api/calls/[id]/evidence/versions/route.ts": {
    GET: { summary: "A call's sealed manifest versions and custody record", auth: member("evidence.export"), responses: { 200: json("The versions, newest first, and the custody events.") } },
  },
  "app/api/calls/[id]/highlights/route.ts": {
    GET: { summary: "Where one call matched a full-text search", auth: member("operations.view"), query: callHighlightsQuerySchema, responses: { 200: json("The matching fragments.", callHighlightsResponseSchema) } },
  },
  "app/api/calls/[id]/recording/route.ts": {
    GET: {
      summary: "A short-lived URL of the call's recording", auth: member("operations.view"), query: callDetailQuerySchema,
      responses: { 200: json("The signed URL and what it plays.", recordingUrlResponseSchema) }, errors: { 409: ["recording_not_ready"] },
    },
  },
  "app/api/calls/[id]/route.ts": {
    GET: { summary: "One call with its timeline, transcription, translations and scores", auth: member("operations.view"), query: callDetailQuerySchema, responses: { 200: json("The call.", z.object({ call: callDetailSchema })) } },
  },
  "app/api/calls/[id]/score/route.ts": {
    POST: {
      summary: "Re-score a call's transcript with a version of its shopper script", auth: member("survey.manage"), body: { schema: scoreRequestSchema, optional: true },
      responses: { 200: json("That version had scored it already.", scoreResponseSchema), 201: json("A new score, superseding the previous one.", scoreResponseSchema) },
      errors: { 409: ["not_transcribable", "no_shopper_script"] },
    },
  },
  "app/api/calls/[id]/transcription/retry/route.ts": {
    POST: {
      summary: "Retry a failed transcription", auth: member("recording.enable"),
      responses: { 202: json("A new transcription request was queued.", z.object({ transcriptionId: z.uuid() })) }, errors: { 409: ["nothing_to_retry"] },
    },
  },
  "app/api/calls/[id]/vcon/route.ts": {
    GET: {
      summary: "A call as a vCon (unsigned JSON or signed JWS)", auth: member("evidence.export"), query: vconQuerySchema,
      responses: { 200: file("The vCon, from the latest sealed manifest.", "application/json") }, errors: { 409: ["not_sealed"] },
    },
  },
  "app/api/calls/route.ts": {
    GET: { summary: "The call list, newest first, filtered", auth: member("operations.view"), query: callListQuerySchema, responses: { 200: json("A page of calls.", callListResponseSchema) }, errors: { 422: ["invalid_filter", "invalid_range"] } },
    POST: {
      summary: "Place a call", description: "Snapshots the modulations and inserts the call as queued before dialling once. The request's id travels with the call into every job and log line that follows (docs/adr/0043).",
      auth: member("calls.place"), body: { schema: placeCallRequestSchema, limit: 8 * 1024 },
      headers: [{ name: "Idempotency-Key", required: true, description: "8–255 visible characters; the same key again answers the same call and dials nothing." }],
      responses: {
        200: json("The same Idempotency-Key again: the first call.", callResponseSchema),
        201: json("Placed.", callResponseSchema),
        202: json("Inserted; the carrier's answer was ambiguous, so the reconciler settles it (never dialled twice).", callResponseSchema),
      },
      errors: {
        400: ["invalid_request"], 409: ["idempotency_key_reused"],
        422: ["invalid_number", "do_not_call", "invalid_modulations", "operator_phone_required", "telephony_unconfigured"],
        502: ["carrier_credentials_rejected", "carrier_rate_limited", "carrier_refused"],
      },
    },
  },
  "app/api/campaigns/[id]/cancel/route.ts": {
    POST: { summary: "Cancel a campaign", auth: member("campaign.manage"), responses: { 200: json("The campaign.", campaignResponseSchema) }, errors: { 409: ["conflict"] } },
  },
  "app/api/campaigns/[id]/evidence/route.ts": {
    POST: { summary: "Export every sealed call of a campaign (bulk archive)", auth: member("evidence.export"), responses: { 202: json("The export, queued.", evidenceExportViewSchema) }, errors: { 422: ["no_sealed_calls", "too_many_calls"] } },
  },
  "app/api/campaigns/[id]/launch/route.ts": {
    POST: { summary: "Launch a draft campaign", auth: member("campaign.manage"), responses: { 200: json("The campaign and how many targets it holds.") }, errors: { 409: ["conflict"], 422: ["no_targets"] } },
  },
  "app/api/campaigns/[id]/pause/route.ts": {
    POST: { summary: "Pause a running campaign", auth: member("campaign.pause"), responses: { 200: json("The campaign.", campaignResponseSchema) }, errors: { 409: ["conflict"] } },
  },
  "app/api/campaigns/[id]/progress/route.ts": {
    GET: { summary: "A campaign's progress", auth: member("campaign.read"), responses: { 200: json("Counts by target state and outcome.", z.object({ progress: campaignProgressSchema })) } },
  },
  "app/api/campaigns/[id]/results.csv/route.ts": {
    GET: { summary: "A campaign's results as CSV", auth: member("campaign.read"), responses: { 200: file("One row per target and attempt.", "text/csv") } },
  },
  "app/api/campaigns/[id]/resume/route.ts": {
    POST: { summary: "Resume a paused campaign", auth: member("campaign.pause"), responses: { 200: json("The campaign.", campaignResponseSchema) }, errors: { 409: ["conflict"] } },
  },
  "app/api/campaigns/[id]/route.ts": {
    GET: { summary: "One campaign", auth: member("campaign.read"), responses: { 200: json("The campaign.", campaignResponseSchema) } },
    PATCH: { summary: "Edit a campaign", auth: member("campaign.manage"), body: { schema: campaignUpdateSchema, limit: 256 * 1024 }, responses: { 200: json("The campaign.", campaignResponseSchema) }, errors: { 409: ["conflict"] } },
    DELETE: { summary: "Delete a draft campaign", auth: member("campaign.manage"), responses: { 204: none("Deleted.") }, errors: { 409: ["conflict"] } },
  },
  "app/api/campaigns/route.ts": {
    GET: { summary: "Campaigns, newest first", auth: member("campaign.read"), query: campaignListQuerySchema, responses: { 200: json("A page of campaigns.", z.object({ campaigns: z.array(campaignViewSchema), nextBefore: z.string().nullable() })) } },
    POST: { summary: "Create a campaign (a draft)", auth: member("campaign.manage"), body: { schema: campaignCreateSchema, limit: 256 * 1024 }, responses: { 201: json("The campaign.", campaignResponseSchema) } },
  },
  "app/api/evidence/exports/[id]/cancel/route.ts": {
    POST: { summary: "Cancel a bulk evidence export", auth: member("evidence.export"), responses: { 200: json("The export.", evidenceExportViewSchema) }, errors: { 409: ["conflict"] } },
  },
  "app/api/evidence/exports/[id]/download/route.ts": {
    GET: {
      summary: "Download a bulk export's archive through a signed link", auth: member("evidence.export"), query: evidenceExportDownloadQuerySchema,
      responses: { 200: file("The archive.", "application/zip") }, errors: { 403: ["forbidden"], 410: ["export_expired"] },
    },
  },
  "app/api/evidence/exports/[id]/link/route.ts": {
    POST: { summary: "A short-lived download link for a bulk export", auth: member("evidence.export"), responses: { 200: json("The link.", evidenceExportLinkSchema) }, errors: { 409: ["pending"], 410: ["export_expired"] } },
  },
  "app/api/evidence/exports/[id]/route.ts": {
    GET: { summary: "One bulk evidence export", auth: member("evidence.export"), responses: { 200: json("The export.", evidenceExportViewSchema) } },
  },
  "app/api/evidence/exports/route.ts": {
    GET: { summary: "The caller's bulk evidence exports", auth: member("evidence.export"), responses: { 200: json("The exports.", evidenceExportListSchema) } },
    POST: {
      summary: "Request a bulk evidence export (or count it: dryRun)", auth: member("evidence.export"), body: { schema: evidenceExportRequestSchema, limit: 32 * 1024 },
      responses: { 200: json("dryRun: how many calls it would hold.", evidenceExportPreviewSchema), 202: json("The export, queued.", evidenceExportViewSchema) },
      errors: { 422: ["no_sealed_calls", "too_many_calls", "invalid_filter"] },
    },
  },
  "app/api/evidence/jwks/route.ts": {
    GET: { summary: "The evidence signing keys (JWKS)", auth: open("anyone verifying a bundle needs them"), responses: { 200: file("The public keys, current and retired.", "application/jwk-set+json") } },
  },
  "app/api/evidence/tsa/route.ts": {
    GET: { summary: "The time-stamping authority's certificates (PEM)", auth: open("anyone verifying a bundle pins them"), responses: { 200: file("The PEM chain.", "application/pem-certificate-chain") } },
  },
  "app/api/evidence/verify/route.ts": {
    POST: {
      summary: "Verify an evidence bundle or manifest JWS against this server's keys and TSA", auth: member("evidence.export"),
      upload: { mediaTypes: ["application/zip", "application/jose", "text/plain"], description: "A bundle (ZIP) or a manifest JWS, up to EVIDENCE_VERIFY_MAX_BYTES (1 GiB)." },
      responses: { 200: json("The report, whether or not it verifies: ok and every failed check.") },
      errors: { 413: ["payload_too_large"], 415: ["unsupported_media_type"], 422: ["zip_<reason>"], 429: ["rate_limited"] },
    },
  },
  "app/api/health/live/route.ts": {
    GET: { summary: "Liveness: the process answers", auth: open("liveness probe"), responses: { 200: json("Alive.", z.object({ status: z.literal("ok") })) } },
  },
  "app/api/health/ready/route.ts": {
    GET: {
      summary: "Readiness: healthy, degraded or critical, with each dependency's state and latency",
      description: "Probes the database, storage, carrier, transcriber, TSA and the worker's heartbeat; cached 10 s per process, so probes cannot overload providers.",
      auth: open("readiness probe"),
      responses: { 200: json("Healthy, or degraded naming what is down; the app still takes requests.", readinessSchema), 503: json("Critical: the database does not answer or its migrations are not current.", readinessSchema) },
    },
  },
  "app/api/holds/[id]/release/route.ts": {
    POST: { summary: "Lift a legal hold", auth: member("hold.release"), body: { schema: holdReleaseRequestSchema, limit: 4 * 1024 }, responses: { 200: json("The hold, released.") }, errors: { 409: ["already_released"] } },
  },
  "app/api/holds/route.ts": {
    GET: { summary: "Legal holds", auth: member("retention.read"), responses: { 200: json("The holds.") } },
    POST: { summary: "Put calls on legal hold", auth: member("hold.set"), body: { schema: holdRequestSchema, limit: 8 * 1024 }, responses: { 201: json("The hold.") } },
  },
  "app/api/insights/scripts/[id]/route.ts": {
    GET: { summary: "Insights over a shopper script's scores", auth: member("insights.read"), query: insightsQuerySchema, responses: { 200: json("Scores over time, per criterion, the funnel.", scriptInsightsSchema) }, errors: { 422: ["invalid_range"] } },
  },
  "app/api/insights/surveys/[id]/route.ts": {
    GET: { summary: "Insights over a survey's answers", auth: member("insights.read"), query: insightsQuerySchema, responses: { 200: json("Answer distributions and the funnel.", surveyInsightsSchema) }, errors: { 422: ["invalid_range"] } },
  },
  "app/api/invitations/[id]/route.ts": {
    DELETE: { summary: "Revoke an invitation", auth: member("members.manage"), responses: { 204: none("Revoked.") } },
  },
  "app/api/invitations/accept/route.ts": {
    POST: {
      summary: "Accept an invitation (signed in, or creating the account)", auth: open("the token is the credential; the session is optional"), body: { schema: acceptInvitationRequestSchema, limit: 8 * 1024 },
      responses: { 200: json("Joined.", acceptInvitationResponseSchema) }, errors: { 409: ["already_member"], 410: ["invitation_used", "invitation_revoked", "invitation_expired"], 429: ["rate_limited"] },
    },
  },
  "app/api/invitations/preview/route.ts": {
    GET: { summary: "What an invitation link offers", auth: open("the token is the credential"), query: invitationPreviewQuerySchema, responses: { 200: json("The invitation as its holder may see it.", invitationPreviewSchema) } },
  },
  "app/api/invitations/route.ts": {
    GET: { summary: "Pending invitations", auth: member("members.manage"), responses: { 200: json("The invitations.", invitationListResponseSchema) } },
    POST: { summary: "Invite someone", auth: member("members.manage"), body: { schema: createInvitationRequestSchema }, responses: { 201: json("The invitation (and, without mail, its link).", createInvitationResponseSchema) } },
  },
  "app/api/laml/[callId]/gather/route.ts": {
    POST: { summary: "A survey question's Gather action: store the answer, answer with the next question", auth: signalwire, query: gatherQuerySchema, body: providerForm, responses: { 200: laml } },
  },
  "app/api/laml/[callId]/route.ts": {
    GET: { summary: "The LaML of a step of the call's flow", auth: signalwire, query: lamlQuerySchema, responses: { 200: laml }, errors: { 422: ["laml_step_not_in_flow"] } },
    POST: {
      summary: "The LaML of a step of the call's flow (after-dial also stores the dial's outcome)", auth: signalwire, query: lamlQuerySchema,
      body: providerForm, responses: { 200: laml }, errors: { 422: ["laml_step_not_in_flow"] },
    },
  },
  "app/api/me/route.ts": {
    GET: { summary: "Who is signed in, their memberships and active organization", auth: session, responses: { 200: json("The person.", meResponseSchema) } },
  },
  "app/api/members/[userId]/route.ts": {
    PATCH: { summary: "Change a member's role", auth: member("members.manage"), body: { schema: updateMemberRequestSchema, limit: 1024 }, responses: { 200: json("The member.", memberResponseSchema) }, errors: { 409: ["last_owner"] } },
    DELETE: { summary: "Remove a member", auth: member("members.manage"), responses: { 204: none("Removed.") }, errors: { 409: ["last_owner"] } },
  },
  "app/api/members/route.ts": {
    GET: { summary: "The organization's members", auth: member("members.manage"), responses: { 200: json("The members.", memberListResponseSchema) } },
    POST: { summary: "Retired: members join by invitation", auth: session, responses: {}, errors: { 410: ["use_invitations"] } },
  },
  "app/api/metrics/route.ts": {
    GET: {
      summary: "Prometheus metrics of this app process (text exposition format)",
      description: "Send `Authorization: Bearer <METRICS_TOKEN>`. Without a configured token the route does not exist (404).",
      auth: open("the metrics token, sent as a bearer token, is the credential"),
      responses: { 200: file("The metrics.", "text/plain; version=0.0.4; charset=utf-8") },
      errors: { 401: ["unauthenticated"], 404: ["not_found"] },
    },
  },
  "app/api/outbound-webhooks/deliveries/[id]/replay/route.ts": {
    POST: { summary: "Replay an outbound webhook delivery once", auth: member("webhooks.manage"), responses: { 202: none("Queued.") } },
  },
  "app/api/outbound-webhooks/deliveries/route.ts": {
    GET: { summary: "The outbound webhook delivery log", auth: member("webhooks.manage"), query: deliveryListQuerySchema, responses: { 200: json("A page of deliveries.") } },
  },
  "app/api/outbound-webhooks/endpoints/[id]/rotate-secret/route.ts": {
    POST: { summary: "Rotate an endpoint's signing secret", auth: member("webhooks.manage"), body: { schema: rotateSecretSchema, optional: true, limit: 1024 }, responses: { 200: json("The new secret, shown once.") } },
  },
  "app/api/outbound-webhooks/endpoints/[id]/route.ts": {
    GET: { summary: "One outbound webhook endpoint", auth: member("webhooks.manage"), responses: { 200: json("The endpoint.", endpointResponseSchema) } },
    PATCH: { summary: "Edit an endpoint", auth: member("webhooks.manage"), body: { schema: endpointUpdateSchema, limit: 16 * 1024 }, responses: { 200: json("The endpoint.", endpointResponseSchema) }, errors: { 422: ["url"] } },
    DELETE: { summary: "Delete an endpoint", auth: member("webhooks.manage"), responses: { 204: none("Deleted.") } },
  },
  "app/api/outbound-webhooks/endpoints/route.ts": {
    GET: { summary: "Outbound webhook endpoints", auth: member("webhooks.manage"), responses: { 200: json("The endpoints.", z.object({ endpoints: z.array(endpointViewSchema) })) } },
    POST: { summary: "Add an endpoint", auth: member("webhooks.manage"), body: { schema: endpointCreateSchema, limit: 16 * 1024 }, responses: { 201: json("The endpoint and its secret, shown once.") }, errors: { 422: ["url"] } },
  },
  "app/api/openapi.json/route.ts": {
    GET: { summary: "This document (OpenAPI 3.1)", auth: open("it describes the API and reveals no data"), responses: { 200: json("The OpenAPI document.") } },
  },
  "app/api/docs/route.ts": {
    GET: { summary: "This document as a readable page", auth: open("it describes the API and reveals no data"), responses: { 200: file("Every operation, its auth, schemas and error codes.", "text/html") } },
  },
  "app/api/realtime/route.ts": {
    GET: { summary: "Live notices (server-sent events)", auth: member("operations.view"), responses: { 200: file("An event stream of notices that revalidate the page's data.", "text/event-stream") } },
  },
  "app/api/realtime/token/route.ts": {
    GET: { summary: "The Supabase Realtime access token (Supabase mode only)", auth: session, responses: { 200: json("The token.", realtimeTokenResponseSchema) }, errors: { 404: ["not_found"] } },
  },
  "app/api/retention/erasure/route.ts": {
    GET: { summary: "Erasure requests", auth: member("retention.read"), responses: { 200: json("The requests.") } },
    POST: { summary: "Erase a data subject's calls", auth: member("erasure.request"), body: { schema: erasureRequestSchema, limit: 4 * 1024 }, responses: { 202: json("The request, queued.") } },
  },
  "app/api/retention/policies/preview/route.ts": {
    POST: { summary: "Preview what retention policies would delete", auth: member("retention.manage"), body: { schema: retentionPreviewRequestSchema, limit: 8 * 1024 }, responses: { 200: json("The calls due and a token for applying exactly this.") } },
  },
  "app/api/retention/policies/route.ts": {
    GET: { summary: "Retention policies", auth: member("retention.read"), responses: { 200: json("The policies.") } },
    PUT: { summary: "Apply previewed retention policies", auth: member("retention.manage"), body: { schema: retentionApplyRequestSchema, limit: 8 * 1024 }, responses: { 200: json("The policies.") }, errors: { 409: ["preview_stale", "preview_expired"] } },
  },
  "app/api/session/org/route.ts": {
    POST: { summary: "Choose the active organization", auth: member("operations.view"), body: { schema: chooseOrgRequestSchema }, responses: { 200: json("The active organization.", chooseOrgResponseSchema) } },
  },
  "app/api/shopper-scripts/[id]/route.ts": {
    GET: { summary: "A shopper script's latest version", auth: member("survey.read"), responses: { 200: json("The version and what it says.", shopperScriptVersionResponseSchema) } },
  },
  "app/api/shopper-scripts/[id]/versions/[version]/route.ts": {
    GET: { summary: "One version of a shopper script", auth: member("survey.read"), responses: { 200: json("The version.", shopperScriptVersionResponseSchema) } },
  },
  "app/api/shopper-scripts/[id]/versions/route.ts": {
    POST: { summary: "Publish a shopper script's next version", auth: member("survey.manage"), body: library(publishShopperScriptRequestSchema), responses: { 201: json("The new version.", shopperScriptVersionResponseSchema) }, errors: { 409: ["stale_version"] } },
  },
  "app/api/shopper-scripts/preview/route.ts": {
    POST: { summary: "What a shopper script draft will say", auth: member("survey.manage"), body: library(shopperScriptDraftSchema), responses: { 200: json("The spoken items.", previewResponseSchema) } },
  },
  "app/api/shopper-scripts/route.ts": {
    GET: { summary: "Shopper scripts (latest versions)", auth: member("survey.read"), responses: { 200: json("The scripts.", shopperScriptListResponseSchema) } },
    POST: { summary: "Create a shopper script", auth: member("survey.manage"), body: library(shopperScriptDraftSchema), responses: { 201: json("Its first version.", shopperScriptVersionResponseSchema) } },
  },
  "app/api/storage/[...path]/route.ts": {
    GET: { summary: "A stored object through a signed URL (embedded default)", auth: open("the URL's signature is the authorization"), responses: { 200: file("The object's bytes (ranges supported).", "application/octet-stream") }, errors: { 403: ["forbidden"] } },
    HEAD: { summary: "A stored object's headers through a signed URL", auth: open("the URL's signature is the authorization"), responses: { 200: none("The object's headers.") }, errors: { 403: ["forbidden"] } },
  },
  "app/api/surveys/[id]/route.ts": {
    GET: { summary: "A survey's latest version", auth: member("survey.read"), responses: { 200: json("The version and what it says.", surveyVersionResponseSchema) } },
  },
  "app/api/surveys/[id]/versions/[version]/route.ts": {
    GET: { summary: "One version of a survey", auth: member("survey.read"), responses: { 200: json("The version.", surveyVersionResponseSchema) } },
  },
  "app/api/surveys/[id]/versions/route.ts": {
    POST: { summary: "Publish a survey's next version", auth: member("survey.manage"), body: library(publishSurveyRequestSchema), responses: { 201: json("The new version.", surveyVersionResponseSchema) }, errors: { 409: ["stale_version"] } },
  },
  "app/api/surveys/preview/route.ts": {
    POST: { summary: "What a survey draft will say", auth: member("survey.manage"), body: library(surveyDraftSchema), responses: { 200: json("The spoken items.", previewResponseSchema) } },
  },
  "app/api/surveys/route.ts": {
    GET: { summary: "Surveys (latest versions)", auth: member("survey.read"), responses: { 200: json("The surveys.", surveyListResponseSchema) } },
    POST: { summary: "Create a survey", auth: member("survey.manage"), body: library(surveyDraftSchema), responses: { 201: json("Its first version.", surveyVersionResponseSchema) } },
  },
  "app/api/voice-config/route.ts": {
    GET: { summary: "The organization's voice configuration and what the caller may change", auth: member("operations.view"), responses: { 200: json("The configuration.", voiceConfigResponseSchema) } },
    PUT: { summary: "Change the voice configuration", auth: member("voice_config.update"), body: { schema: voiceConfigUpdateSchema, limit: 32 * 1024 }, responses: { 200: json("The new configuration.", voiceConfigResponseSchema) }, errors: { 409: ["stale_version"], 422: ["invalid_modulations"] } },
  },
  "app/api/voice/targets/[id]/route.ts": {
    GET: { summary: "One saved target", auth: member("target.read"), responses: { 200: json("The target.", targetResponseSchema) } },
    PATCH: {
      summary: "Edit a target (`{ dnc: true }` alone: mark it do-not-call)", description: "Marking do-not-call takes target.dnc; any other change, clearing a mark included, takes target.write.",
      auth: member("target.dnc"), body: { schema: targetUpdateSchema, limit: 8 * 1024 }, responses: { 200: json("The target.", targetResponseSchema) }, errors: { 409: ["duplicate_number"], 422: ["time_zone_required", "unknown_time_zone"] },
    },
    DELETE: { summary: "Delete a target", auth: member("target.write"), responses: { 204: none("Deleted.") }, errors: { 409: ["target_dnc"] } },
  },
  "app/api/voice/targets/export/route.ts": {
    GET: { summary: "Saved targets as CSV", auth: member("target.read"), query: targetFilterSchema, responses: { 200: file("The targets (numbers masked for viewers).", "text/csv") } },
  },
  "app/api/voice/targets/import/route.ts": {
    POST: {
      summary: "Import targets from CSV (preview, then commit)", auth: member("target.write"), query: targetImportQuerySchema,
      body: { schema: targetImportBodySchema, mediaTypes: IMPORT_MEDIA_TYPES, limit: IMPORT_MAX_BYTES },
      responses: { 200: json("mode=preview: the rows it would save, those it refuses, and a token.", importPreviewSchema), 201: json("mode=commit: saved exactly what the preview showed.") },
      errors: { 409: ["preview_stale"], 422: ["unprocessable"] },
    },
  },
  "app/api/voice/targets/route.ts": {
    GET: { summary: "Saved targets, a page at a time", auth: member("target.read"), query: targetListQuerySchema, responses: { 200: json("A page of targets.") } },
    POST: { summary: "Save a target", auth: member("target.write"), body: { schema: targetCreateSchema, limit: 8 * 1024 }, responses: { 201: json("The target.", targetWriteResponseSchema) }, errors: { 409: ["duplicate_number"], 422: ["time_zone_required", "unknown_time_zone", "invalid_number"] } },
  },
  "app/api/webhooks/assemblyai/route.ts": {
    POST: {
      summary: "AssemblyAI's transcript webhook (`?call=&request=`, our ids)", auth: { kind: "webhook", scheme: "assemblyaiWebhookSecret" },
      body: { schema: assemblyaiWebhookBodySchema }, responses: { 204: none("Acknowledged (also for repeats and unknown statuses).") }, errors: { 409: ["transcript_mismatch"] },
    },
  },
  "app/api/webhooks/signalwire/[callId]/recording/route.ts": {
    POST: {
      summary: "SignalWire's recording status callback", auth: signalwire, body: providerForm,
      responses: { 204: none("Stored once (a pending recording and its ingest job), or acknowledged.") }, errors: { 409: ["call_sid_mismatch"] },
    },
  },
  "app/api/webhooks/signalwire/[callId]/status/route.ts": {
    POST: {
      summary: "SignalWire's call status callback", auth: signalwire, body: providerForm,
      responses: { 204: none("Stored once and applied forward-only, or acknowledged.") }, errors: { 409: ["call_sid_mismatch"] },
    },
  },
};

/** Path parameters that name a record by its uuid (memberRoute answers 404 for anything else). */
export const UUID_PARAMS = new Set(["id", "callId", "userId"]);

/** A path parameter's schema, by name: a uuid, a version number, or the storage path's segments. */
export function pathParamSchema(name: string): z.ZodType {
  if (UUID_PARAMS.has(name)) return z.uuid();
  if (name === "version") return versionParamSchema;
  return z.string();
}
