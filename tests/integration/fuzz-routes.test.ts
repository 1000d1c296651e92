import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLocalUser, issueSessionToken, SESSION_COOKIE } from "@/lib/auth/local";
import { USER_LIMIT } from "@/lib/auth/user-limit";
import { WEBHOOK_LIMITS } from "@/lib/http/webhook-limits";
import { resetConfig } from "@/lib/config";
import { sql } from "@/lib/db/client";
import { signWebhook, type CarrierSimulator } from "@/scripts/simulator";
import { addMembership, createOrg } from "@/tests/support/fixtures";
import { keypad, scriptDraft, scriptVersion, spoken, storeFixedVersion, surveyDraft, surveyVersion } from "@/tests/support/surveys";
import { testCookies } from "@/tests/support/next-headers";
import {
  configureSignalWire, INTERNAL_ORIGIN, planFor, PUBLIC_BASE_URL, queuedCall, sidOf, SIGNING_KEY, startTestCarrier,
} from "@/tests/support/signalwire";

/**
 * Every route that takes input, fuzzed with hostile values: arbitrary and full-unicode strings,
 * NUL bytes, lone surrogates, extreme numbers, odd dates, repeated and missing keys, wrong types,
 * deep nesting, and re-split signed callbacks. Webhook requests are signed with the SDK's own
 * signing function, so the fuzz reaches the parsers behind verification. Properties:
 *
 * - no request is answered 5xx;
 * - a request answered 4xx writes nothing (a digest of every table in public, auth, private and
 *   the job queue is the same before and after), and says so in the `{ error }` shape;
 * - a webhook answered 2xx stores at most one event, only known fields, and replaying the same
 *   signed request changes nothing (one event per dedupe key).
 *
 * ROUTES is the list; the guard at the end fails when a route that takes input is missing from it.
 */
vi.mock("next/headers", () => import("@/tests/support/next-headers"));

// Asking for an address proof writes a message to the outbox (no SMTP here): this run's own directory.
const outbox = await mkdtemp(path.join(tmpdir(), "verbatim-fuzz-outbox-"));
process.env.MAIL_OUTBOX_DIR = outbox;
resetConfig();

const SEED = 20261130;
/** FUZZ_SCALE=0.1 for a quick look while iterating. */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const PASSWORD = "fuzzing owner password";
const OWNER_EMAIL = "fuzz-owner@example.test";
const SILENT_NUMBERS = ["+14155550181", "+14155550182"];
/** A saved target the PATCH and DELETE fuzz aim at (issue 20). */
const FUZZ_TARGET = "7a7a7a7a-0000-4000-8000-000000000020";

let sim: CarrierSimulator;
let orgId: string;
let ownerId: string;
let ownerToken: string;
/** Calls the webhook fuzz aims at: direct with recording, bridge, and one with a survey. */
let calls: string[] = [];
/** A submitted transcription request of calls[0] whose webhook secret the fuzzer knows. */
let transcriptionId: string;
const FUZZ_SECRET = "fuzz-assemblyai-webhook-secret";

// ---------------------------------------------------------------------------------------------
// Hostile values

/** What a string becomes on the wire (UTF-8 has no lone surrogates). */
const wellFormed = (s: string): string => (s as string & { toWellFormed(): string }).toWellFormed();

const SPECIAL_STRINGS = [
  "", " ", "\u0000", "a\u0000b", "\ud800", "x\udfffy", "\ud83d\ude00", "\u202e", "\ufeff", "\uffff", "%00", "\\u0000",
  "NaN", "-NaN", "Infinity", "-Infinity", "-0", "0", "1e308", "-1e308", "1e400", "2147483647", "2147483648",
  "-2147483649", "4294967296", "9007199254740993", "9223372036854775808", "0x10", "1_000", "00000000001", "٣",
  "-271821-04-20T00:00:00.000Z", "+275760-09-13T00:00:00.000Z", "0000-00-00", "1969-12-31T23:59:59Z",
  "Tue, 31 Dec 9999 23:59:59 GMT", "Sat, 01 Jan 0001 00:00:00 GMT", "Fri, 13 Sep 275760 00:00:00 GMT", "1", "-1",
  "ringingDirectionoutbound-api", "completed", "in-progress", "absent", "__proto__", "constructor", "toString",
  "+14155550100", "+1", "sip:a@b", "x".repeat(600), "'; drop table calls; --", "<Say>hi</Say>", "${x}",
];

const nastyString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 24 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 8 }), fc.constantFrom("\u0000", "\ud800", "\udc00", "\u0001", "\u007f"), fc.string({ maxLength: 8 }))
      .map(([a, b, c]) => a + b + c),
  },
);

/** Numbers as JSON text, including the ones JSON.stringify cannot write (-0, 1e400). */
const nastyNumberText = fc.oneof(
  fc.constantFrom("1e308", "-1e308", "1e400", "-1e400", "2147483648", "2147483647", "-2147483649", "-0", "0.5", "5e-324", "9007199254740993", "1e21"),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
);

