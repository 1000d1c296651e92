import { createHash, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { placeCall as placeAuthorized } from "@/lib/calls/place-call";
import { playableRecording } from "@/lib/call-detail/recording-playback";
import { getCallDetail } from "@/lib/call-detail/detail";
import { viewFor } from "@/lib/calls/call-view";
import { reconcileTranscriptions } from "@/lib/intelligence/reconcile-transcriptions";
import { asService, withUser } from "@/lib/db";
import { sql } from "@/lib/db/client";
import { canonicalJson } from "@/lib/evidence/canonical-json";
import { authorize } from "@/lib/rbac/authorize";
import type { Role } from "@/lib/rbac/policy";
import { WEBHOOK_LIMITS } from "@/lib/http/webhook-limits";
import { addMembership } from "@/tests/support/fixtures";
import { call as callRoute, signedInUser } from "@/tests/support/member-requests";
import { recordingOrg as org, setupPipeline, waitFor, type RecordingOrg as Org } from "@/tests/support/pipeline";

vi.mock("next/headers", async () => (await import("@/tests/support/member-requests")).nextHeadersMock);

/**
 * The transcription pipeline end to end in the embedded default's shape: calls placed through
 * the carrier stand-in (real SignalWire SDK), recordings ingested into filesystem storage,
 * submitted to the AssemblyAI stand-in through the real `assemblyai` SDK with a signed URL of
 * our stored audio, and its webhooks delivered over HTTP to the real route (served as a machine
 * route, as bin/server.ts serves it), with graphile-worker running the jobs.
 */
const pipeline = setupPipeline({ tmpPrefix: "verbatim-asr-", apiKey: "test-assemblyai-key-0123456789", transcriber: { slowMs: 2500 } });
const { log } = pipeline;

// ---- helpers -------------------------------------------------------------------------------

let n = 0;
async function place(o: Org, to: string, request: Record<string, unknown> = {}): Promise<string> {
  n += 1;
  const session = o.sessions.operator;
  const { call } = await placeAuthorized(session, await authorize(session, "calls.place", o.id), { to, ...request }, `asr-${Date.now()}-${n}`, log);
  return call.id;
}

const target = () => `+1415556${String(1000 + Math.floor(Math.random() * 8999)).slice(-4)}`;

type TranscriptionRow = { id: string; status: string; error: string | null; providerTranscriptId: string | null };
const transcriptionsOf = (callId: string) => sql()<TranscriptionRow[]>`
  select id, status, error, provider_transcript_id as "providerTranscriptId" from public.transcriptions where call_id = ${callId} order by created_at`;
const artifactsOf = (callId: string) => sql()<{ id: string; kind: string; language: string | null; body: unknown; sha256: string; storagePath: string | null; restricted: boolean }[]>`
  select id, kind, language, body, sha256, storage_path as "storagePath", restricted from public.call_artifacts where call_id = ${callId} order by produced_at, kind`;
const eventKinds = async (callId: string) => (await sql()<{ kind: string }[]>`select kind from public.call_events where call_id = ${callId} order by id`).map((e) => e.kind);

async function settled(callId: string, status = "completed"): Promise<TranscriptionRow> {
  return waitFor(`transcription ${status} for ${callId}`, async () => (await transcriptionsOf(callId)).find((t) => t.status === status));
}

const detail = (o: Org, role: Role, callId: string, original = false) =>
  withUser(o.sessions[role].claims, (tx) => getCallDetail(tx, { orgId: o.id, callId, view: viewFor(o.memberships[role], { original }) }));

const hex = (text: string) => createHash("sha256").update(text).digest("hex");

function webhook(query: string, body: unknown, header?: string): Request {
  const headers = new Headers({ "content-type": "application/json" });
  if (header !== undefined) headers.set("x-verbatim-webhook-secret", header);
  return new Request(`${pipeline.appUrl}/api/webhooks/assemblyai${query}`, { method: "POST", headers, body: JSON.stringify(body) });
}

async function postWebhook(req: Request): Promise<Response> {
  await WEBHOOK_LIMITS.failedPerSource.reset("unknown");
  const { POST } = await import("@/app/api/webhooks/assemblyai/route");
  return POST(req, { params: Promise.resolve({}) });
}

/** Row counts of everything a webhook could write. */
async function footprint(): Promise<string> {
  const [row] = await sql()<{ f: string }[]>`
    select (select count(*) from public.transcriptions)::text || '/' ||
           (select coalesce(sum(hashtextextended(t::text, 0)), 0) from public.transcriptions t)::text || '/' ||
           (select count(*) from public.call_artifacts)::text || '/' ||
           (select count(*) from public.call_events)::text || '/' ||
           (select count(*) from graphile_worker.jobs)::text as f`;
  return row!.f;
}

// ---- the tests -------------------------------------------------------------------------------

describe("a recorded call with transcription and translation to Spanish", () => {
  let acme: Org;
  let callId: string;

  beforeAll(async () => {
    acme = await org("global", { translate: ["es"] });
    callId = await place(acme, target());
    await settled(callId);
    await waitFor("the Spanish translation", async () => (await artifactsOf(callId)).some((a) => a.kind === "translation"));
  }, 60_000);

  it("stores the transcript (words, utterances with speakers and ms timings) and the Spanish translation, each hashed over canonical JSON", async () => {
    const artifacts = await artifactsOf(callId);
    expect(artifacts.map((a) => a.kind).sort()).toEqual(["transcript", "translation"]);
    const transcript = artifacts.find((a) => a.kind === "transcript")!;
    const body = transcript.body as { text: string; words: Array<{ start: number; end: number }>; utterances: Array<{ speaker: string; start: number; end: number; text: string }>; language_code: string };
    expect(body.text).toMatch(/front desk/i);
    expect(body.words.length).toBeGreaterThan(5);
    expect(body.utterances.length).toBeGreaterThan(0);
    for (const u of body.utterances) {
      expect(u.speaker).toMatch(/^[A-Z0-9]+$/);
      expect(u.end).toBeGreaterThan(u.start);
    }
    expect(body.language_code).toBeTruthy();
    for (const a of artifacts) expect(a.sha256).toBe(hex(canonicalJson(a.body)));
    const translation = artifacts.find((a) => a.kind === "translation")!;
    expect(translation.language).toBe("es");
    expect((translation.body as { text: string }).text.length).toBeGreaterThan(0);
  });

  it("records provenance and the recording's hash as the input", async () => {
    const [row] = await sql()<{ provenance: Record<string, unknown>; inputs: { recording: { sha256: string } } }[]>`
      select provenance, inputs from public.call_artifacts where call_id = ${callId} and kind = 'transcript'`;
    const [recording] = await sql()<{ sha256: string }[]>`select sha256 from public.recordings where call_id = ${callId} and status = 'stored'`;
    expect(row!.inputs.recording.sha256).toBe(recording!.sha256);
    expect(row!.provenance).toMatchObject({ vendor: "assemblyai", providerId: expect.any(String), producedAt: expect.any(String) });
    expect((row!.provenance.models as string[]).length).toBeGreaterThan(0);
    // What was asked, without the audio URL (a bearer link) and without the webhook secret.
    const parameters = row!.provenance.parameters as Record<string, unknown>;
    expect(parameters).toMatchObject({ language_detection: true, sentiment_analysis: true, entity_detection: true });
    expect(parameters).not.toHaveProperty("audio_url");
    expect(JSON.stringify(parameters)).not.toMatch(/webhook_auth_header_value|exp=|sig=/);
  });

  it("submitted our stored audio as a signed URL that the transcriber fetched, and stored the secret only as a hash", async () => {
    const [t] = await transcriptionsOf(callId);
    const remote = pipeline.transcriber.transcripts().find((r) => r.id === t!.providerTranscriptId)!;
    expect(remote.audioUrl).toMatch(new RegExp(`^${pipeline.appUrl}/api/storage/${acme.id}/${callId}/.+\\.wav\\?exp=\\d+&sig=`));
    expect(remote.audioFetches).toBe(1);
    expect(remote.webhooks[0]).toMatchObject({ status: 204, ok: true, headerName: "x-verbatim-webhook-secret" });
    expect(remote.webhooks[0]!.url).toBe(`${pipeline.appUrl}/api/webhooks/assemblyai?call=${callId}&request=${t!.id}`);
    const [row] = await sql()<{ secret: string }[]>`select webhook_secret_sha256 as secret from public.transcriptions where id = ${t!.id}`;
    expect(row!.secret).toMatch(/^[0-9a-f]{64}$/);
  });

  it("puts the transcription on the call's timeline and in the call detail", async () => {
    expect(await eventKinds(callId)).toEqual(expect.arrayContaining(["recording.stored", "transcription.submitted", "transcription.completed", "translation.stored"]));
    const operator = await detail(acme, "operator", callId);
    expect(operator!.transcription).toMatchObject({ status: "completed", error: null, attempt: 1, targetLanguages: ["es"] });
    expect(operator!.transcript).toMatchObject({ version: "original", text: expect.stringMatching(/front desk/i) });
    expect(operator!.transcript!.utterances[0]).toMatchObject({ speaker: expect.any(String), start: expect.any(Number), end: expect.any(Number), text: expect.any(String) });
    expect(operator!.translations).toEqual([expect.objectContaining({ language: "es", text: expect.any(String) })]);
    const viewer = await detail(acme, "viewer", callId);
    expect(viewer!.transcription).toBeNull();
    expect(viewer!.transcript).toBeNull();
    expect(viewer!.translations).toBeNull();
  });

  it("refuses the webhook without the header, or with a wrong one (401), and an unknown request (404), storing nothing", async () => {
    const [t] = await transcriptionsOf(callId);
    const query = `?call=${callId}&request=${t!.id}`;
    const body = { transcript_id: t!.providerTranscriptId, status: "completed" };
    const before = await footprint();
    expect((await postWebhook(webhook(query, body))).status).toBe(401);
    expect((await postWebhook(webhook(query, body, "not-the-secret"))).status).toBe(401);
    expect((await postWebhook(webhook(query, body, ""))).status).toBe(401);
    expect((await postWebhook(webhook(`?call=${callId}&request=${randomUUID()}`, body, "x"))).status).toBe(404);
    expect((await postWebhook(webhook(`?call=${randomUUID()}&request=${t!.id}`, body, "x"))).status).toBe(404);
    expect((await postWebhook(webhook("?call=nope&request=nope", body, "x"))).status).toBe(404);
    expect(await footprint()).toBe(before);
  });
});

describe("the same webhook five times", () => {
  it("stores one transcript: the first queues the fetch, the repeats change nothing", async () => {
    const o = await org("pro");
    // Slow: the transcriber's own webhook comes late; ours (with a secret we set) first.
    pipeline.transcriber.setScenario(o.id, "slow");
    const callId = await place(o, target());
    const t = await waitFor("submission", async () => (await transcriptionsOf(callId)).find((r) => r.status === "submitted"));
    const secret = "a-secret-this-test-knows";
    // The test stands in for AssemblyAI holding this secret: only its hash is stored.
    await sql()`update public.transcriptions set webhook_secret_sha256 = ${hex(secret)} where id = ${t.id}`;

    const query = `?call=${callId}&request=${t.id}`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await postWebhook(webhook(query, { transcript_id: t.providerTranscriptId, status: "completed" }, secret))).status);
    expect(statuses).toEqual([204, 204, 204, 204, 204]);
    // A malformed body behind the right secret is a 400, not a failed verification: more of them
    // than the failed-verification budget allows, and a well-formed delivery still gets through.
    await WEBHOOK_LIMITS.failedPerSource.reset("unknown");
    const { POST } = await import("@/app/api/webhooks/assemblyai/route");
    for (let i = 0; i < WEBHOOK_LIMITS.failedPerSource.spec.points + 5; i += 1) {
      const malformed = await POST(webhook(query, { status: 42 }, secret), { params: Promise.resolve({}) });
      expect(malformed.status).toBe(400);
      expect((await malformed.json()).error).toMatchObject({ code: "invalid_request" });
    }
    expect((await POST(webhook(query, { transcript_id: t.providerTranscriptId, status: "completed" }, secret), { params: Promise.resolve({}) })).status).toBe(204);

    // The transcriber finishes later; its own webhook (with the secret we replaced) is refused,
    // and the reconciler, finding no answer, fetches the transcript.
    await waitFor("the slow transcript", async () => pipeline.transcriber.transcripts().find((r) => r.id === t.providerTranscriptId)?.settled);
    await reconcileTranscriptions({ thresholdSeconds: 0, log, transcriber: true });
    await settled(callId);
    for (let i = 0; i < 5; i += 1) {
      expect((await postWebhook(webhook(query, { transcript_id: t.providerTranscriptId, status: "completed" }, secret))).status).toBe(204);
    }
    await new Promise((r) => setTimeout(r, 500));
    const artifacts = await artifactsOf(callId);
    expect(artifacts.filter((a) => a.kind === "transcript")).toHaveLength(1);
    expect((await eventKinds(callId)).filter((k) => k === "transcription.completed")).toHaveLength(1);
    // Its own late delivery was refused with 401 (and so not retried).
    const remote = pipeline.transcriber.transcripts().find((r) => r.id === t.providerTranscriptId)!;
    expect(remote.webhooks[0]).toMatchObject({ status: 401, attempts: 1 });
    pipeline.transcriber.clearScenarios();
  }, 60_000);
});

