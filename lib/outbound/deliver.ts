import "server-only";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Webhook } from "standardwebhooks";
import { config } from "@/lib/config";
import { asService, type Tx } from "@/lib/db";
import { enqueue } from "@/lib/jobs";
import type { JobContext } from "@/lib/jobs/context";
import type { DeliverWebhookPayload } from "@/lib/jobs/payloads";
import { webhookIdOf, type WebhookEnvelope, type WebhookEventType } from "@/lib/outbound/contracts";
import { disableEndpoint, signingSecrets } from "@/lib/outbound/endpoints";
import { MAX_ATTEMPTS, RETRY_SPAN_SECONDS, retryDelaySeconds } from "@/lib/outbound/schedule";
import { pinnedLookup, RefusedUrlError, targetsLoopback, urlProblem, type Resolver } from "@/lib/outbound/url-policy";

/**
 * One attempt at one delivery (docs/adr/0039): the `deliver_webhook` task. At least once: the
 * delivery row was stored with its event (private.emit_webhook_event), and every attempt's job
 * is queued in the transaction that records the attempt before it, so nothing is lost between
 * them; a receiver may see a delivery more than once, always with the same webhook-id.
 *
 * The attempt signs the body with every secret of the endpoint that signs now (Standard
 * Webhooks' `v1,` signatures, space-separated during a rotation's overlap), checks the URL's
 * policy again, connects only to the addresses it checked (the request's `lookup`), never
 * follows a redirect (a 3xx is a failed attempt), waits at most `timeoutMs` for the answer and
 * reads at most 64 KiB of it. 2xx is delivered. Anything else is recorded (status, latency,
 * error) and tried again on the schedule (lib/outbound/schedule.ts); the last failure fails the
 * delivery and turns the endpoint off with the reason. A replay is one attempt, never retried.
 * Nothing logged here carries a secret, a body or a URL: ids, statuses and error codes only.
 */

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = "Verbatim-Webhooks/1";

export interface DeliverOptions {
  /** DNS for the connection; the default is the system's. */
  resolve?: Resolver;
  timeoutMs?: number;
  /** [0, 1) for the retry jitter. */
  random?: () => number;
}

export type DeliveryOutcome = "delivered" | "retrying" | "failed" | "skipped";

interface DeliveryRow {
  status: "pending" | "delivered" | "failed";
  attempts: number;
  endpointId: string;
  url: string;
  enabled: boolean;
  disabledReason: string | null;
  type: WebhookEventType;
  data: Record<string, unknown>;
  occurredAt: Date;
}

interface AttemptResult {
  startedAt: Date;
  latencyMs: number;
  statusCode: number | null;
  error: string | null;
}

export async function deliverWebhook(payload: DeliverWebhookPayload, job: Pick<JobContext, "log" | "abortSignal">, opts: DeliverOptions = {}): Promise<DeliveryOutcome> {
  const { orgId, deliveryId } = payload;
  const replay = payload.replay === true;
  const prepared = await asService(async (tx) => {
    const [row] = await tx<DeliveryRow[]>`
      select d.status, d.attempts, d.endpoint_id as "endpointId", e.url, e.enabled, e.disabled_reason as "disabledReason",
             ev.type, ev.data, ev.occurred_at as "occurredAt"
      from public.webhook_deliveries d
      join public.webhook_endpoints e on e.organization_id = d.organization_id and e.id = d.endpoint_id
      join public.webhook_events ev on ev.organization_id = d.organization_id and ev.id = d.event_id
      where d.organization_id = ${orgId} and d.id = ${deliveryId}`;
    if (!row || row.status !== "pending") return null;
    if (!row.enabled && !replay) {
      await finish(tx, { orgId, deliveryId, status: "failed", error: `Not sent: the endpoint is turned off (${row.disabledReason ?? "no reason given"}).` });
      return null;
    }
    return { row, secrets: await signingSecrets(tx, { orgId, endpointId: row.endpointId }) };
  });
  if (!prepared) return "skipped";
  const { row, secrets } = prepared;

  const webhookId = webhookIdOf(deliveryId);
  const envelope: WebhookEnvelope = { type: row.type, timestamp: new Date(row.occurredAt).toISOString(), data: row.data };
  const body = JSON.stringify(envelope);
  const result = await attempt(row.url, { webhookId, body, secrets, signal: job.abortSignal, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, resolve: opts.resolve });
  const delivered = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;

  return asService(async (tx) => {
    const [current] = await tx<{ attempts: number; status: string }[]>`
      select attempts, status from public.webhook_deliveries where organization_id = ${orgId} and id = ${deliveryId} for update`;
    if (!current) return "skipped";
    const number = current.attempts + 1;
    await tx`
      insert into public.webhook_delivery_attempts (organization_id, delivery_id, attempt, started_at, latency_ms, status_code, error, replay)
      values (${orgId}, ${deliveryId}, ${number}, ${result.startedAt}, ${result.latencyMs}, ${result.statusCode}, ${result.error}, ${replay})`;
    await tx`
      update public.webhook_deliveries set attempts = ${number}, last_status = ${result.statusCode}, last_error = ${result.error}
      where organization_id = ${orgId} and id = ${deliveryId}`;
    if (current.status !== "pending") return current.status === "delivered" ? "delivered" : "failed";
    if (delivered) {
      await finish(tx, { orgId, deliveryId, status: "delivered", error: null });
      job.log.info({ deliveryId, attempt: number, status: result.statusCode }, "webhook delivered");
      return "delivered";
    }
    job.log.warn({ deliveryId, attempt: number, status: result.statusCode, error: result.error }, "webhook attempt failed");
    if (replay) {
      await finish(tx, { orgId, deliveryId, status: "failed", error: result.error ?? `HTTP ${result.statusCode}` });
      return "failed";
    }
    // The schedule counts this delivery's scheduled attempts only (a replay is outside it).
    const [counted] = await tx<{ scheduled: number }[]>`
      select count(*)::int as scheduled from public.webhook_delivery_attempts where delivery_id = ${deliveryId} and not replay`;
    const scheduled = counted!.scheduled;
    const delay = retryDelaySeconds(scheduled, (opts.random ?? Math.random)());
    if (delay === null || scheduled >= MAX_ATTEMPTS) {
      const why = result.error ?? `HTTP ${result.statusCode}`;
      await finish(tx, { orgId, deliveryId, status: "failed", error: why });
      await disableEndpoint(tx, {
        orgId,
        id: row.endpointId,
        reason: `Turned off after a ${row.type} event could not be delivered in ${scheduled} attempts over about ${Math.round(RETRY_SPAN_SECONDS / 3600)} hours (last: ${why}). Fix the receiver, turn the endpoint on, and replay what failed.`,
      });
      return "failed";
    }
    const next = new Date(Date.now() + delay * 1000);
    await tx`update public.webhook_deliveries set next_attempt_at = ${next} where organization_id = ${orgId} and id = ${deliveryId}`;
    await enqueue(tx, "deliver_webhook", { orgId, deliveryId }, { jobKey: `deliver_webhook:${deliveryId}`, runAt: next, maxAttempts: 5 });
    return "retrying";
  });
}