/** A JSON value written as text: so repeated keys and numbers JSON.stringify cannot write are possible. */
type Json = { text: string };
const jsonString = (s: string): Json => ({ text: JSON.stringify(s) });
const { value: nastyJson } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    nastyString.map(jsonString),
    nastyNumberText.map((text) => ({ text })),
    fc.constantFrom({ text: "true" }, { text: "false" }, { text: "null" }),
    fc.array(tie("value"), { maxLength: 3 }).map((items) => ({ text: `[${items.map((i) => i.text).join(",")}]` })),
    fc.array(fc.tuple(nastyString, tie("value")), { maxLength: 3 }).map((entries) => ({
      text: `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v.text}`).join(",")}}`,
    })),
  ),
}));

/** A body built from a valid template: fields kept, replaced, dropped, repeated; keys added. */
function jsonBody(template: Record<string, unknown>): fc.Arbitrary<string> {
  const keys = Object.keys(template);
  const entry = (key: string) =>
    fc.oneof(
      { weight: 8, arbitrary: fc.constant([[key, { text: JSON.stringify(template[key]) }]] as [string, Json][]) },
      { weight: 2, arbitrary: nastyJson.map((v) => [[key, v]] as [string, Json][]) },
      { weight: 1, arbitrary: fc.constant([] as [string, Json][]) },
      { weight: 1, arbitrary: nastyJson.map((v) => [[key, { text: JSON.stringify(template[key]) }], [key, v]] as [string, Json][]) },
    );
  const structured = fc
    .tuple(fc.tuple(...keys.map(entry)), fc.array(fc.tuple(nastyString, nastyJson), { maxLength: 2 }))
    .map(([fields, extra]) => {
      const entries = [...fields.flat(), ...extra];
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v.text}`).join(",")}}`;
    });
  const raw = fc.oneof(
    fc.constantFrom("", "null", "[]", "{}", "-0", "1e400", '"\\ud800"', "{", '{"a":}', "\u0000", '{"__proto__":{"admin":true}}', "[".repeat(5000) + "]".repeat(5000)),
    fc.integer({ min: 1, max: 3000 }).map((depth) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth)),
    nastyJson.map((v) => v.text),
    fc.string({ unit: "binary", maxLength: 64 }),
  );
  return fc.oneof({ weight: 5, arbitrary: structured }, { weight: 1, arbitrary: raw });
}

/** A query string whose values are hostile; keys may repeat. */
function queryOf(valid: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const keys = Object.keys(valid);
  return fc
    .tuple(
      fc.tuple(...keys.map((k) => fc.oneof({ weight: 8, arbitrary: valid[k]!.map((v) => [[k, v]]) }, { weight: 2, arbitrary: nastyString.map((v) => [[k, v]]) }, fc.constant([]), nastyString.map((v) => [[k, v], [k, v + "x"]])))),
      fc.array(fc.tuple(nastyString, nastyString), { maxLength: 2 }),
    )
    .map(([fields, extra]) => {
      const pairs = [...fields.flat(), ...extra] as [string, string][];
      return pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(wellFormed(k))}=${encodeURIComponent(wellFormed(v))}`).join("&")}` : "";
    });
}

// ---------------------------------------------------------------------------------------------
// Webhook forms

type Pairs = [string, string][];

/** Form fields from a valid base: each kept, replaced, dropped or repeated; keys added; sometimes re-split. */
function formOf(base: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<Pairs> {
  const keys = Object.keys(base);
  const field = (k: string) =>
    fc.oneof(
      { weight: 12, arbitrary: base[k]!.map((v): Pairs => [[k, v]]) },
      { weight: 2, arbitrary: nastyString.map((v): Pairs => [[k, v]]) },
      { weight: 1, arbitrary: fc.constant([] as Pairs) },
      { weight: 1, arbitrary: fc.tuple(base[k]!, nastyString).map(([a, b]): Pairs => [[k, a], [k, b]]) },
    );
  return fc
    .tuple(fc.tuple(...keys.map(field)), fc.array(fc.tuple(nastyString, nastyString), { maxLength: 2 }), fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }))
    .map(([fields, extra, splitAt]) => {
      let pairs: Pairs = [...fields.flat(), ...extra];
      if (splitAt !== null && pairs.length > 1) pairs = resplit(pairs, splitAt);
      return pairs;
    });
}

/**
 * The same signed string cut differently: one field swallows the next one's key and value
 * (`CallStatus=ringing` + `Direction=outbound-api` → `CallStatus=ringingDirectionoutbound-api`).
 */
function resplit(pairs: Pairs, at: number): Pairs {
  const sorted = [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const i = at % (sorted.length - 1);
  const [k, v] = sorted[i]!;
  const [nk, nv] = sorted[i + 1]!;
  if (k === nk) return pairs;
  return [...sorted.slice(0, i), [k, `${v}${nk}${nv}`], ...sorted.slice(i + 2)];
}

function signedForm(method: "GET" | "POST", pathAndQuery: string, pairs: Pairs): Request {
  const params: Record<string, string | string[]> = Object.create(null);
  const body = new URLSearchParams();
  for (const [k, v] of pairs) {
    const key = wellFormed(k);
    const value = wellFormed(v);
    body.append(key, value);
    const had = params[key];
    params[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  // Sign the URL as it will be parsed (the provider signs the URL it calls, byte for byte).
  const url = new URL(pathAndQuery, PUBLIC_BASE_URL);
  const signature = signWebhook(SIGNING_KEY, `${PUBLIC_BASE_URL}${url.pathname}${url.search}`, method === "POST" ? (params as never) : {});
  return new Request(`${INTERNAL_ORIGIN}${url.pathname}${url.search}`, {
    method,
    headers: { "content-type": "application/x-www-form-urlencoded", "x-signalwire-signature": signature },
    ...(method === "POST" ? { body: body.toString() } : {}),
  });
}

const sid = (prefix: string) => fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(sidOf(`${prefix}-a`), sidOf(`${prefix}-b`), sidOf(`${prefix}-c`)) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constant(`${sidOf(`${prefix}-a`)}\u0000`) },
);
const digitsText = (max: number) => fc.integer({ min: 0, max }).map(String);
const rfc2822 = fc.date({ min: new Date(Date.UTC(2026, 0, 1)), max: new Date(Date.UTC(2027, 0, 1)), noInvalidDate: true }).map((d) => d.toUTCString());
const callStatusValue = fc.constantFrom("queued", "initiated", "ringing", "answered", "in-progress", "completed", "busy", "failed", "no-answer", "canceled");

// ---------------------------------------------------------------------------------------------
// The routes

type Handler = (req: Request, ctx: { params: Promise<Record<string, unknown>> }) => Promise<Response>;
type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface Case {
  request: Request;
  params: Record<string, unknown>;
  /** Cookies the browser sends (member routes). */
  cookies?: Record<string, string>;
}

interface FuzzRoute<T = unknown> {
  /** The route file under app/api, as the guard finds it. */
  file: string;
  method: Method;
  kind: "json" | "query" | "webhook";
  load: () => Promise<Record<string, unknown>>;
  runs: number;
  /** Plain data (so a failure prints it), turned into a request by `build`. */
  cases: fc.Arbitrary<T>;
  build: (input: T) => Promise<Case>;
  /** Tables a 4xx writes on purpose (a failed sign-in is counted), as schema.table. */
  writesOn4xx?: string[];
}

/** Headers as HTTP can carry them: a value with NUL, CR, LF or beyond Latin-1 never reaches a route. */
function withJson(headers: Headers): Headers {
  headers.set("content-type", "application/json");
  return headers;
}

function headersOf(values: Record<string, string>): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(values)) {
    if (!v) continue;
    try {
      headers.set(k, v);
    } catch {
      // not deliverable over HTTP
    }
  }
  return headers;
}

interface JsonInput {
  body: string;
  headers: Record<string, string>;
}

function jsonRoute(pathAndQuery: string, method: Method, body: fc.Arbitrary<string>, opts: { session?: boolean; headers?: fc.Arbitrary<Record<string, string>> } = {}) {
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8") },
    { weight: 1, arbitrary: fc.constant("text/plain") },
  );
  return {
    cases: fc.record({
      body,
      headers: fc.tuple(opts.headers ?? fc.constant({}), contentType).map(([h, type]) => ({ ...h, "content-type": type })),
    }),
    build: async (input: JsonInput): Promise<Case> => ({
      request: new Request(`${INTERNAL_ORIGIN}${pathAndQuery}`, { method, headers: headersOf(input.headers), body: input.body }),
      params: {},
      cookies: opts.session ? { [SESSION_COOKIE]: ownerToken } : {},
    }),
  };
}

interface WebhookInput {
  /** An index into the fixture calls, or a hostile call id. */
  call: number | string;
  query: string;
  form: Pairs;
}

function webhookRoute(method: "GET" | "POST", pathFor: (callId: string) => string, query: fc.Arbitrary<string>, form: fc.Arbitrary<Pairs>, preferCall?: number) {
  return {
    cases: fc.record({
      call: fc.oneof(
        { weight: 9, arbitrary: preferCall === undefined ? fc.nat() : fc.oneof({ weight: 3, arbitrary: fc.constant(preferCall) }, { weight: 1, arbitrary: fc.nat() }) },
        { weight: 1, arbitrary: fc.oneof(nastyString, fc.uuid()) },
      ),
      query,
      form,
    }),
    build: async (input: WebhookInput): Promise<Case> => {
      const callId = typeof input.call === "number" ? calls[input.call % calls.length]! : wellFormed(input.call);
      return { request: signedForm(method, `${pathFor(encodeURIComponent(callId))}${input.query}`, input.form), params: { callId } };
    },
  };
}

const statusForm = formOf({
  AccountSid: fc.constant("11111111-2222-4333-8444-555555555555"),
  CallSid: sid("CA"),
  CallStatus: callStatusValue,
  SequenceNumber: digitsText(6),
  Timestamp: rfc2822,
  CallDuration: digitsText(600),
  Direction: fc.constantFrom("outbound-api", "outbound-dial", "inbound"),
  From: fc.constant("+14155550100"),
  To: fc.constant("+14155550199"),
  ApiVersion: fc.constant("2010-04-01"),
});

const recordingForm = formOf({
  AccountSid: fc.constant("11111111-2222-4333-8444-555555555555"),
  CallSid: sid("CA"),
  RecordingSid: sid("RE"),
  RecordingStatus: fc.constantFrom("in-progress", "completed", "absent", "failed"),
  RecordingUrl: fc.oneof(
    fc.constantFrom("-a", "-b", "-c").map((l) => `http://127.0.0.1:3999/api/laml/2010-04-01/Accounts/x/Recordings/${sidOf(`RE${l}`)}`),
    fc.constantFrom("https://files.example.com/r", "http://169.254.169.254/"),
  ),
  RecordingDuration: digitsText(600),
  RecordingChannels: digitsText(3),
  RecordingStartTime: rfc2822,
  RecordingSource: fc.constantFrom("RecordVerb", "DialVerb", "OutboundAPI"),
});

