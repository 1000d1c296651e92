import "server-only";
import { z } from "zod";
import { ConfigError } from "@/lib/config";
import { asService, type Db } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { NotFoundError } from "@/lib/errors";
import { clientIp, route, type RouteContext } from "@/lib/http/route";
import { WEBHOOK_LIMITS } from "@/lib/http/webhook-limits";
import { describeRoute } from "@/lib/http/route-contract";
import { routeTemplate } from "@/lib/http/route-template";
import { metrics, recording, webhookOutcome } from "@/lib/metrics";
import { consumeAll, type LimitCheck } from "@/lib/rate-limits";

/**
 * The one shape of every provider endpoint, whatever the provider: verification is a parameter,
 * so no provider route can skip it. In order:
 *  1. an address this process already saw go over the per-source limit is refused (429) from
 *     memory, before its body is read;
 *  2. `verifier.verify(req)`, which reads the raw body once and proves the request came from the
 *     provider — SignalWire's signature, AssemblyAI's per-request header — or throws (401/403;
 *     429 once an address has sent too many unverifiable requests);
 *  3. the subject in the path or the query (a call id, a transcription request id): malformed →
 *     404;
 *  4. the request is counted against its limits in one statement, shared by every app process
 *     (lib/rate-limits): per source address always, then per failed verification or per
 *     subject. Nothing but the limits has touched the database yet;
 *  5. one domain function in a service transaction (or, for a one-statement domain function,
 *     on the pool: that statement is its own transaction). Ignored events still answer 2xx.
 */
const subjectSchema = z.uuid();

export interface Verifier<V> {
  /** Who is proving itself: the `provider` label of the webhook metrics. */
  readonly provider: "signalwire" | "assemblyai";
  /** The proof's name, as the OpenAPI document's security scheme names it (`signalwireSignature`). */
  readonly scheme: string;
  /** Read the request and return what was verified; throw an AppError when it does not verify. */
  verify(req: Request): Promise<V>;
}

export interface WebhookInput<V, P> {
  verified: V;
  params: P;
  url: URL;
}

export interface WebhookOptions<P> {
  /**
   * What the request is about (a uuid): a path parameter, or `{ query }` for a provider whose
   * webhook URL carries our ids in its query string (AssemblyAI). Malformed is 404.
   */
  subject: (keyof P & string) | { query: string };
  notFound: string;
  /**
   * `false` when the domain function is one statement that is its own transaction (a status
   * report): the handler gets the pool, and the request costs one round trip, not begin + role +
   * statement + commit. Default true: a service transaction.
   */
  transaction?: boolean;
}

/**
 * What a verifier throws for a request it has authenticated but cannot use (a malformed body
 * behind the right secret): answered as `error` says, and never counted as a failed
 * verification, so a provider's own malformed delivery cannot lock its address out.
 */
export class AuthenticatedButInvalid extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
    this.name = "AuthenticatedButInvalid";
  }
}

export function webhookRoute<V, P extends Record<string, string>>(
  verifier: Verifier<V>,
  options: WebhookOptions<P>,
  handler: (db: Db, input: WebhookInput<V, P>, ctx: RouteContext<P>) => Promise<Response>,
) {
  const handle = route<P>(async (req, ctx) => {
    const source = clientIp(req);
    const perSource: LimitCheck = [WEBHOOK_LIMITS.perSource, source, "Too many webhook requests from this address."];
    WEBHOOK_LIMITS.perSource.assertNotSpent(source, perSource[2]);
    let verified: V;
    try {
      verified = await verifier.verify(req);
    } catch (err) {
      // A flood of unverifiable requests is answered 429 once over its budget. Requests that
      // verify are never refused for others' failures: a provider shares addresses (and the
      // simulators share loopback) with whoever is forging, and must not be locked out by them.
      const failed = !(err instanceof AuthenticatedButInvalid) && !(err instanceof ConfigError);
      const failures: LimitCheck = [WEBHOOK_LIMITS.failedPerSource, source, "Too many unverifiable webhook requests from this address."];
      // Past its budget, a forger's flood costs a signature check and nothing else: no statement.
      if (failed) WEBHOOK_LIMITS.failedPerSource.assertNotSpent(source, failures[2]);
      await consumeAll(failed ? [perSource, failures] : [perSource]);
      throw err instanceof AuthenticatedButInvalid ? err.error : err;
    }
    const subject = typeof options.subject === "string" ? ctx.params[options.subject] : new URL(req.url).searchParams.get(options.subject.query);
    if (!subjectSchema.safeParse(subject).success) {
      await consumeAll([perSource]);
      throw new NotFoundError(options.notFound);
    }
    await consumeAll([perSource, [WEBHOOK_LIMITS.perSubject, subject!, "Too many webhook requests about this one item."]]);
    const input = { verified, params: ctx.params, url: new URL(req.url) };
    if (options.transaction === false) return handler(sql(), input, ctx);
    return asService((tx) => handler(tx, input, ctx));
  });
  // Every answer is counted and timed by provider, route template and outcome, refusals included.
  const counted = async (req: Request, next: Parameters<typeof handle>[1]): Promise<Response> => {
    if (!recording()) return handle(req, next);
    const started = performance.now();
    const res = await handle(req, next);
    const params = next?.params ? await next.params : {};
    metrics().webhookRequests.observe(
      { provider: verifier.provider, route: routeTemplate(new URL(req.url).pathname, params as Record<string, string>), outcome: webhookOutcome(res.status) },
      (performance.now() - started) / 1000,
    );
    return res;
  };
  return describeRoute(counted, { auth: "webhook", scheme: verifier.scheme });
}
