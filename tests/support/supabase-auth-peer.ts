import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from "jose";

/**
 * A local stand-in for Supabase Auth (GoTrue) that @supabase/ssr and supabase-js talk to over
 * real HTTP, so tests exercise the libraries' own cookie, refresh and verification code.
 *
 * It answers what those libraries ask for, with Supabase's response shapes:
 * - `GET  /auth/v1/.well-known/jwks.json` — the ES256 public key, with its `kid`.
 * - `POST /auth/v1/token?grant_type=password` — email + password → session.
 * - `POST /auth/v1/token?grant_type=refresh_token` — rotates the refresh token.
 * - `GET  /auth/v1/user` — the user of a Bearer token it signed, whose session is live.
 * - `POST /auth/v1/logout?scope=global|local|others` — ends sessions; 204.
 * - `POST /auth/v1/invite?redirect_to=…` — admin only (the secret key): creates the user and
 *   "sends" the invite email; an email that already has a user is 422 `email_exists`.
 * - `POST /auth/v1/otp?redirect_to=…` — "sends" a magic link; with `create_user: false` an
 *   unknown email is 422 `otp_disabled` ("Signups not allowed for otp"), as GoTrue answers.
 * - `POST /auth/v1/signup` — a public sign-up with email and password: confirmed at once when
 *   `settings.mailer_autoconfirm`, else unconfirmed (it cannot sign in) with a confirmation
 *   "sent"; refused when `settings.disable_signup`. An address that already has an unconfirmed
 *   user changes nothing (GoTrue: "we can't be sure of their claimed identity").
 * - `GET  /auth/v1/settings` — the public settings (`disable_signup`, `mailer_autoconfirm`, …).
 * - `PUT  /auth/v1/admin/users/:id` — admin only: sets the user's password.
 * Invitations follow GoTrue's `Invite`: a confirmed user is 422 `email_exists`; an unconfirmed
 * one (a sign-up nobody confirmed) is invited again, keeping the password it was signed up with;
 * verifying a link (`sessionFor`) confirms the user, as GoTrue's `/verify` does.
 * Emails are not sent: they are kept in `emails`, with the link's redirect target.
 *
 * Errors follow GoTrue's `HandleResponseError`: when the request carries
 * `X-Supabase-Api-Version: 2024-01-01` (supabase-js always sends it) the body is
 * `{ code: "<error_code>", message }` and the header is echoed; otherwise the legacy
 * `{ code: <status>, error_code, msg }`. Like Supabase's gateway, every request must carry
 * the project's key in `apikey`.
 *
 * Differences from the real service, on purpose: users live in memory, there is no captcha, MFA
 * or rate limiting unless a test injects a 429 with `injectError`.
 */

export interface PeerUser {
  id: string;
  email: string;
  /** Null: none set (an invited user before it verifies). */
  password: string | null;
  userMetadata: Record<string, unknown>;
  createdAt: string;
  /** When the address was confirmed; null until then (a sign-up or an invitation not yet verified). */
  confirmedAt: string | null;
  invitedAt: string | null;
}

/** What `GET /auth/v1/settings` answers that Verbatim reads; tests change them. */
export interface PeerSettings {
  disable_signup: boolean;
  mailer_autoconfirm: boolean;
}

/** The claims of a Supabase access token. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  email: string;
  phone: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  role: string;
  aal: "aal1" | "aal2";
  amr: { method: string; timestamp: number }[];
  session_id: string;
  is_anonymous: boolean;
  [claim: string]: unknown;
}

/**
 * Which key signs a token: the one served in the JWKS, or a foreign key pair whose public key
 * is not served — its header carrying either the served key's `kid` or a `kid` the JWKS lacks.
 */
export type SigningKey = "served" | "foreign-same-kid" | "foreign-unknown-kid";

export interface SignOptions {
  /** Seconds until `exp`, counted from now; negative makes an expired token. Default 3600. */
  expiresIn?: number;
  key?: SigningKey;
}

/** The body of a successful `/token` answer. */
export interface SessionResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: Record<string, unknown>;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query, e.g. `/auth/v1/token`. */
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  apikey: string | undefined;
  status: number;
}

export interface InjectedError {
  method: string;
  path: string;
  status: number;
  errorCode: string;
  message: string;
  /** How many matching requests get this answer. Default 1. */
  times?: number;
}

/** An email the peer would have sent. */
export interface PeerEmail {
  kind: "invite" | "magiclink" | "confirmation";
  to: string;
  /** Where the link in the email leads after verification (`redirect_to`). */
  redirectTo: string | undefined;
}