const dialForm = formOf({
  CallSid: sid("CA"),
  DialCallSid: sid("CA"),
  DialCallStatus: callStatusValue,
  DialCallDuration: digitsText(600),
  Digits: fc.constantFrom("1", "hangup"),
});

const gatherForm = formOf({
  CallSid: sid("CA"),
  Digits: fc.oneof(digitsText(9), fc.constantFrom("#", "*", "12", "")),
  SpeechResult: fc.constantFrom("The nurse was very kind.", "five", " ", "x".repeat(2001)),
  Confidence: fc.constantFrom("0.92", "1", "0", "1.5", "-0.1", "0.123456789"),
});

/** A survey with a keypad question and a speech question, and a script, stored with fixed ids. */
const FUZZ_SURVEY = surveyVersion(surveyDraft({
  thankYou: "Bye.",
  questions: [keypad("q1", "Q1?"), { ...spoken("q2", "Q2?"), keypad: { min: 1, max: 5 } }],
}));
const FUZZ_SCRIPT = scriptVersion(scriptDraft(["Hello, do you have appointments?"]));

const lamlQuery = queryOf({ step: fc.constantFrom("start", "whisper", "after-record", "after-dial") });
const gatherQuery = queryOf({ q: digitsText(2), attempt: fc.constantFrom("1", "2") });
/** Index in `calls` of the call whose plan has a survey. */
const SURVEY_CALL = 2;

/** The call list's filters (lib/calls/contracts.ts callFilterSchema), mostly well-formed. */
const CALL_FILTER_QUERY = {
  status: fc.constantFrom("completed", "failed,busy", "ringing,,completed", "exploded"),
  flow: fc.constantFrom("direct", "bridge", "sideways"),
  from: fc.constantFrom("2026-01-01", "2026-11-21T00:00:00Z", "2026-13-40"),
  to: fc.constantFrom("2025-01-01", "2026-12-31", "2026-11-21T00:00:00+02:00"),
  has: fc.constantFrom("recording", "transcript,translation", "audio"),
  scoreMin: fc.constantFrom("0", "50", "100", "101", "-1", "1.5"),
  scoreMax: fc.constantFrom("0", "40", "100"),
  script: fc.oneof(fc.uuid(), fc.constant("not-a-uuid")),
  number: fc.constantFrom("555", "+1 (415) 555-0100", "23", "+", "12a"),
  q: fc.oneof(fc.constantFrom("refund", "\"credit card\" -visa", "or", "!!", "&|<->", "reembolsos", "a:*", "' OR 1=1 --"), fc.string({ maxLength: 40 })),
};

const uuidish = fc.oneof(fc.uuid(), nastyString, fc.constant("00000000-0000-4000-8000-000000000000"));
const headerValues = fc.record({
  "idempotency-key": fc.oneof(fc.uuid(), nastyString),
  "x-organization-id": fc.oneof({ weight: 3, arbitrary: fc.constant("") }, { weight: 1, arbitrary: uuidish }),
  "user-agent": nastyString,
});

/** Each entry keeps its own input type; the list holds them side by side. */
function fuzzRoute<T>(route: FuzzRoute<T>): FuzzRoute {
  return route as unknown as FuzzRoute;
}

interface AssemblyAIInput {
  ids: "fixture" | [string, string];
  header: string | null;
  body: string;
}