describe("a failed transcription", () => {
  it("shows AssemblyAI's reason on the call, and an admin's retry completes it", async () => {
    const o = await org("pro");
    const callId = await place(o, "+15005550008");
    const failed = await settled(callId, "error");
    expect(failed.error).toMatch(/Simulated transcription failure/);
    const shown = await detail(o, "operator", callId);
    expect(shown!.transcription).toMatchObject({ status: "error", error: expect.stringMatching(/Simulated transcription failure/), attempt: 1 });
    expect(shown!.transcript).toBeNull();
    expect(shown!.events.map((e) => e.summary)).toContainEqual(expect.stringMatching(/^Transcription failed: Simulated transcription failure/));

    // The retry route: operators may not; another organization's admin gets 404; this admin 202.
    const { POST } = await import("@/app/api/calls/[id]/transcription/retry/route");
    const path = `/api/calls/${callId}/transcription/retry`;
    const operator = await signedInUser();
    await addMembership(o.id, operator.userId, "operator");
    expect((await callRoute(operator.browser, POST, { method: "POST", path, params: { id: callId } })).status).toBe(403);
    const other = await org("pro");
    const stranger = await signedInUser();
    await addMembership(other.id, stranger.userId, "admin");
    expect((await callRoute(stranger.browser, POST, { method: "POST", path, params: { id: callId } })).status).toBe(404);
    const admin = await signedInUser();
    await addMembership(o.id, admin.userId, "admin");
    const retried = await callRoute(admin.browser, POST, { method: "POST", path, params: { id: callId } });
    expect(retried.status).toBe(202);

    const done = await settled(callId);
    expect(done.id).toBe(retried.body.transcriptionId);
    const after = await detail(o, "operator", callId);
    expect(after!.transcription).toMatchObject({ status: "completed", attempt: 2, error: null });
    expect(after!.transcript!.text).toMatch(/front desk/i);
    // The failed request is still there, unchanged; a second retry of a completed one is refused.
    expect((await transcriptionsOf(callId)).map((t) => t.status)).toEqual(["error", "completed"]);
    expect((await callRoute(admin.browser, POST, { method: "POST", path, params: { id: callId } })).status).toBe(409);
  }, 60_000);
});

