import ipaddr from "ipaddr.js";
import { z } from "zod";

/**
 * The one view of the environment. Read lazily (first call), validated with zod, and the only
 * place that decides which adapters run: embedded (local auth, filesystem storage, SSE) when no
 * Supabase variable is set, supabase when all of them are. A partial set is an error that names
 * what is missing, so a half-configured deploy fails at start instead of at the first request.
 *
 * Not `server-only`: the dev orchestrator, the worker and the tests read it too. It never holds
 * anything a browser bundle may see; client code receives values through props.
 */

const SUPABASE_VARS = [
  "NEXT_PUBLIC_SUPABASE_URL",
  "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY",
  "SUPABASE_SECRET_KEY",
] as const;

const SIGNALWIRE_VARS = [
  "SIGNALWIRE_PROJECT_ID",
  "SIGNALWIRE_API_TOKEN",
  "SIGNALWIRE_SPACE_URL",
  "SIGNALWIRE_SIGNING_KEY",
  "SIGNALWIRE_FROM_NUMBER",
] as const;

const SMTP_VARS = ["SMTP_URL", "MAIL_FROM"] as const;

const optionalUrl = z.url().optional();

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** How long a member request waits for the database before answering 503 (a paused or stalled server). */
  DATABASE_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  PUBLIC_BASE_URL: z.url().default("http://127.0.0.1:3000"),
  SESSION_SECRET: z.string().min(32, "SESSION_SECRET must be at least 32 characters").optional(),
  STORAGE_DIR: z.string().min(1).default(".data/storage"),
  STORAGE_BUCKET: z.string().min(1).default("recordings"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SENTRY_DSN: optionalUrl,
  NEXT_PUBLIC_SUPABASE_URL: optionalUrl,
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: z.string().min(1).optional(),
  SUPABASE_SECRET_KEY: z.string().min(1).optional(),
  SIGNALWIRE_PROJECT_ID: z.string().min(1).optional(),
  SIGNALWIRE_API_TOKEN: z.string().min(1).optional(),
  SIGNALWIRE_SPACE_URL: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, "SIGNALWIRE_SPACE_URL is a host name such as example.signalwire.com")
    .optional(),
  SIGNALWIRE_SIGNING_KEY: z.string().min(1).optional(),
  SIGNALWIRE_FROM_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, "SIGNALWIRE_FROM_NUMBER must be E.164").optional(),
  /** Where the SignalWire SDK's requests go instead of https://<space>. Set only by the embedded
   * default (the simulator); when set, the page says "simulated carrier". */
  CARRIER_SIMULATOR_URL: optionalUrl,
  /** What the carrier simulator cannot do on this machine (say, speech synthesis), in words; set
   * by `npm run dev` after its start-up check, shown on the page beside "simulated carrier". */
  CARRIER_SIMULATOR_NOTICE: z.string().min(1).max(500).optional(),
  /** AssemblyAI's API key; with it, stored recordings whose call asks for it are transcribed. */
  ASSEMBLYAI_API_KEY: z.string().min(1).optional(),
  /** AssemblyAI's API origin (default https://api.assemblyai.com; the EU one is https://api.eu.assemblyai.com). */
  ASSEMBLYAI_BASE_URL: z.url().default("https://api.assemblyai.com"),
  /** Where the AssemblyAI SDK's requests go instead of ASSEMBLYAI_BASE_URL. Set only by the embedded
   * default (the transcriber simulator); when set, the page says "simulated transcription". */
  TRANSCRIBER_SIMULATOR_URL: optionalUrl,
  /** Seconds a non-terminal call may sit before the reconciler asks the provider about it. */
  RECONCILE_AFTER_SECONDS: z.coerce.number().int().min(10).default(900),
  /** Days back the reconciler looks for recordings that never came or were never transcribed. */
  RECONCILE_LOOKBACK_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /** Run the job worker inside the app process (embedded default) or not (`npm run worker`). */
  JOBS_IN_PROCESS: z.enum(["true", "false"]).optional(),
  /** How many proxies in front of the app append to X-Forwarded-For; 0 means none: the client
   * address is the socket's peer and X-Forwarded-For is ignored. */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** Comma-separated addresses, CIDRs or names (loopback, linklocal, uniquelocal) of proxies
   * whose X-Forwarded-For entries are believed. */
  TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((value) => (value ?? "").split(",").map((entry) => entry.trim()).filter(Boolean))
    .refine((entries) => entries.every(isTrustEntry), {
      message: "TRUSTED_PROXIES is a comma list of IP addresses, CIDRs (10.0.0.0/8) or loopback, linklocal, uniquelocal",
    }),
  /** Outgoing mail (invitations): smtp://user:pass@host:587 or smtps://…:465. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, "SMTP_URL is smtp://user:password@host:port or smtps://…")
    .optional(),
  /** The From address of outgoing mail, e.g. `Verbatim <no-reply@example.com>`. */
  MAIL_FROM: z.string().min(3).max(320).optional(),
  /** Embedded default without SMTP: where mail that must reach an address is written instead. */
  MAIL_OUTBOX_DIR: z.string().min(1).default(".data/outbox"),
  // Evidence (docs/adr/0010, 0016): the signing key and the time-stamping authority.
  EVIDENCE_SIGNING_KEY: z.string().min(1).optional(),
  EVIDENCE_SIGNING_KEY_ID: z.string().min(1).max(200).optional(),
  EVIDENCE_RETIRED_KEYS: z.string().min(1).optional(),
  EVIDENCE_KEYS_DIR: z.string().min(1).default(".data/evidence-keys"),
  /** PEM X.509 chain (leaf first) for the evidence key: a signed vCon's x5c (docs/adr/0038). */
  EVIDENCE_SIGNING_CERTIFICATES: z.string().min(1).optional(),
  EVIDENCE_TSA_URL: z.url({ protocol: /^https?$/ }).optional(),
  EVIDENCE_TSA_CERTIFICATES: z.string().min(1).optional(),
  EVIDENCE_TSA_DIR: z.string().min(1).default(".data/evidence-tsa"),
  /** The largest bundle `POST /api/evidence/verify` accepts, in bytes (default 1 GiB). */
  EVIDENCE_VERIFY_MAX_BYTES: z.coerce.number().int().positive().default(1024 ** 3),
  /** Bundles `POST /api/evidence/verify` checks at once in one server process; more answer 429 (default 2). */
  EVIDENCE_VERIFY_CONCURRENCY: z.coerce.number().int().positive().default(2),
  // Outbound webhooks (docs/adr/0039): the key that seals endpoints' signing secrets at rest
  // (32 bytes, base64), or the directory where the embedded default keeps one.
  WEBHOOK_SECRETS_KEY: z
    .string()
    .refine((v) => Buffer.from(v, "base64").length === 32, "WEBHOOK_SECRETS_KEY must be 32 bytes, base64-encoded")
    .optional(),
  WEBHOOK_KEYS_DIR: z.string().min(1).default(".data/webhook-keys"),
  // Phone numbers at rest (docs/adr/0044): the key-encryption keys (`id:base64` of 32 bytes,
  // comma-separated, the first one primary), the index key (32 bytes, base64) for the numbers'
  // keyed hashes, or the directory where the embedded default keeps both.
  NUMBER_KEYS: z
    .string()
    .refine((v) => parseNumberKeys(v) !== null, "NUMBER_KEYS must be a comma list of id:key, each id 1-32 of [A-Za-z0-9_-] and each key 32 bytes, base64-encoded, ids distinct")
    .optional(),
  NUMBER_INDEX_KEY: z
    .string()
    .refine((v) => Buffer.from(v, "base64").length === 32, "NUMBER_INDEX_KEY must be 32 bytes, base64-encoded")
    .optional(),
  NUMBER_KEYS_DIR: z.string().min(1).default(".data/number-keys"),
  // Metrics (docs/adr/0042): the bearer token /api/metrics and the worker's metrics port ask
  // for (unset: neither is served), the worker's port, and a switch that records nothing.
  METRICS_TOKEN: z.string().min(32, "METRICS_TOKEN must be at least 32 characters").optional(),
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS: z.enum(["on", "off"]).default("on"),
});