export const ROUTES: FuzzRoute[] = [
  fuzzRoute({
    file: "app/api/webhooks/assemblyai/route.ts", method: "POST", kind: "webhook", runs: 600,
    load: () => import("@/app/api/webhooks/assemblyai/route"),
    cases: fc.record({
      ids: fc.oneof({ weight: 6, arbitrary: fc.constant("fixture" as const) }, { weight: 1, arbitrary: fc.tuple(uuidish, uuidish) }),
      header: fc.oneof({ weight: 6, arbitrary: fc.constant(FUZZ_SECRET) }, { weight: 1, arbitrary: nastyString }, { weight: 1, arbitrary: fc.constant(null) }),
      body: fc.oneof(
        jsonBody({ transcript_id: "tr-fuzz", status: "completed" }),
        jsonBody({ transcript_id: "tr-fuzz", status: "error" }),
        jsonBody({ transcript_id: "tr-other", status: "completed" }),
        jsonBody({ redacted_audio_url: "http://169.254.169.254/latest", status: "redacted_audio_ready" }),
      ),
    }),
    build: async (input: AssemblyAIInput) => {
      const [callId, requestId] = input.ids === "fixture" ? [calls[0]!, transcriptionId] : input.ids;
      const headers = headersOf({ "content-type": "application/json", ...(input.header === null ? {} : { "x-verbatim-webhook-secret": input.header }) });
      const query = `?call=${encodeURIComponent(wellFormed(callId))}&request=${encodeURIComponent(wellFormed(requestId))}`;
      return { request: new Request(`${INTERNAL_ORIGIN}/api/webhooks/assemblyai${query}`, { method: "POST", headers, body: input.body }), params: {} };
    },
  }),
  fuzzRoute({
    file: "app/api/calls/[id]/transcription/retry/route.ts", method: "POST", kind: "json", runs: 150,
    load: () => import("@/app/api/calls/[id]/transcription/retry/route"),
    cases: fc.record({ id: fc.oneof(fc.nat().map((i) => `call:${i}`), uuidish), headers: headerValues }),
    build: async (input: { id: string; headers: Record<string, string> }) => {
      const id = input.id.startsWith("call:") ? calls[Number(input.id.slice(5)) % calls.length]! : input.id;
      return {
        request: new Request(`${INTERNAL_ORIGIN}/api/calls/${encodeURIComponent(wellFormed(id))}/transcription/retry`, { method: "POST", headers: headersOf(input.headers) }),
        params: { id },
        cookies: { [SESSION_COOKIE]: ownerToken },
      };
    },
  }),
  fuzzRoute({
    file: "app/api/evidence/verify/route.ts", method: "POST", kind: "json", runs: 120,
    load: () => import("@/app/api/evidence/verify/route"),
    cases: fc.record({
      type: fc.constantFrom("application/zip", "application/x-zip-compressed", "application/jose", "text/plain", "application/json", ""),
      // Junk, a ZIP's magic followed by junk, or a string shaped like a compact JWS.
      body: fc.oneof(
        fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b).toString("base64")),
        fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.concat([Buffer.from("504b0304", "hex"), Buffer.from(b)]).toString("base64")),
        fc.tuple(nastyString, nastyString, nastyString).map((parts) => Buffer.from(parts.map(wellFormed).join(".")).toString("base64")),
      ),
      headers: headerValues,
    }),
    build: async (input: { type: string; body: string; headers: Record<string, string> }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/evidence/verify`, { method: "POST", headers: headersOf({ ...input.headers, "content-type": input.type }), body: Buffer.from(input.body, "base64") }),
      params: {},
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  }),
  fuzzRoute({
    file: "app/api/calls/[id]/score/route.ts", method: "POST", kind: "json", runs: 200,
    load: () => import("@/app/api/calls/[id]/score/route"),
    cases: fc.record({
      id: fc.oneof(fc.nat().map((i) => `call:${i}`), uuidish),
      // No body at all (the default version), or a body that may or may not be JSON.
      body: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: jsonBody({ version: 1 }) }),
      headers: headerValues,
    }),
    build: async (input: { id: string; body: string | null; headers: Record<string, string> }) => {
      const id = input.id.startsWith("call:") ? calls[Number(input.id.slice(5)) % calls.length]! : input.id;
      const headers = headersOf({ ...input.headers, ...(input.body === null ? {} : { "content-type": "application/json" }) });
      return {
        request: new Request(`${INTERNAL_ORIGIN}/api/calls/${encodeURIComponent(wellFormed(id))}/score`, { method: "POST", headers, ...(input.body === null ? {} : { body: input.body }) }),
        params: { id },
        cookies: { [SESSION_COOKIE]: ownerToken },
      };
    },
  }),
  fuzzRoute({
    file: "app/api/evidence/exports/route.ts", method: "POST", kind: "json", runs: 200,
    load: () => import("@/app/api/evidence/exports/route"),
    ...jsonRoute("/api/evidence/exports", "POST", fc.oneof(
      jsonBody({ filter: { status: "completed", to: "2026-11-30" }, dryRun: true }),
      jsonBody({ callIds: ["00000000-0000-4000-8000-000000000000"] }),
      jsonBody({ filter: { q: "refund", flow: "direct" } }),
    ), { session: true, headers: headerValues }),
  }),
  ...(["cancel", "link"] as const).map((action) =>
    fuzzRoute({
      file: `app/api/evidence/exports/[id]/${action}/route.ts`, method: "POST", kind: "json", runs: 100,
      load: () => (action === "cancel" ? import("@/app/api/evidence/exports/[id]/cancel/route") : import("@/app/api/evidence/exports/[id]/link/route")),
      cases: fc.record({ id: uuidish, headers: headerValues }),
      build: async (input: { id: string; headers: Record<string, string> }) => ({
        request: new Request(`${INTERNAL_ORIGIN}/api/evidence/exports/${encodeURIComponent(wellFormed(input.id))}/${action}`, { method: "POST", headers: headersOf(input.headers) }),
        params: { id: input.id },
        cookies: { [SESSION_COOKIE]: ownerToken },
      }),
    }),
  ),
  // Retention, holds and erasure (docs/adr/0037).
  fuzzRoute({
    file: "app/api/retention/policies/preview/route.ts", method: "POST", kind: "json", runs: 60,
    load: () => import("@/app/api/retention/policies/preview/route"),
    ...jsonRoute("/api/retention/policies/preview", "POST", jsonBody({ policies: [{ kind: "recording", keepDays: 30 }, { kind: "transcript", keepDays: null }] }), { session: true, headers: headerValues }),
  }),
  fuzzRoute({
    file: "app/api/retention/policies/route.ts", method: "PUT", kind: "json", runs: 60,
    load: () => import("@/app/api/retention/policies/route"),
    ...jsonRoute("/api/retention/policies", "PUT", jsonBody({ policies: [{ kind: "recording", keepDays: 30 }], token: `${Date.now() + 600_000}.${"a".repeat(64)}` }), { session: true, headers: headerValues }),
  }),
  fuzzRoute({
    file: "app/api/retention/erasure/route.ts", method: "POST", kind: "json", runs: 60,
    load: () => import("@/app/api/retention/erasure/route"),
    ...jsonRoute("/api/retention/erasure", "POST", jsonBody({ phoneNumber: "+15550177099", reason: "Subject request" }), { session: true, headers: headerValues }),
  }),
  fuzzRoute({
    file: "app/api/holds/route.ts", method: "POST", kind: "json", runs: 60,
    load: () => import("@/app/api/holds/route"),
    ...jsonRoute("/api/holds", "POST", fc.oneof(
      jsonBody({ scope: "call", callId: "00000000-0000-4000-8000-000000000000", reason: "Litigation" }),
      jsonBody({ scope: "filter", filter: "status=completed&q=refund", reason: "Inquiry" }),
      jsonBody({ scope: "campaign", campaignId: "00000000-0000-4000-8000-000000000000", reason: "Audit" }),
    ), { session: true, headers: headerValues }),
  }),
  fuzzRoute({
    file: "app/api/holds/[id]/release/route.ts", method: "POST", kind: "json", runs: 60,
    load: () => import("@/app/api/holds/[id]/release/route"),
    cases: fc.record({ id: uuidish, body: jsonBody({ reason: "Case closed" }), headers: headerValues }),
    build: async (input: { id: string; body: string; headers: Record<string, string> }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/holds/${encodeURIComponent(wellFormed(input.id))}/release`, { method: "POST", headers: withJson(headersOf(input.headers)), body: input.body }),
      params: { id: input.id },
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  }),
  fuzzRoute({
    file: "app/api/evidence/exports/[id]/download/route.ts", method: "GET", kind: "query", runs: 100,
    load: () => import("@/app/api/evidence/exports/[id]/download/route"),
    cases: fc.record({ id: uuidish, query: queryOf({ orgId: fc.uuid(), exp: digitsText(12), sig: fc.base64String({ maxLength: 44 }) }), headers: headerValues }),
    build: async (input: { id: string; query: string; headers: Record<string, string> }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/evidence/exports/${encodeURIComponent(wellFormed(input.id))}/download${input.query}`, { headers: headersOf(input.headers) }),
      params: { id: input.id },
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  }),
  fuzzRoute({
    file: "app/api/auth/sign-in/route.ts", method: "POST", kind: "json", runs: 300,
    load: () => import("@/app/api/auth/sign-in/route"),
    ...jsonRoute("/api/auth/sign-in", "POST", jsonBody({ email: OWNER_EMAIL, password: PASSWORD }), { headers: headerValues }),
    writesOn4xx: ["private.auth_rate_limits"],
  }),
  fuzzRoute({
    file: "app/api/auth/sign-out/route.ts", method: "POST", kind: "json", runs: 60,
    load: () => import("@/app/api/auth/sign-out/route"),
    cases: fc.record({ body: jsonBody({}), cookie: fc.oneof(fc.constant("fresh"), nastyString) }),
    build: async (input: { body: string; cookie: string }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/auth/sign-out`, { method: "POST", headers: { "content-type": "application/json" }, body: input.body }),
      params: {},
      cookies: { [SESSION_COOKIE]: input.cookie === "fresh" ? await freshSession() : input.cookie },
    }),
  }),
  fuzzRoute({
    file: "app/api/calls/route.ts", method: "POST", kind: "json", runs: 500,
    load: () => import("@/app/api/calls/route"),
    ...jsonRoute("/api/calls", "POST", jsonBody({ to: SILENT_NUMBERS[0], flow: "direct", record: true, transcribe: false }), { session: true, headers: headerValues }),
  }),
  fuzzRoute({
    file: "app/api/calls/route.ts", method: "GET", kind: "query", runs: 300,
    load: () => import("@/app/api/calls/route"),
    cases: fc.record({ query: queryOf({ before: fc.constantFrom("2026-11-21T00:00:00Z", "abc"), limit: digitsText(300), ...CALL_FILTER_QUERY }), headers: headerValues }),
    build: async (input: { query: string; headers: Record<string, string> }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/calls${input.query}`, { headers: headersOf(input.headers) }),
      params: {},
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  }),
  fuzzRoute({
    file: "app/api/calls/[id]/highlights/route.ts", method: "GET", kind: "query", runs: 200,
    load: () => import("@/app/api/calls/[id]/highlights/route"),
    cases: fc.record({ call: fc.oneof(fc.nat(), uuidish), query: queryOf({ q: CALL_FILTER_QUERY.q, original: fc.constantFrom("1", "0") }), headers: headerValues }),
    build: async (input: { call: number | string; query: string; headers: Record<string, string> }) => {
      const id = typeof input.call === "number" ? calls[input.call % calls.length]! : input.call;
      return {
        request: new Request(`${INTERNAL_ORIGIN}/api/calls/${encodeURIComponent(wellFormed(id))}/highlights${input.query}`, { headers: headersOf(input.headers) }),
        params: { id },
        cookies: { [SESSION_COOKIE]: ownerToken },
      };
    },
  }),
  fuzzRoute({
    file: "app/api/voice-config/route.ts", method: "PUT", kind: "json", runs: 500,
    load: () => import("@/app/api/voice-config/route"),
    ...jsonRoute("/api/voice-config", "PUT", jsonBody({
      record: true, disclosureText: "Recorded.", callerId: "+14155550100", translateLanguages: ["es"],
      survey: { id: FUZZ_SURVEY.id, version: 1 },
      shopperScript: { id: FUZZ_SCRIPT.id, version: 1 },
    }), { session: true }),
  }),
  ...(["surveys", "shopper-scripts"] as const).flatMap((base) => {
    const draft = base === "surveys"
      ? { title: "CSAT", questions: [{ id: "q1", prompt: "Rate us", keypad: { min: 1, max: 5 }, speech: true }], thankYou: "Bye." }
      : { title: "Enquiry", persona: { name: "Alex", voice: "woman" }, steps: [{ say: "Hello" }, { pause: 2 }],
          rubric: { criteria: [{ id: "c1", label: "Greets", weight: 1, kind: "phrase_present", phrases: ["hello"] }] } };
    const fixedId = base === "surveys" ? FUZZ_SURVEY.id : FUZZ_SCRIPT.id;
    return [
      fuzzRoute({
        file: `app/api/${base}/route.ts`, method: "POST", kind: "json", runs: 150,
        load: () => (base === "surveys" ? import("@/app/api/surveys/route") : import("@/app/api/shopper-scripts/route")),
        ...jsonRoute(`/api/${base}`, "POST", jsonBody(draft), { session: true }),
      }),
      fuzzRoute({
        file: `app/api/${base}/preview/route.ts`, method: "POST", kind: "json", runs: 150,
        load: () => (base === "surveys" ? import("@/app/api/surveys/preview/route") : import("@/app/api/shopper-scripts/preview/route")),
        ...jsonRoute(`/api/${base}/preview`, "POST", jsonBody(draft), { session: true }),
      }),
      fuzzRoute({
        file: `app/api/${base}/[id]/versions/route.ts`, method: "POST", kind: "json", runs: 150,
        load: () => (base === "surveys" ? import("@/app/api/surveys/[id]/versions/route") : import("@/app/api/shopper-scripts/[id]/versions/route")),
        cases: fc.record({ id: fc.oneof(fc.constant(fixedId), uuidish), body: jsonBody({ basedOn: 1, draft }) }),
        build: async (input: { id: string; body: string }) => ({
          request: new Request(`${INTERNAL_ORIGIN}/api/${base}/${encodeURIComponent(wellFormed(input.id))}/versions`, {
            method: "POST", headers: { "content-type": "application/json" }, body: input.body,
          }),
          params: { id: input.id },
          cookies: { [SESSION_COOKIE]: ownerToken },
        }),
      }),
    ];
  }),
  fuzzRoute({
    file: "app/api/members/route.ts", method: "POST", kind: "json", runs: 160,
    load: () => import("@/app/api/members/route"),
    ...jsonRoute("/api/members", "POST", jsonBody({ email: "new-member@example.test", role: "viewer" }), { session: true }),
  }),
  fuzzRoute({
    file: "app/api/invitations/route.ts", method: "POST", kind: "json", runs: 300,
    load: () => import("@/app/api/invitations/route"),
    ...jsonRoute("/api/invitations", "POST", jsonBody({ email: "invitee@example.test", role: "analyst" }), { session: true, headers: headerValues }),
  }),
  fuzzRoute({
    file: "app/api/invitations/[id]/route.ts", method: "DELETE", kind: "json", runs: 150,
    load: () => import("@/app/api/invitations/[id]/route"),
    cases: fc.record({ id: uuidish, headers: headerValues }),
    build: async (input: { id: string; headers: Record<string, string> }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/invitations/${encodeURIComponent(wellFormed(input.id))}`, { method: "DELETE", headers: headersOf(input.headers) }),
      params: { id: input.id },
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  }),
  fuzzRoute({
    file: "app/api/members/[userId]/route.ts", method: "PATCH", kind: "json", runs: 200,
    load: () => import("@/app/api/members/[userId]/route"),
    // "self": the fuzzing owner, the organization's only owner (every demotion is 409 last_owner).
    cases: fc.record({ id: fc.oneof(uuidish, fc.constant("self")), body: jsonBody({ role: "viewer" }), headers: headerValues }),
    build: async (input: { id: string; body: string; headers: Record<string, string> }) => {
      const id = input.id === "self" ? ownerId : input.id;
      const headers = headersOf(input.headers);
      headers.set("content-type", "application/json");
      return {
        request: new Request(`${INTERNAL_ORIGIN}/api/members/${encodeURIComponent(wellFormed(id))}`, { method: "PATCH", headers, body: input.body }),
        params: { userId: id },
        cookies: { [SESSION_COOKIE]: ownerToken },
      };
    },
  }),
  fuzzRoute({
    file: "app/api/members/[userId]/route.ts", method: "DELETE", kind: "json", runs: 150,
    load: () => import("@/app/api/members/[userId]/route"),
    cases: fc.record({ id: fc.oneof(uuidish, fc.constant("self")), headers: headerValues }),
    build: async (input: { id: string; headers: Record<string, string> }) => {
      const id = input.id === "self" ? ownerId : input.id;
      return {
        request: new Request(`${INTERNAL_ORIGIN}/api/members/${encodeURIComponent(wellFormed(id))}`, { method: "DELETE", headers: headersOf(input.headers) }),
        params: { userId: id },
        cookies: { [SESSION_COOKIE]: ownerToken },
      };
    },
  }),
  fuzzRoute({
    file: "app/api/invitations/accept/route.ts", method: "POST", kind: "json", runs: 300,
    load: () => import("@/app/api/invitations/accept/route"),
    cases: fc.record({
      body: jsonBody({ token: "dGhpcyBpcyBub3QgYSByZWFsIGludml0YXRpb24gdG9rZW4", password: "a long enough password" }),
      signedIn: fc.boolean(),
    }),
    build: async (input: { body: string; signedIn: boolean }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/invitations/accept`, { method: "POST", headers: { "content-type": "application/json" }, body: input.body }),
      params: {},
      cookies: (input.signedIn ? { [SESSION_COOKIE]: ownerToken } : {}) as Record<string, string>,
    }),
    writesOn4xx: ["private.auth_rate_limits"],
  }),
  fuzzRoute({
    file: "app/api/auth/address-proof/route.ts", method: "POST", kind: "json", runs: 100,
    load: () => import("@/app/api/auth/address-proof/route"),
    ...jsonRoute("/api/auth/address-proof", "POST", jsonBody({ email: OWNER_EMAIL })),
    // Every request counts against the limits, a refused one (429) too.
    writesOn4xx: ["private.auth_rate_limits"],
  }),
  fuzzRoute({
    file: "app/api/auth/address-proof/confirm/route.ts", method: "POST", kind: "json", runs: 100,
    load: () => import("@/app/api/auth/address-proof/confirm/route"),
    ...jsonRoute("/api/auth/address-proof/confirm", "POST", jsonBody({ token: "dGhpcyBpcyBub3QgYSByZWFsIGFkZHJlc3MgcHJvb2Y", password: "a long enough password" })),
  }),
  fuzzRoute({
    file: "app/api/auth/session/route.ts", method: "POST", kind: "json", runs: 60,
    load: () => import("@/app/api/auth/session/route"),
    ...jsonRoute("/api/auth/session", "POST", jsonBody({ accessToken: "a.b.c", refreshToken: "r" })),
  }),
  fuzzRoute({
    file: "app/api/session/org/route.ts", method: "POST", kind: "json", runs: 300,
    load: () => import("@/app/api/session/org/route"),
    ...jsonRoute("/api/session/org", "POST", jsonBody({ orgId: "00000000-0000-4000-8000-000000000000" }), { session: true }),
  }),
  fuzzRoute({
    file: "app/api/webhooks/signalwire/[callId]/status/route.ts", method: "POST", kind: "webhook", runs: 1000,
    load: () => import("@/app/api/webhooks/signalwire/[callId]/status/route"),
    ...webhookRoute("POST", (id) => `/api/webhooks/signalwire/${id}/status`, fc.constant(""), statusForm),
  }),
  fuzzRoute({
    file: "app/api/webhooks/signalwire/[callId]/recording/route.ts", method: "POST", kind: "webhook", runs: 800,
    load: () => import("@/app/api/webhooks/signalwire/[callId]/recording/route"),
    ...webhookRoute("POST", (id) => `/api/webhooks/signalwire/${id}/recording`, fc.constant(""), recordingForm),
  }),
  fuzzRoute({
    file: "app/api/laml/[callId]/route.ts", method: "POST", kind: "webhook", runs: 800,
    load: () => import("@/app/api/laml/[callId]/route"),
    ...webhookRoute("POST", (id) => `/api/laml/${id}`, lamlQuery, dialForm),
  }),
  fuzzRoute({
    file: "app/api/laml/[callId]/route.ts", method: "GET", kind: "webhook", runs: 300,
    load: () => import("@/app/api/laml/[callId]/route"),
    ...webhookRoute("GET", (id) => `/api/laml/${id}`, lamlQuery, fc.constant([])),
  }),
  fuzzRoute({
    file: "app/api/laml/[callId]/gather/route.ts", method: "POST", kind: "webhook", runs: 800,
    load: () => import("@/app/api/laml/[callId]/gather/route"),
    ...webhookRoute("POST", (id) => `/api/laml/${id}/gather`, gatherQuery, gatherForm, SURVEY_CALL),
  }),
  fuzzRoute({
    file: "app/api/voice/targets/route.ts", method: "POST", kind: "json", runs: 200,
    load: () => import("@/app/api/voice/targets/route"),
    ...jsonRoute("/api/voice/targets", "POST", jsonBody({ name: "Riverside", number: "+12125550100", timeZone: "America/New_York", tags: ["west"], notes: "Ask for Dana", dnc: true }), { session: true, headers: headerValues }),
  }),
  ...(["PATCH", "DELETE"] as const).map((method) => fuzzRoute({
    file: "app/api/voice/targets/[id]/route.ts", method, kind: "json", runs: 150,
    load: () => import("@/app/api/voice/targets/[id]/route"),
    cases: fc.record({
      id: fc.oneof(fc.constant(FUZZ_TARGET), uuidish),
      body: jsonBody({ name: "Hillside", number: "+13125550100", timeZone: "America/Chicago", tags: ["east"], dnc: true }),
    }),
    build: async (input: { id: string; body: string }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/voice/targets/${encodeURIComponent(wellFormed(input.id))}`, {
        method, headers: { "content-type": "application/json" }, ...(method === "PATCH" ? { body: input.body } : {}),
      }),
      params: { id: input.id },
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  })),
  fuzzRoute({
    file: "app/api/campaigns/route.ts", method: "POST", kind: "json", runs: 150,
    load: () => import("@/app/api/campaigns/route"),
    ...jsonRoute("/api/campaigns", "POST", jsonBody({
      name: "Audit", selection: { tags: ["west"] }, pace: { dialsPerSecond: 2, maxLive: 3 }, spread: true,
      schedule: { startsAt: "2026-12-07T00:00:00Z", endsAt: "2026-12-14T00:00:00Z", weekly: { mon: { from: "09:00", to: "17:00" } } },
      retry: { busy: { maxAttempts: 2, backoffSeconds: 60 } }, modulations: { record: true },
    }), { session: true, headers: headerValues }),
  }),
  ...(["PATCH", "DELETE"] as const).map((method) => fuzzRoute({
    file: "app/api/campaigns/[id]/route.ts", method, kind: "json", runs: 60,
    load: () => import("@/app/api/campaigns/[id]/route"),
    cases: fc.record({ id: uuidish, body: jsonBody({ name: "Renamed", spread: false, pace: { dialsPerSecond: 1, maxLive: 1 } }) }),
    build: async (input: { id: string; body: string }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/campaigns/${encodeURIComponent(wellFormed(input.id))}`, {
        method, headers: { "content-type": "application/json" }, ...(method === "PATCH" ? { body: input.body } : {}),
      }),
      params: { id: input.id },
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  })),
  ...(["launch", "pause", "resume", "cancel", "evidence"] as const).map((action) =>
    fuzzRoute({
      file: `app/api/campaigns/[id]/${action}/route.ts`, method: "POST", kind: "json", runs: 40,
      load: () => ({
        launch: () => import("@/app/api/campaigns/[id]/launch/route"),
        pause: () => import("@/app/api/campaigns/[id]/pause/route"),
        resume: () => import("@/app/api/campaigns/[id]/resume/route"),
        cancel: () => import("@/app/api/campaigns/[id]/cancel/route"),
        evidence: () => import("@/app/api/campaigns/[id]/evidence/route"),
      })[action](),
      cases: fc.record({ id: uuidish, headers: headerValues }),
      build: async (input: { id: string; headers: Record<string, string> }) => ({
        request: new Request(`${INTERNAL_ORIGIN}/api/campaigns/${encodeURIComponent(wellFormed(input.id))}/${action}`, { method: "POST", headers: headersOf(input.headers) }),
        params: { id: input.id },
        cookies: { [SESSION_COOKIE]: ownerToken },
      }),
    }),
  ),
  // Outbound webhooks (docs/adr/0039): URLs that need no DNS (loopback is allowed in the
  // embedded default; the private and odd ones are 422), and ids from anywhere.
  fuzzRoute({
    file: "app/api/outbound-webhooks/endpoints/route.ts", method: "POST", kind: "json", runs: 80,
    load: () => import("@/app/api/outbound-webhooks/endpoints/route"),
    ...jsonRoute("/api/outbound-webhooks/endpoints", "POST", fc.oneof(
      jsonBody({ url: "http://127.0.0.1:9/hook", eventTypes: ["call.completed"], description: "fuzz" }),
      fc.record({
        url: fc.oneof(fc.constantFrom("https://10.0.0.1/x", "https://2130706433/", "https://user:pw@127.0.0.1/", "ftp://127.0.0.1/", "https://[::ffff:a00:1]/"), nastyString),
        eventTypes: fc.oneof(fc.constant(["manifest.sealed"]), fc.array(nastyString, { maxLength: 3 })),
        description: nastyString,
      }).map((b) => JSON.stringify(b)),
    ), { session: true, headers: headerValues }),
  }),
  ...(["PATCH", "DELETE"] as const).map((method) => fuzzRoute({
    file: "app/api/outbound-webhooks/endpoints/[id]/route.ts", method, kind: "json", runs: 40,
    load: () => import("@/app/api/outbound-webhooks/endpoints/[id]/route"),
    cases: fc.record({ id: uuidish, body: fc.oneof(jsonBody({ enabled: false }), jsonBody({ url: "https://169.254.169.254/latest" }), nastyString) }),
    build: async (input: { id: string; body: string }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/outbound-webhooks/endpoints/${encodeURIComponent(wellFormed(input.id))}`, {
        method, headers: { "content-type": "application/json" }, ...(method === "PATCH" ? { body: input.body } : {}),
      }),
      params: { id: input.id },
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  })),
  ...([["endpoints", "rotate-secret"], ["deliveries", "replay"]] as const).map(([kind, action]) => fuzzRoute({
    file: `app/api/outbound-webhooks/${kind}/[id]/${action}/route.ts`, method: "POST", kind: "json", runs: 30,
    load: () => (kind === "endpoints" ? import("@/app/api/outbound-webhooks/endpoints/[id]/rotate-secret/route") : import("@/app/api/outbound-webhooks/deliveries/[id]/replay/route")),
    cases: fc.record({ id: uuidish, headers: headerValues }),
    build: async (input: { id: string; headers: Record<string, string> }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/outbound-webhooks/${kind}/${encodeURIComponent(wellFormed(input.id))}/${action}`, { method: "POST", headers: headersOf(input.headers) }),
      params: { id: input.id },
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  })),
  fuzzRoute({
    file: "app/api/voice/targets/import/route.ts", method: "POST", kind: "json", runs: 200,
    load: () => import("@/app/api/voice/targets/import/route"),
    cases: fc.record({
      query: queryOf({ mode: fc.constantFrom("preview", "commit", "draft"), token: fc.constantFrom("0".repeat(64), "abc") }),
      type: fc.constantFrom("text/csv", "text/plain; charset=utf-8", "application/json"),
      csv: fc.oneof(
        { weight: 4, arbitrary: fc.tuple(nastyString, nastyString, nastyString, nastyString).map(([name, number, zone, tags]) =>
          `name,number,time_zone,tags,notes,dnc\n"${name.replace(/"/g, '""')}",${number.replace(/[,"\n\r]/g, "")},${zone.replace(/[,"\n\r]/g, "")},${tags.replace(/[,"\n\r]/g, "")},,yes\nOk,+12125550177,,a;b,,\n`) },
        { weight: 2, arbitrary: nastyString },
        { weight: 1, arbitrary: fc.constantFrom("name,number\n\"broken,+1\n", "\uFEFFname,number\r\n=1+1,+12125550178\r\n", "") },
      ),
    }),
    build: async (input: { query: string; type: string; csv: string }) => ({
      request: new Request(`${INTERNAL_ORIGIN}/api/voice/targets/import${input.query}`, { method: "POST", headers: { "content-type": input.type }, body: input.csv }),
      params: {},
      cookies: { [SESSION_COOKIE]: ownerToken },
    }),
  }),
];

// ---------------------------------------------------------------------------------------------
// Observing the database

let digestQuery: string;

/** Row count and an order-free hash of every row, per table in public, auth, private and the job queue. */
async function digest(): Promise<Map<string, string>> {
  const rows = await sql().unsafe<{ t: string; d: string }[]>(digestQuery);
  return new Map(rows.map((r) => [r.t, r.d]));
}

function changed(before: Map<string, string>, after: Map<string, string>, allowed: string[] = []): string[] {
  return [...after.keys()].filter((t) => !allowed.includes(t) && before.get(t) !== after.get(t));
}

async function freshSession(): Promise<string> {
  const sessionId = randomUUID();
  await sql()`insert into auth.sessions (id, user_id, not_after) values (${sessionId}, ${ownerId}, now() + interval '1 hour')`;
  return issueSessionToken({ sub: ownerId, email: OWNER_EMAIL, role: "authenticated", aud: "authenticated", session_id: sessionId, aal: "aal1" });
}

const STORABLE_KEYS = new Set([
  "CallSid", "CallStatus", "SequenceNumber", "Timestamp", "CallDuration", "Direction", "CallbackSource", "AnsweredBy",
  "RecordingSid", "RecordingStatus", "RecordingDuration", "RecordingChannels", "RecordingSource", "RecordingStartTime", "ErrorCode",
  "Digits", "DialCallSid", "DialCallStatus", "DialCallDuration", "question", "attempt", "Confidence", "Speech",
]);

beforeAll(async () => {
  sim = await startTestCarrier();
  for (const n of SILENT_NUMBERS) sim.setScenario(n, { kind: "silent" });
  configureSignalWire({ CARRIER_SIMULATOR_URL: sim.url });
  orgId = await createOrg("global");
  ownerId = (await createLocalUser(OWNER_EMAIL, PASSWORD)).id;
  await addMembership(orgId, ownerId, "owner");
  await sql()`insert into public.voice_configs (organization_id) values (${orgId})`;
  ownerToken = await freshSession();
  await storeFixedVersion(orgId, FUZZ_SURVEY, "survey");
  await storeFixedVersion(orgId, FUZZ_SCRIPT, "shopperScript");
  await sql()`insert into public.voice_targets (id, organization_id, name, number, time_zone, created_by)
    values (${FUZZ_TARGET}, ${orgId}, 'Fuzzed', '+12125550150', 'America/New_York', ${ownerId})`;
  const survey = FUZZ_SURVEY;
  calls = [
    await queuedCall(orgId, ownerId),
    await queuedCall(orgId, ownerId, planFor({ flow: "bridge", operatorPhone: "+14155550177", record: true })),
    await queuedCall(orgId, ownerId, planFor({ record: false, disclosure: null, survey })),
    await queuedCall(orgId, ownerId),
  ];
  const [recording] = await sql()<{ id: string }[]>`
    insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, media_type, stored_at)
    values (${orgId}, ${calls[0]!}, ${sidOf("RE-fuzz-transcribed")}, 'stored', ${`${orgId}/fuzz.wav`}, ${"a".repeat(64)}, 44, 'audio/wav', now())
    returning id`;
  const [transcription] = await sql()<{ id: string }[]>`
    insert into public.transcriptions (organization_id, call_id, recording_id, status, redact, provider_transcript_id, webhook_secret_sha256)
    values (${orgId}, ${calls[0]!}, ${recording!.id}, 'submitted', false, 'tr-fuzz', ${createHash("sha256").update(FUZZ_SECRET).digest("hex")})
    returning id`;
  transcriptionId = transcription!.id;
  const tables = await sql()<{ s: string; t: string }[]>`
    select table_schema as s, table_name as t from information_schema.tables
    where table_schema in ('public', 'auth', 'private', 'graphile_worker') and table_type = 'BASE TABLE'
      -- The shared request counters (lib/rate-limits) count every request, refused or not.
      and (table_schema, table_name) <> ('private', 'rate_limits')
    order by 1, 2`;
  digestQuery = tables
    .map(({ s, t }) => `select '${s}.${t}' as t, count(*)::text || ':' || coalesce(sum(hashtextextended(x::text, 0)), 0)::text as d from "${s}"."${t}" x`)
    .join(" union all ");
});

afterAll(async () => {
  await sim?.stop();
  await rm(outbox, { recursive: true, force: true });
});

const figures: string[] = [];

async function resetLimits(): Promise<void> {
  await USER_LIMIT.reset(ownerId);
  await WEBHOOK_LIMITS.perSource.reset("unknown");
  await WEBHOOK_LIMITS.failedPerSource.reset("unknown");
  for (const call of calls) await WEBHOOK_LIMITS.perSubject.reset(call);
  await WEBHOOK_LIMITS.perSubject.reset(transcriptionId);
}

describe("fuzzing every route that takes input", () => {
  for (const route of ROUTES) {
    it(`${route.method} ${route.file}: no 5xx; a 4xx writes nothing; a 2xx webhook stores at most one event`, { timeout: 120_000 }, async () => {
      const mod = await route.load();
      const handler = mod[route.method] as Handler;
      const started = performance.now();
      const seen = new Map<number, number>();
      let slowest = 0;
      await fc.assert(
        fc.asyncProperty(route.cases, async (input) => {
          const c = await route.build(input);
          const caseStarted = performance.now();
          testCookies.clear();
          // Thousands of requests from one user and one address in seconds: the per-user and
          // per-source limits (tested on their own in rate-limits.test.ts) would soon answer
          // 429 and keep the fuzz from reaching the parsers.
          await resetLimits();
          for (const [k, v] of Object.entries(c.cookies ?? {})) testCookies.set(k, v);
          const before = await digest();
          if (process.env.FUZZ_DEBUG) console.error("case", JSON.stringify(input).slice(0, 300));
          const res = await handler(c.request, { params: Promise.resolve(c.params) });
          if (process.env.FUZZ_DEBUG) console.error("->", res.status, Math.round(performance.now() - caseStarted));
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          expect(res.status, `5xx: ${await res.clone().text()}`).toBeLessThan(500);
          slowest = Math.max(slowest, performance.now() - caseStarted);
          const after = await digest();
          if (res.status >= 400) {
            expect(changed(before, after, route.writesOn4xx)).toEqual([]);
            const body = await res.json();
            expect(body.error).toMatchObject({ code: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
            return;
          }
          if (route.kind !== "webhook") return;
          const eventsDelta = Number(after.get("public.call_events")!.split(":")[0]) - Number(before.get("public.call_events")!.split(":")[0]);
          expect(eventsDelta).toBeLessThanOrEqual(1);
          if (eventsDelta === 1) {
            const [newest] = await sql()<{ payload: Record<string, unknown> }[]>`select payload from public.call_events order by id desc limit 1`;
            const payload = newest!.payload;
            for (const key of Object.keys(payload)) expect(STORABLE_KEYS.has(key), `stored key ${key}`).toBe(true);
            expect(JSON.stringify(payload)).not.toMatch(/\\u0000|https?:/);
          }
          // The provider repeats callbacks: the same signed request again changes nothing.
          const replay = await route.build(input);
          const again = await handler(replay.request, { params: Promise.resolve(replay.params) });
          expect(again.status).toBe(res.status);
          expect(changed(after, await digest())).toEqual([]);
        }),
        { seed: SEED, numRuns: Math.ceil(route.runs * SCALE), endOnFailure: true },
      );
      const ms = Math.round(performance.now() - started);
      figures.push(`${route.method} ${route.file}: ${Math.ceil(route.runs * SCALE)} cases in ${ms} ms, slowest ${Math.round(slowest)} ms, statuses ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
    });
  }

  it("reports the figures", () => {
    console.info(figures.join("\n"));
    expect(figures).toHaveLength(ROUTES.length);
  });
});

// ---------------------------------------------------------------------------------------------
// The guard

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === "route.ts" ? [full] : [];
  });
}

describe("the fuzz list covers every route that takes input", () => {
  it("each POST/PUT/PATCH/DELETE handler, and every method of a webhook or LaML route, is in ROUTES", () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const missing: string[] = [];
    for (const file of routeFiles(path.join(root, "app/api"))) {
      const rel = path.relative(root, file).split(path.sep).join("/");
      const source = readFileSync(file, "utf8");
      const methods = [...source.matchAll(/export\s+(?:const|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE|HEAD)\b/g)].map((m) => m[1]!);
      const provider = rel.startsWith("app/api/webhooks/") || rel.startsWith("app/api/laml/");
      for (const method of methods) {
        const takesInput = ["POST", "PUT", "PATCH", "DELETE"].includes(method) || (provider && method !== "HEAD");
        if (takesInput && !ROUTES.some((r) => r.file === rel && r.method === method)) missing.push(`${method} ${rel}`);
      }
    }
    expect(missing, "add these to ROUTES in tests/integration/fuzz-routes.test.ts").toEqual([]);
  });
});