export interface SupabaseAuthPeer {
  /** The project URL to give supabase-js (`NEXT_PUBLIC_SUPABASE_URL`), e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly publishableKey: string;
  /** The project's secret key (`SUPABASE_SECRET_KEY`): the admin endpoints need it. */
  readonly secretKey: string;
  /** Emails sent, in order. */
  readonly emails: PeerEmail[];
  /** The project's Auth settings (Supabase's defaults: sign-ups open, addresses confirmed by email). */
  readonly settings: PeerSettings;
  findUserByEmail(email: string): PeerUser | undefined;
  /** The `kid` of the served signing key. */
  readonly kid: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  requestsTo(method: string, path: string): RecordedRequest[];
  /** A confirmed user, as if it had signed up and confirmed its address. */
  addUser(input: { email: string; password: string; id?: string; userMetadata?: Record<string, unknown> }): PeerUser;
  /**
   * What `/verify` does when the user opens an email's link: confirms the address (an invited user
   * without a password gets a random one, as GoTrue gives), starts a session and returns what
   * `/token` would answer.
   */
  sessionFor(user: PeerUser, options?: { expiresIn?: number }): Promise<SessionResponse>;
  /** Signs an access token: Supabase-shaped defaults, overridden by `claims`. */
  signAccessToken(claims: Partial<AccessTokenClaims> & { sub: string }, options?: SignOptions): Promise<string>;
  /** Whether the refresh token would still be accepted (issued, not rotated, session live). */
  isRefreshTokenActive(refreshToken: string): boolean;
  /** Answer the next matching request(s) with a GoTrue-shaped error instead (e.g. a 429). */
  injectError(error: InjectedError): void;
  close(): Promise<void>;
}

const API_VERSION_HEADER = "x-supabase-api-version";
const ACCESS_TOKEN_TTL = 3600;
/** GoTrue's default GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL. */
const REFRESH_TOKEN_REUSE_INTERVAL_MS = 10_000;

interface PeerSession {
  id: string;
  userId: string;
  amr: { method: string; timestamp: number }[];
  /** The refresh token currently valid for this session. */
  activeRefreshToken: string;
}

interface RefreshTokenRow {
  sessionId: string;
  /** When it was rotated (exchanged for a newer one), or undefined while it is the active one. */
  revokedAt: number | undefined;
}

class AuthApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function keyPair(): Promise<{ privateKey: CryptoKey; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

export async function startSupabaseAuthPeer(
  options: { publishableKey?: string; secretKey?: string } = {},
): Promise<SupabaseAuthPeer> {
  const publishableKey = options.publishableKey ?? "sb_publishable_test_peer";
  const secretKey = options.secretKey ?? "sb_secret_test_peer";
  const emails: PeerEmail[] = [];
  const settings: PeerSettings = { disable_signup: false, mailer_autoconfirm: false };
  const kid = randomUUID();
  const served = await keyPair();
  const foreign = await keyPair();
  // Shaped like Supabase's JWKS entries for asymmetric signing keys.
  const jwks: JSONWebKeySet = {
    keys: [{ ...served.publicJwk, kid, alg: "ES256", use: "sig", key_ops: ["verify"], ext: true }],
  };
  const keySet = createLocalJWKSet(jwks);

  const users = new Map<string, PeerUser>();
  const sessions = new Map<string, PeerSession>();
  const refreshTokens = new Map<string, RefreshTokenRow>();
  const requests: RecordedRequest[] = [];
  const injected: InjectedError[] = [];
  let url = "";

  const issuer = () => `${url}/auth/v1`;
  const findUserByEmail = (email: string) => [...users.values()].find((u) => u.email === email.trim().toLowerCase());

  function userJson(user: PeerUser): Record<string, unknown> {
    const identityData = { email: user.email, email_verified: true, phone_verified: false, sub: user.id };
    return {
      id: user.id,
      aud: "authenticated",
      role: "authenticated",
      email: user.email,
      email_confirmed_at: user.confirmedAt,
      phone: "",
      confirmed_at: user.confirmedAt,
      ...(user.invitedAt ? { invited_at: user.invitedAt } : {}),
      last_sign_in_at: new Date().toISOString(),
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: { ...identityData, ...user.userMetadata },
      identities: [
        {
          identity_id: randomUUID(),
          id: user.id,
          user_id: user.id,
          identity_data: identityData,
          provider: "email",
          last_sign_in_at: user.createdAt,
          created_at: user.createdAt,
          updated_at: user.createdAt,
          email: user.email,
        },
      ],
      created_at: user.createdAt,
      updated_at: user.createdAt,
      is_anonymous: false,
    };
  }

  async function signAccessToken(
    claims: Partial<AccessTokenClaims> & { sub: string },
    { expiresIn = ACCESS_TOKEN_TTL, key = "served" }: SignOptions = {},
  ): Promise<string> {
    const iat = nowSeconds();
    const payload: AccessTokenClaims = {
      iss: issuer(),
      aud: "authenticated",
      exp: iat + expiresIn,
      iat,
      email: "",
      phone: "",
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: {},
      role: "authenticated",
      aal: "aal1",
      amr: [{ method: "password", timestamp: iat }],
      session_id: randomUUID(),
      is_anonymous: false,
      ...claims,
    };
    const headerKid = key === "foreign-unknown-kid" ? randomUUID() : kid;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "ES256", kid: headerKid, typ: "JWT" })
      .sign(key === "served" ? served.privateKey : foreign.privateKey);
  }

  function newRefreshToken(sessionId: string): string {
    // GoTrue's refresh tokens are short opaque strings, not JWTs.
    const token = randomBytes(9).toString("base64url");
    refreshTokens.set(token, { sessionId, revokedAt: undefined });
    return token;
  }

  async function sessionResponse(session: PeerSession, expiresIn = ACCESS_TOKEN_TTL): Promise<SessionResponse> {
    const user = users.get(session.userId)!;
    const access_token = await signAccessToken(
      {
        sub: user.id,
        email: user.email,
        user_metadata: userJson(user).user_metadata as Record<string, unknown>,
        amr: session.amr,
        session_id: session.id,
      },
      { expiresIn },
    );
    return {
      access_token,
      token_type: "bearer",
      expires_in: expiresIn,
      expires_at: decodeJwt(access_token).exp!,
      refresh_token: session.activeRefreshToken,
      user: userJson(user),
    };
  }

  function startSession(user: PeerUser): PeerSession {
    const id = randomUUID();
    const session: PeerSession = {
      id,
      userId: user.id,
      amr: [{ method: "password", timestamp: nowSeconds() }],
      activeRefreshToken: "",
    };
    session.activeRefreshToken = newRefreshToken(id);
    sessions.set(id, session);
    return session;
  }

  function endSession(sessionId: string) {
    sessions.delete(sessionId);
    for (const [token, row] of refreshTokens) if (row.sessionId === sessionId) refreshTokens.delete(token);
  }

  /** GoTrue's requireAuthentication: a Bearer token it signed, unexpired, for a live user and session. */
  async function authenticate(req: IncomingMessage): Promise<{ user: PeerUser; sessionId: string }> {
    const match = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? "");
    if (!match) throw new AuthApiFailure(401, "no_authorization", "This endpoint requires a valid Bearer token");
    let claims: AccessTokenClaims;
    try {
      ({ payload: claims } = (await jwtVerify(match[1]!, keySet, {
        issuer: issuer(),
        algorithms: ["ES256"],
      })) as unknown as { payload: AccessTokenClaims });
    } catch (err) {
      throw new AuthApiFailure(403, "bad_jwt", `invalid JWT: unable to parse or verify signature, ${(err as Error).message}`);
    }
    const user = users.get(claims.sub);
    if (!user) throw new AuthApiFailure(403, "user_not_found", "User from sub claim in JWT does not exist");
    if (!sessions.has(claims.session_id)) {
      throw new AuthApiFailure(403, "session_not_found", "Session from session_id claim in JWT does not exist");
    }
    return { user, sessionId: claims.session_id };
  }

  async function passwordGrant(body: Record<string, unknown>): Promise<SessionResponse> {
    const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
    const user = [...users.values()].find((u) => u.email === email);
    // One answer for an unknown email and a wrong password, as GoTrue gives.
    if (!user || user.password === null || body.password !== user.password) {
      throw new AuthApiFailure(400, "invalid_credentials", "Invalid login credentials");
    }
    if (!user.confirmedAt) throw new AuthApiFailure(400, "email_not_confirmed", "Email not confirmed");
    return sessionResponse(startSession(user));
  }

  async function refreshGrant(body: Record<string, unknown>): Promise<SessionResponse> {
    const token = typeof body.refresh_token === "string" ? body.refresh_token : "";
    const row = refreshTokens.get(token);
    const session = row && sessions.get(row.sessionId);
    if (!row || !session) {
      throw new AuthApiFailure(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    }
    if (row.revokedAt !== undefined) {
      // Within the reuse interval GoTrue answers with the session's current token (a concurrent
      // refresh); after it, reuse means theft and the whole session is revoked.
      if (Date.now() - row.revokedAt <= REFRESH_TOKEN_REUSE_INTERVAL_MS) return sessionResponse(session);
      endSession(session.id);
      throw new AuthApiFailure(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
    }
    row.revokedAt = Date.now();
    session.activeRefreshToken = newRefreshToken(session.id);
    return sessionResponse(session);
  }

  async function route(req: IncomingMessage, path: string, query: URLSearchParams): Promise<{ status: number; body?: unknown }> {
    const method = req.method ?? "GET";
    if (method === "GET" && path === "/auth/v1/.well-known/jwks.json") return { status: 200, body: jwks };
    if (method === "POST" && path === "/auth/v1/token") {
      const body = await readJson(req);
      const grant = query.get("grant_type");
      if (grant === "password") return { status: 200, body: await passwordGrant(body) };
      if (grant === "refresh_token") return { status: 200, body: await refreshGrant(body) };
      throw new AuthApiFailure(400, "validation_failed", "unsupported_grant_type");
    }
    if (method === "GET" && path === "/auth/v1/user") {
      const { user } = await authenticate(req);
      return { status: 200, body: userJson(user) };
    }
    if (method === "POST" && path === "/auth/v1/invite") {
      // GoTrue's requireAdmin: the service key (new-style secret keys reach Auth as service_role).
      if (headerValue(req, "apikey") !== secretKey) {
        throw new AuthApiFailure(403, "not_admin", "User not allowed");
      }
      const body = await readJson(req);
      const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
      if (!email.includes("@")) throw new AuthApiFailure(400, "validation_failed", "Unable to validate email address: invalid format");
      const now = new Date().toISOString();
      let user = findUserByEmail(email);
      if (user?.confirmedAt) {
        throw new AuthApiFailure(422, "email_exists", "A user with this email address has already been registered");
      }
      if (!user) {
        user = { id: randomUUID(), email, password: null, userMetadata: {}, createdAt: now, confirmedAt: null, invitedAt: null };
        users.set(user.id, user);
      }
      // An unconfirmed user (a sign-up nobody confirmed) is invited as it is, password and all.
      user.invitedAt = now;
      emails.push({ kind: "invite", to: email, redirectTo: query.get("redirect_to") ?? undefined });
      return { status: 200, body: userJson(user) };
    }
    if (method === "POST" && path === "/auth/v1/signup") {
      if (settings.disable_signup) throw new AuthApiFailure(422, "signup_disabled", "Signups not allowed for this instance");
      const body = await readJson(req);
      const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
      const password = typeof body.password === "string" ? body.password : "";
      if (!email.includes("@") || password.length < 6) throw new AuthApiFailure(422, "validation_failed", "Signup requires a valid password");
      const existing = findUserByEmail(email);
      if (existing?.confirmedAt) {
        if (settings.mailer_autoconfirm) throw new AuthApiFailure(422, "user_already_exists", "User already registered");
        return { status: 200, body: { ...userJson(existing), id: randomUUID(), identities: [] } };
      }
      if (existing) return { status: 200, body: userJson(existing) };
      const now = new Date().toISOString();
      const user: PeerUser = { id: randomUUID(), email, password, userMetadata: {}, createdAt: now, confirmedAt: settings.mailer_autoconfirm ? now : null, invitedAt: null };
      users.set(user.id, user);
      if (user.confirmedAt) return { status: 200, body: await sessionResponse(startSession(user)) };
      emails.push({ kind: "confirmation", to: email, redirectTo: query.get("redirect_to") ?? undefined });
      return { status: 200, body: userJson(user) };
    }
    if (method === "GET" && path === "/auth/v1/settings") {
      return {
        status: 200,
        body: { external: { email: true, phone: false }, disable_signup: settings.disable_signup, mailer_autoconfirm: settings.mailer_autoconfirm, phone_autoconfirm: false, sms_provider: "", saml_enabled: false },
      };
    }
    const adminUser = /^\/auth\/v1\/admin\/users\/([^/]+)$/.exec(path);
    if (method === "PUT" && adminUser) {
      if (headerValue(req, "apikey") !== secretKey) throw new AuthApiFailure(403, "not_admin", "User not allowed");
      const user = users.get(adminUser[1]!);
      if (!user) throw new AuthApiFailure(404, "user_not_found", "User not found");
      const body = await readJson(req);
      if (typeof body.password === "string") user.password = body.password;
      return { status: 200, body: userJson(user) };
    }
    if (method === "POST" && path === "/auth/v1/otp") {
      const body = await readJson(req);
      const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
      if (!findUserByEmail(email) && body.create_user === false) {
        throw new AuthApiFailure(422, "otp_disabled", "Signups not allowed for otp");
      }
      emails.push({ kind: "magiclink", to: email, redirectTo: query.get("redirect_to") ?? undefined });
      return { status: 200, body: {} };
    }
    if (method === "POST" && path === "/auth/v1/logout") {
      const { user, sessionId } = await authenticate(req);
      const scope = query.get("scope") ?? "global";
      if (!["global", "local", "others"].includes(scope)) {
        throw new AuthApiFailure(400, "validation_failed", "Unsupported logout scope");
      }
      for (const session of [...sessions.values()]) {
        if (session.userId !== user.id) continue;
        const current = session.id === sessionId;
        if (scope === "global" || (scope === "local" && current) || (scope === "others" && !current)) endSession(session.id);
      }
      return { status: 204 };
    }
    throw new AuthApiFailure(404, "not_found", "Not found");
  }

  const server = createServer((req, res) => {
    const parsed = new URL(req.url ?? "/", "http://peer");
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      authorization: req.headers.authorization,
      apikey: headerValue(req, "apikey"),
      status: 0,
    };
    requests.push(record);
    const reply = (status: number, body?: unknown) => {
      record.status = status;
      send(req, res, status, body);
    };
    const fail = (failure: AuthApiFailure) => {
      record.status = failure.status;
      sendError(req, res, failure);
    };

    if (record.apikey !== publishableKey && record.apikey !== secretKey) {
      // Supabase's API gateway, before the request reaches Auth.
      reply(401, { message: "Invalid API key", hint: "Double check your Supabase `anon` or `service_role` API key." });
      return;
    }
    const injection = injected.find((e) => e.method === record.method && e.path === record.path);
    if (injection) {
      injection.times = (injection.times ?? 1) - 1;
      if (injection.times <= 0) injected.splice(injected.indexOf(injection), 1);
      req.resume();
      fail(new AuthApiFailure(injection.status, injection.errorCode, injection.message));
      return;
    }
    route(req, parsed.pathname, parsed.searchParams).then(
      ({ status, body }) => reply(status, body),
      (err: unknown) => {
        if (err instanceof AuthApiFailure) fail(err);
        else fail(new AuthApiFailure(500, "unexpected_failure", (err as Error).message));
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    publishableKey,
    secretKey,
    emails,
    settings,
    findUserByEmail,
    kid,
    requests,
    requestsTo: (method, path) => requests.filter((r) => r.method === method && r.path === path),
    addUser({ email, password, id = randomUUID(), userMetadata = {} }) {
      const now = new Date().toISOString();
      const user: PeerUser = { id, email: email.trim().toLowerCase(), password, userMetadata, createdAt: now, confirmedAt: now, invitedAt: null };
      users.set(id, user);
      return user;
    },
    sessionFor: async (user, { expiresIn } = {}) => {
      user.confirmedAt ??= new Date().toISOString();
      if (user.password === null && user.invitedAt) user.password = randomBytes(32).toString("base64url");
      return sessionResponse(startSession(user), expiresIn);
    },
    signAccessToken,
    isRefreshTokenActive(refreshToken) {
      const row = refreshTokens.get(refreshToken);
      return !!row && row.revokedAt === undefined && sessions.has(row.sessionId);
    },
    injectError(error) {
      injected.push({ ...error });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new AuthApiFailure(400, "bad_json", "Could not parse request body as JSON");
  }
}

/** GoTrue echoes the API version it answered with when the client asked for a dated one. */
function usesDatedErrors(req: IncomingMessage): boolean {
  const asked = headerValue(req, API_VERSION_HEADER);
  return !!asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) && asked >= "2024-01-01";
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body?: unknown) {
  if (usesDatedErrors(req)) res.setHeader(API_VERSION_HEADER, "2024-01-01");
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function sendError(req: IncomingMessage, res: ServerResponse, failure: AuthApiFailure) {
  const body = usesDatedErrors(req)
    ? { code: failure.errorCode, message: failure.message }
    : { code: failure.status, error_code: failure.errorCode, msg: failure.message };
  send(req, res, failure.status, body);
}