describe("redaction", () => {
  const NAME = "Maria";
  const PHONE = "4155550123";
  let o: Org;
  let callId: string;

  beforeAll(async () => {
    o = await org("pro", { redact: true });
    const to = target();
    pipeline.carrier.setScenario(to, { kind: "answered", reply: `Hello, this is ${NAME} at the front desk. Call me back on ${PHONE} please.` });
    callId = await place(o, to);
    await settled(callId);
    await waitFor("the redacted audio", async () => (await artifactsOf(callId)).some((a) => a.kind === "redacted_audio"), 30_000);
  }, 60_000);

  it("gives operators and analysts a transcript without the redacted entities, which the original holds", async () => {
    const original = await detail(o, "owner", callId, true);
    expect(original!.transcript!.version).toBe("original");
    expect(original!.transcript!.text).toContain(NAME);
    expect(original!.transcript!.words.map((w) => w.text).join(" ")).toMatch(/4155550123/);
    for (const role of ["operator", "analyst"] as const) {
      const seen = await detail(o, role, callId);
      expect(seen!.transcript!.version).toBe("redacted");
      const everything = JSON.stringify(seen);
      expect(everything).not.toContain(NAME);
      expect(everything).not.toContain(PHONE);
      expect(seen!.transcript!.text).toMatch(/\[PERSON_NAME\]/);
    }
    // Owners see the redacted one too unless they ask for the original.
    expect((await detail(o, "owner", callId))!.transcript!.version).toBe("redacted");
  });

  it("keeps the original from operators in SQL as well", async () => {
    const count = (role: Role) => withUser(o.sessions[role].claims, async (tx) =>
      (await tx<{ kind: string }[]>`select kind from public.call_artifacts where call_id = ${callId} order by kind`).map((r) => r.kind));
    expect(await count("operator")).toEqual(["redacted_audio", "redacted_transcript"]);
    expect(await count("owner")).toEqual(["redacted_audio", "redacted_transcript", "transcript"]);
    expect(await count("viewer")).toEqual([]);
  });

  it("plays operators the redacted audio (no entity's words, its samples silenced), and owners the original on request", async () => {
    const fetchAudio = async (role: Role, original = false) => {
      const { url, sha256 } = await withUser(o.sessions[role].claims, (tx) => playableRecording(tx, { membership: o.memberships[role], callId, original }));
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(sha256);
      return bytes;
    };
    const redacted = await fetchAudio("operator");
    const original = await fetchAudio("owner", true);
    // The original WAV carries the carrier stand-in's speech metadata (the words); the redacted one does not.
    expect(original.includes(Buffer.from(NAME))).toBe(true);
    expect(redacted.includes(Buffer.from(NAME))).toBe(false);
    expect(redacted.includes(Buffer.from(PHONE))).toBe(false);
    // Where the name is spoken, the original has sound and the redacted audio silence.
    const owner = await detail(o, "owner", callId, true);
    const word = owner!.transcript!.words.find((w) => w.text.includes(NAME))!;
    const samples = (wav: Buffer) => {
      const data = wav.indexOf("data");
      const rate = wav.readUInt32LE(24);
      const frame = wav.readUInt16LE(32);
      return wav.subarray(data + 8 + Math.floor((word.start / 1000) * rate) * frame, data + 8 + Math.floor((word.end / 1000) * rate) * frame);
    };
    expect(samples(original).some((b) => b !== 0)).toBe(true);
    expect(samples(redacted).every((b) => b === 0)).toBe(true);
    // Operators cannot ask for the original.
    await expect(withUser(o.sessions.operator.claims, (tx) => playableRecording(tx, { membership: o.memberships.operator, callId, original: true }))).rejects.toThrow();
    expect(await eventKinds(callId)).toContain("redacted_audio.stored");
  });
});