/**
 * NUMBER_KEYS read as `[{id, key}]`, primary first, or null when malformed. Shared with the
 * embedded default's key file (lib/pii/keys.ts), which holds the same form, one entry a line.
 */
export function parseNumberKeys(value: string): { id: string; key: string }[] | null {
  const entries = value.split(/[,\n]/).map((e) => e.trim()).filter(Boolean).map((e) => {
    const at = e.indexOf(":");
    return { id: e.slice(0, at), key: e.slice(at + 1) };
  });
  const valid = entries.every(({ id, key }) => /^[A-Za-z0-9_-]{1,32}$/.test(id) && Buffer.from(key, "base64").length === 32);
  return entries.length > 0 && valid && new Set(entries.map((e) => e.id)).size === entries.length ? entries : null;
}

function isTrustEntry(entry: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(entry)) return true;
  const [address, bits, ...rest] = entry.split("/");
  if (rest.length > 0 || !address || !ipaddr.isValid(address)) return false;
  if (bits === undefined) return true;
  const max = ipaddr.parse(address).kind() === "ipv4" ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

export type Mode = "embedded" | "supabase";

export interface Config {
  mode: Mode;
  /**
   * Outbound webhooks: the key sealing their secrets, and whether an endpoint may be a loopback
   * address over http (the embedded default only, where a receiver on this machine is the point).
   */
  outbound: { secretsKey: { kind: "environment"; key: string } | { kind: "local"; dir: string }; loopbackAllowed: boolean };
  /**
   * Phone numbers at rest (docs/adr/0044): the key-encryption keys (primary first) and the index
   * key from NUMBER_KEYS and NUMBER_INDEX_KEY, or a directory where the embedded default keeps them.
   */
  numberKeys: { kind: "environment"; keys: { id: string; key: string }[]; indexKey: string } | { kind: "local"; dir: string };
  nodeEnv: "development" | "production" | "test";
  databaseUrl: string | undefined;
  databasePoolMax: number;
  databaseRequestTimeoutMs: number;
  publicBaseUrl: string;
  sessionSecret: string | undefined;
  storage: { kind: "filesystem"; dir: string } | { kind: "supabase"; bucket: string };
  realtime: "sse" | "supabase";
  auth: "local" | "supabase";
  supabase: { url: string; publishableKey: string; secretKey: string } | undefined;
  telephony:
    | {
        projectId: string;
        apiToken: string;
        spaceUrl: string;
        signingKey: string;
        fromNumber: string;
        /** Set when the carrier is the simulator; undefined against the real SignalWire. */
        simulatorUrl: string | undefined;
        /** Set only beside simulatorUrl: what the simulator cannot do, for the page. */
        simulatorNotice: string | null;
      }
    | undefined;
  /**
   * How mail reaches people: SMTP when configured; Supabase Auth's own email in Supabase mode;
   * otherwise (embedded default) nothing leaves the machine: the inviter is handed invitation
   * links to pass on, and mail that must reach the address itself (a link to set a password) is
   * written to the outbox directory, which only whoever runs the server can read.
   */
  mail: { kind: "smtp"; url: string; from: string } | { kind: "supabase" } | { kind: "link"; outboxDir: string };
  /**
   * AssemblyAI, when ASSEMBLYAI_API_KEY is set: the SDK's `baseUrl` is the simulator's URL in
   * the embedded default (`simulated`), else ASSEMBLYAI_BASE_URL. Undefined: nothing is transcribed.
   */
  transcriber: { apiKey: string; baseUrl: string; simulated: boolean } | undefined;
  reconcileAfterSeconds: number;
  /** How far back (seconds) the reconciler's history checks read: RECONCILE_LOOKBACK_DAYS. */
  reconcileLookbackSeconds: number;
  jobsInProcess: boolean;
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  sentryDsn: string | undefined;
  /** Who may set the client address through X-Forwarded-For (bin/server.ts). */
  proxyTrust: { hops: number; proxies: string[] };
  /**
   * Evidence sealing: the signing keys (EVIDENCE_SIGNING_KEY…, or a directory the embedded
   * default creates) and the RFC 3161 authority (EVIDENCE_TSA_URL with the certificates its
   * signing certificate chains to, or the local TSA in a directory, answered in-process).
   */
  /**
   * Prometheus metrics: the bearer token a scrape must carry (none: nothing is served), the
   * worker's metrics port, and whether anything is recorded (`METRICS=off` to measure their cost).
   */
  metrics: { token: string | undefined; workerPort: number | undefined; enabled: boolean };
  evidence: {
    keys: { kind: "environment"; signingKey: string; signingKeyId: string | undefined; retiredKeys: string | undefined } | { kind: "local"; dir: string };
    tsa: { kind: "remote"; url: string; certificates: string } | { kind: "local"; dir: string };
    /** The signing key's certificate chain, PEM, leaf first (EVIDENCE_SIGNING_CERTIFICATES), if configured. */
    signingCertificates: string | undefined;
    /** The verify API's upload limit (EVIDENCE_VERIFY_MAX_BYTES). */
    verifyMaxBytes: number;
    /** Bundle verifications at once per process (EVIDENCE_VERIFY_CONCURRENCY). */
    verifyConcurrency: number;
  };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function missingOf(env: Record<string, unknown>, names: readonly string[]): string[] {
  return names.filter((name) => !env[name]);
}

/** Parse an environment into a Config. Pure: tests call it with their own objects. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid environment: ${problems.join("; ")}`);
  }
  const e = parsed.data;

  const supabaseMissing = missingOf(e, SUPABASE_VARS);
  if (supabaseMissing.length > 0 && supabaseMissing.length < SUPABASE_VARS.length) {
    throw new ConfigError(
      `Supabase mode needs all of ${SUPABASE_VARS.join(", ")}; missing: ${supabaseMissing.join(", ")}`,
    );
  }
  const mode: Mode = supabaseMissing.length === 0 ? "supabase" : "embedded";
  if (mode === "supabase" && !e.DATABASE_URL) {
    throw new ConfigError(
      "Supabase mode needs DATABASE_URL (the project's pooler connection string); missing: DATABASE_URL",
    );
  }

  const signalwireMissing = missingOf(e, SIGNALWIRE_VARS);
  if (signalwireMissing.length > 0 && signalwireMissing.length < SIGNALWIRE_VARS.length) {
    throw new ConfigError(
      `SignalWire needs all of ${SIGNALWIRE_VARS.join(", ")}; missing: ${signalwireMissing.join(", ")}`,
    );
  }
  if (mode === "supabase" && e.CARRIER_SIMULATOR_URL) {
    throw new ConfigError("CARRIER_SIMULATOR_URL is for the embedded default only; unset it in Supabase mode");
  }
  const telephony =
    signalwireMissing.length === 0
      ? {
          projectId: e.SIGNALWIRE_PROJECT_ID!,
          apiToken: e.SIGNALWIRE_API_TOKEN!,
          spaceUrl: e.SIGNALWIRE_SPACE_URL!,
          signingKey: e.SIGNALWIRE_SIGNING_KEY!,
          fromNumber: e.SIGNALWIRE_FROM_NUMBER!,
          simulatorUrl: e.CARRIER_SIMULATOR_URL,
          simulatorNotice: e.CARRIER_SIMULATOR_URL ? (e.CARRIER_SIMULATOR_NOTICE ?? null) : null,
        }
      : undefined;

  const supabase =
    mode === "supabase"
      ? {
          url: e.NEXT_PUBLIC_SUPABASE_URL!,
          publishableKey: e.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY!,
          secretKey: e.SUPABASE_SECRET_KEY!,
        }
      : undefined;

  const smtpMissing = missingOf(e, SMTP_VARS);
  if (smtpMissing.length > 0 && smtpMissing.length < SMTP_VARS.length) {
    throw new ConfigError(`Sending mail over SMTP needs all of ${SMTP_VARS.join(", ")}; missing: ${smtpMissing.join(", ")}`);
  }
  const mail: Config["mail"] =
    smtpMissing.length === 0
      ? { kind: "smtp", url: e.SMTP_URL!, from: e.MAIL_FROM! }
      : mode === "supabase"
        ? { kind: "supabase" }
        : { kind: "link", outboxDir: e.MAIL_OUTBOX_DIR };

  if (mode === "supabase" && e.TRANSCRIBER_SIMULATOR_URL) {
    throw new ConfigError("TRANSCRIBER_SIMULATOR_URL is for the embedded default only; unset it in Supabase mode");
  }
  if (e.TRANSCRIBER_SIMULATOR_URL && !e.ASSEMBLYAI_API_KEY) {
    throw new ConfigError("TRANSCRIBER_SIMULATOR_URL needs ASSEMBLYAI_API_KEY (the key the simulator checks); missing: ASSEMBLYAI_API_KEY");
  }
  const transcriber = e.ASSEMBLYAI_API_KEY
    ? {
        apiKey: e.ASSEMBLYAI_API_KEY,
        baseUrl: (e.TRANSCRIBER_SIMULATOR_URL ?? e.ASSEMBLYAI_BASE_URL).replace(/\/+$/, ""),
        simulated: Boolean(e.TRANSCRIBER_SIMULATOR_URL),
      }
    : undefined;

  if (Boolean(e.NUMBER_KEYS) !== Boolean(e.NUMBER_INDEX_KEY)) {
    throw new ConfigError(`Phone numbers at rest need both NUMBER_KEYS and NUMBER_INDEX_KEY; missing: ${e.NUMBER_KEYS ? "NUMBER_INDEX_KEY" : "NUMBER_KEYS"}`);
  }
  if (!e.EVIDENCE_SIGNING_KEY && (e.EVIDENCE_SIGNING_KEY_ID || e.EVIDENCE_RETIRED_KEYS)) {
    throw new ConfigError("EVIDENCE_SIGNING_KEY_ID and EVIDENCE_RETIRED_KEYS need EVIDENCE_SIGNING_KEY; missing: EVIDENCE_SIGNING_KEY");
  }
  if (Boolean(e.EVIDENCE_TSA_URL) !== Boolean(e.EVIDENCE_TSA_CERTIFICATES)) {
    throw new ConfigError(
      `A time-stamping authority needs both EVIDENCE_TSA_URL and EVIDENCE_TSA_CERTIFICATES; missing: ${e.EVIDENCE_TSA_URL ? "EVIDENCE_TSA_CERTIFICATES" : "EVIDENCE_TSA_URL"}`,
    );
  }
  const evidence: Config["evidence"] = {
    keys: e.EVIDENCE_SIGNING_KEY
      ? { kind: "environment", signingKey: e.EVIDENCE_SIGNING_KEY, signingKeyId: e.EVIDENCE_SIGNING_KEY_ID, retiredKeys: e.EVIDENCE_RETIRED_KEYS }
      : { kind: "local", dir: e.EVIDENCE_KEYS_DIR },
    tsa: e.EVIDENCE_TSA_URL ? { kind: "remote", url: e.EVIDENCE_TSA_URL, certificates: e.EVIDENCE_TSA_CERTIFICATES! } : { kind: "local", dir: e.EVIDENCE_TSA_DIR },
    signingCertificates: e.EVIDENCE_SIGNING_CERTIFICATES,
    verifyMaxBytes: e.EVIDENCE_VERIFY_MAX_BYTES,
    verifyConcurrency: e.EVIDENCE_VERIFY_CONCURRENCY,
  };

  return {
    mode,
    outbound: {
      secretsKey: e.WEBHOOK_SECRETS_KEY ? { kind: "environment", key: e.WEBHOOK_SECRETS_KEY } : { kind: "local", dir: e.WEBHOOK_KEYS_DIR },
      loopbackAllowed: mode === "embedded",
    },
    numberKeys: e.NUMBER_KEYS
      ? { kind: "environment", keys: parseNumberKeys(e.NUMBER_KEYS)!, indexKey: e.NUMBER_INDEX_KEY! }
      : { kind: "local", dir: e.NUMBER_KEYS_DIR },
    nodeEnv: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databaseRequestTimeoutMs: e.DATABASE_REQUEST_TIMEOUT_MS,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ""),
    sessionSecret: e.SESSION_SECRET,
    storage: mode === "supabase" ? { kind: "supabase", bucket: e.STORAGE_BUCKET } : { kind: "filesystem", dir: e.STORAGE_DIR },
    realtime: mode === "supabase" ? "supabase" : "sse",
    auth: mode === "supabase" ? "supabase" : "local",
    supabase,
    telephony,
    mail,
    transcriber,
    reconcileAfterSeconds: e.RECONCILE_AFTER_SECONDS,
    reconcileLookbackSeconds: e.RECONCILE_LOOKBACK_DAYS * 86_400,
    jobsInProcess: e.JOBS_IN_PROCESS ? e.JOBS_IN_PROCESS === "true" : mode === "embedded",
    logLevel: e.LOG_LEVEL,
    sentryDsn: e.SENTRY_DSN,
    proxyTrust: { hops: e.TRUSTED_PROXY_HOPS, proxies: e.TRUSTED_PROXIES },
    evidence,
    metrics: { token: e.METRICS_TOKEN, workerPort: e.WORKER_METRICS_PORT, enabled: e.METRICS === "on" },
  };
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Forget the parsed configuration (tests that change process.env). */
export function resetConfig(): void {
  cached = undefined;
}

/** The database URL, or a clear error when none is configured. */
export function requireDatabaseUrl(): string {
  const url = config().databaseUrl;
  if (!url) {
    throw new ConfigError(
      "DATABASE_URL is not set. `npm run dev` starts an embedded Postgres and sets it for you; otherwise set it.",
    );
  }
  return url;
}
