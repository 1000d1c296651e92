/**
 * Typed application errors. Domain code throws these; `lib/http/respond.ts` is the one place
 * that turns them into HTTP responses. Messages are written for the person reading them in
 * the UI: say what went wrong and, where there is one, what to do about it.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Extra fields that are safe to show to the caller (never secrets, never stack traces). */
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export class ValidationError extends AppError {
  readonly code = "invalid_request";
  readonly status = 400;
}

/** Well-formed but not acceptable (an invalid phone number, say). */
export class UnprocessableError extends AppError {
  readonly code: string;
  readonly status = 422;
  constructor(message: string, code = "unprocessable", details?: Record<string, unknown>) {
    super(message, details);
    this.code = code;
  }
}

export class UnauthenticatedError extends AppError {
  readonly code = "unauthenticated";
  readonly status = 401;
  constructor(message = "Sign in to continue.") {
    super(message);
  }
}

/** A webhook whose signature (or auth header) does not verify. */
export class SignatureError extends AppError {
  readonly code = "invalid_signature";
  readonly status = 403;
  constructor(message = "The request signature is missing or does not match.") {
    super(message);
  }
}

/** A provider webhook without the per-request auth header we chose, or with a wrong one (AssemblyAI). */
export class WebhookAuthError extends AppError {
  readonly code = "invalid_webhook_auth";
  readonly status = 401;
  constructor(message = "The webhook's auth header is missing or does not match.") {
    super(message);
  }
}

export class ForbiddenError extends AppError {
  readonly code: string = "forbidden";
  readonly status = 403;
}

/** The organization's plan does not include the feature; the message names the plan that does. */
export class PlanRequiredError extends ForbiddenError {
  override readonly code = "plan_required";
  constructor(feature: string, requiredPlan: string, currentPlan: string) {
    super(
      `${feature} needs the ${requiredPlan} plan; this organization is on ${currentPlan}. Upgrade to ${requiredPlan} to use it.`,
      { requiredPlan, currentPlan },
    );
  }
}

/**
 * A state-changing request made by another site's page (`Sec-Fetch-Site`, `Origin`): refused
 * before any work, whatever its cookies (lib/http/cross-site.ts, docs/adr/0026).
 */
export class CrossSiteRequestError extends ForbiddenError {
  override readonly code = "cross_site_request";
  constructor(reason: string) {
    super("This request came from another site. Verbatim accepts changes only from its own pages.", { reason });
  }
}

export class NotFoundError extends AppError {
  readonly code = "not_found";
  readonly status = 404;
  constructor(message = "Not found.") {
    super(message);
  }
}

export class ConflictError extends AppError {
  readonly code: string;
  readonly status = 409;
  constructor(message: string, code = "conflict", details?: Record<string, unknown>) {
    super(message, details);
    this.code = code;
  }
}

/** Something that existed and cannot be used any more (an accepted or expired invitation, a retired endpoint). */
export class GoneError extends AppError {
  readonly code: string;
  readonly status = 410;
  constructor(message: string, code = "gone", details?: Record<string, unknown>) {
    super(message, details);
    this.code = code;
  }
}

/** The request does not say which organization it is for, and there is no single answer. */
export class OrganizationRequiredError extends AppError {
  readonly code = "organization_required";
  readonly status = 409;
}

export class PayloadTooLargeError extends AppError {
  readonly code = "payload_too_large";
  readonly status = 413;
  constructor(limitBytes: number) {
    super(`The request body is larger than ${limitBytes} bytes.`, { limitBytes });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  readonly code = "unsupported_media_type";
  readonly status = 415;
}

export class RateLimitedError extends AppError {
  readonly code = "rate_limited";
  readonly status = 429;
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A provider answered, and the answer means we cannot go on (bad credentials, say). */
export class ProviderError extends AppError {
  readonly code: string;
  readonly status = 502;
  constructor(message: string, code = "provider_error", details?: Record<string, unknown>) {
    super(message, details);
    this.code = code;
  }
}

export class UnavailableError extends AppError {
  readonly code = "unavailable";
  readonly status = 503;
}