describe("artifacts are immutable", () => {
  it("refuses UPDATE and DELETE of call_artifacts for every role, the service path and the table owner included", async () => {
    const o = await org("global", { translate: ["es"] });
    const callId = await place(o, target());
    await settled(callId);
    const [artifact] = await artifactsOf(callId);
    const attempts: Array<[string, () => Promise<unknown>]> = [];
    for (const role of ["owner", "admin", "operator", "analyst", "viewer"] as const) {
      attempts.push([`${role} update`, () => withUser(o.sessions[role].claims, (tx) => tx`update public.call_artifacts set sha256 = ${"0".repeat(64)} where id = ${artifact!.id} returning id`.then((r) => { if (r.length === 0) throw new Error("no row updated (RLS)"); }))]);
      attempts.push([`${role} delete`, () => withUser(o.sessions[role].claims, (tx) => tx`delete from public.call_artifacts where id = ${artifact!.id} returning id`.then((r) => { if (r.length === 0) throw new Error("no row deleted (RLS)"); }))]);
    }
    attempts.push(["service update", () => asService((tx) => tx`update public.call_artifacts set sha256 = ${"0".repeat(64)} where id = ${artifact!.id}`)]);
    attempts.push(["service delete", () => asService((tx) => tx`delete from public.call_artifacts where id = ${artifact!.id}`)]);
    attempts.push(["owner connection update", () => sql()`update public.call_artifacts set body = '{}' where id = ${artifact!.id}`]);
    attempts.push(["owner connection delete", () => sql()`delete from public.call_artifacts where id = ${artifact!.id}`]);
    for (const [label, attempt] of attempts) await expect(attempt(), label).rejects.toThrow();
    const [after] = await artifactsOf(callId);
    expect(after).toEqual(artifact);
    // A settled transcription request is final too.
    await expect(sql()`update public.transcriptions set error = 'x' where call_id = ${callId}`).rejects.toThrow(/settled/);
    await expect(sql()`delete from public.transcriptions where call_id = ${callId}`).rejects.toThrow(/append-only/);
  }, 60_000);
});