async function finish(tx: Tx, { orgId, deliveryId, status, error }: { orgId: string; deliveryId: string; status: "delivered" | "failed"; error: string | null }) {
  await tx`
    update public.webhook_deliveries set status = ${status}, finished_at = now(), next_attempt_at = null,
      last_error = coalesce(${error}::text, last_error)
    where organization_id = ${orgId} and id = ${deliveryId}`;
}

/** The three Standard Webhooks headers for `body`, signed by each secret (space-separated). */
export function signatureHeaders(webhookId: string, at: Date, body: string, secrets: readonly string[]): Record<string, string> {
  return {
    "webhook-id": webhookId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((secret) => new Webhook(secret).sign(webhookId, at, body)).join(" "),
  };
}

function describeError(err: unknown, timeoutMs: number): string {
  if (err instanceof RefusedUrlError) return `Refused: ${err.message}`;
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code;
  if (code === "ENOTPUBLIC") return `Refused: ${e.message}`;
  if (e.name === "TimeoutError" || code === "ABORT_ERR" || e.name === "AbortError") return `No answer within ${Math.round(timeoutMs / 1000)} s.`;
  if (code === "ECONNREFUSED") return "Connection refused.";
  if (code === "ECONNRESET") return "The connection was reset.";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "The host could not be resolved.";
  if (code && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/.test(code)) return `TLS failed (${code}).`;
  return code ? `Could not deliver (${code}).` : "Could not deliver.";
}

async function attempt(
  url: string,
  opts: { webhookId: string; body: string; secrets: readonly string[]; signal: AbortSignal | undefined; timeoutMs: number; resolve: Resolver | undefined },
): Promise<AttemptResult> {
  const startedAt = new Date();
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): AttemptResult => ({ startedAt, latencyMs: Math.round(performance.now() - started), statusCode, error });
  const problem = urlProblem(url, { loopbackAllowed: config().outbound.loopbackAllowed });
  if (problem) return done(null, `Refused: ${problem}`);
  if (opts.secrets.length === 0) return done(null, "Not sent: the endpoint has no signing secret; rotate it.");
  const target = new URL(url);
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
  const headers = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    ...signatureHeaders(opts.webhookId, startedAt, opts.body, opts.secrets),
  };
  try {
    const res = await post(target, { headers, body: opts.body, signal, lookup: pinnedLookup({ loopback: targetsLoopback(url), resolve: opts.resolve }) });
    const status = res.statusCode ?? 0;
    await drain(res, signal);
    if (status >= 300 && status < 400) return done(status, "The receiver answered with a redirect, which is not followed.");
    if (status < 200 || status >= 300) return done(status, `The receiver answered HTTP ${status}.`);
    return done(status, null);
  } catch (err) {
    return done(null, describeError(err, opts.timeoutMs));
  }
}

function post(url: URL, opts: { headers: Record<string, string>; body: string; signal: AbortSignal; lookup: ReturnType<typeof pinnedLookup> }): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    // agent: false, so no pooled socket from another request (and its own checks) is reused.
    const req = request(url, { method: "POST", headers: { ...opts.headers, "content-length": String(Buffer.byteLength(opts.body)) }, signal: opts.signal, lookup: opts.lookup, agent: false }, resolve);
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Read at most MAX_RESPONSE_BYTES of the answer, then close: a receiver cannot hold the worker with a long body. */
async function drain(res: IncomingMessage, signal: AbortSignal): Promise<void> {
  let read = 0;
  try {
    for await (const chunk of res) {
      read += (chunk as Buffer).length;
      if (read >= MAX_RESPONSE_BYTES || signal.aborted) break;
    }
  } catch {
    // An answer cut short still has its status.
  } finally {
    res.destroy();
  }
}