describe("plan gating", () => {
  it("transcripts need pro and translations global, in the API and in SQL", async () => {
    const pro = await org("pro");
    const callId = await place(pro, target());
    await settled(callId);
    // A translation row on a pro organization (as if the plan was global when the call ran).
    const [t] = await transcriptionsOf(callId);
    await asService((tx) => tx`
      insert into public.call_artifacts (organization_id, call_id, kind, transcription_id, language, body, sha256, provenance, inputs)
      values (${pro.id}, ${callId}, 'translation', ${t!.id}, 'es', ${tx.json({ text: "hola" })}, ${hex(canonicalJson({ text: "hola" }))}, '{}', '{}')`);
    const operator = await detail(pro, "operator", callId);
    expect(operator!.transcript).not.toBeNull();
    expect(operator!.translations).toBeNull();
    const kinds = (plan: Org) => withUser(plan.sessions.operator.claims, async (tx) =>
      (await tx<{ kind: string }[]>`select kind from public.call_artifacts where call_id = ${callId} order by kind`).map((r) => r.kind));
    expect(await kinds(pro)).toEqual(["transcript"]);
    await sql()`update public.organizations set plan = 'global' where id = ${pro.id}`;
    expect(await kinds(pro)).toEqual(["transcript", "translation"]);
    await sql()`update public.organizations set plan = 'base' where id = ${pro.id}`;
    expect(await kinds(pro)).toEqual([]);
    const base = { ...pro, memberships: { ...pro.memberships, operator: { ...pro.memberships.operator, plan: "base" as const } } };
    const onBase = await detail(base, "operator", callId);
    expect(onBase!.transcript).toBeNull();
    expect(onBase!.transcription).toBeNull();
  }, 60_000);
});

describe("the reconciler", () => {
  it("submits a stored recording whose request was never made, and fetches a submitted one whose webhook never came", async () => {
    const o = await org("pro");
    // Slow, so the request is still submitted when its secret is replaced; AssemblyAI's webhook
    // then fails verification and the request stays submitted.
    pipeline.transcriber.setScenario(o.id, "slow");
    const callId = await place(o, target());
    const t = await waitFor("submission", async () => (await transcriptionsOf(callId)).find((r) => r.status === "submitted"));
    await sql()`update public.transcriptions set webhook_secret_sha256 = ${hex("lost")} where id = ${t.id}`;
    await waitFor("the transcriber to finish", async () => pipeline.transcriber.transcripts().find((r) => r.id === t.providerTranscriptId)?.settled);
    pipeline.transcriber.clearScenarios();
    expect((await transcriptionsOf(callId))[0]!.status).toBe("submitted");
    const report = await reconcileTranscriptions({ thresholdSeconds: 0, log, transcriber: true });
    expect(report.transcriptionsSettled).toBeGreaterThanOrEqual(1);
    expect((await transcriptionsOf(callId))[0]!.status).toBe("completed");
    expect((await artifactsOf(callId)).map((a) => a.kind)).toEqual(["transcript"]);

    // A second call whose transcription request was lost: the recording is stored, no request exists.
    const second = await place(o, target());
    await settled(second);
    const [rec] = await sql()<{ id: string; path: string; sha256: string; bytes: string; channels: number }[]>`
      select id, storage_path as path, sha256, bytes::text, channels from public.recordings where call_id = ${second} and status = 'stored'`;
    // Recreate "stored but never requested": a fresh call row whose recording row points at stored audio.
    const orphanCall = await asService(async (tx) => {
      const [row] = await tx<{ id: string }[]>`
        insert into public.calls (organization_id, created_by, flow, from_number, to_number, from_number_hash, to_number_hash, from_number_mask, to_number_mask,
                                  idempotency_key, modulations, plan_tier, status)
        select organization_id, created_by, flow, from_number, to_number, from_number_hash, to_number_hash, from_number_mask, to_number_mask,
               ${randomUUID()}, modulations, plan_tier, 'completed'
        from public.calls where id = ${second} returning id`;
      await tx`
        insert into public.recordings (organization_id, call_id, provider_recording_sid, status, storage_path, sha256, bytes, channels, media_type, stored_at)
        values (${o.id}, ${row!.id}, ${`RE${randomUUID().replaceAll("-", "")}`}, 'stored', ${rec!.path}, ${rec!.sha256}, ${rec!.bytes}, ${rec!.channels}, 'audio/wav', now() - interval '1 hour')`;
      return row!.id;
    });
    expect(await transcriptionsOf(orphanCall)).toEqual([]);
    const again = await reconcileTranscriptions({ thresholdSeconds: 60, log, transcriber: true });
    expect(again.transcriptionsRequested).toBe(1);
    await settled(orphanCall);
    const rerun = await reconcileTranscriptions({ thresholdSeconds: 60, log, transcriber: true });
    expect(rerun.transcriptionsRequested).toBe(0);
  }, 90_000);
});
