/**
 * N calls in one organization for `npm run bench:page` (10,000 by default, a million with
 * `--calls 1000000`): mixed statuses, flows and dates (one every 37 minutes back from the first
 * seeding, closer together when N calls would reach back more than two years), stored
 * recordings, transcripts in English (80%) and Spanish (20%) made of realistic customer-service
 * sentences, translations of every fifth transcribed call, shopper scripts, surveys and scores on
 * some, a word said in one call in a hundred ("ombudsman") and a rare phrase ("platinum warranty
 * extension") in one call in 2,000. Inserted through the service role in batches of
 * BATCH calls, one transaction each, so memory stays bounded whatever N is, respecting the
 * schema's triggers (snapshots name published versions; artifacts are only ever inserted).
 * Idempotent and resumable: calls are keyed `bench-page-<n>`; a re-run finds them and adds
 * nothing, and a run that was interrupted goes on from the first missing one. Development
 * tooling.
 */
import { createHash, randomUUID } from "node:crypto";
import type postgres from "postgres";
import type { Tx } from "@/lib/db";
import { artifactHash } from "@/lib/intelligence/artifacts";
import { createWithFirstVersion } from "@/lib/surveys/versions";

export const DEFAULT_BENCH_CALLS = 10_000;
export const RARE_PHRASE = "platinum warranty extension";
/** A word said in one call in a hundred: between the common words and the rare phrase. */
export const MEDIUM_WORD = "ombudsman";
/** Calls per transaction. */
const BATCH = 1_000;
/** However many calls, they reach back at most this far. */
const MAX_SPAN_MS = 730 * 86_400_000;

/** Sentences as [English, Spanish]: transcripts use one side, their translations the other. */
const LINES: [string, string][] = [
  ["Good morning, thank you for calling, how can I help you today?", "Buenos días, gracias por llamar, ¿en qué puedo ayudarle hoy?"],
  ["I would like to ask about a refund for my last order.", "Quisiera preguntar por un reembolso de mi último pedido."],
  ["The refund usually takes five to seven business days.", "El reembolso suele tardar de cinco a siete días hábiles."],
  ["Could you tell me your order number, please?", "¿Podría decirme su número de pedido, por favor?"],
  ["I need to book an appointment for next Tuesday.", "Necesito reservar una cita para el próximo martes."],
  ["We have an opening at ten in the morning with Doctor Patel.", "Tenemos un hueco a las diez de la mañana con la doctora Patel."],
  ["My package arrived damaged and the box was open.", "Mi paquete llegó dañado y la caja estaba abierta."],
  ["I am sorry to hear that, let me check the shipment.", "Siento oír eso, déjeme revisar el envío."],
  ["Is the clinic open on Saturdays?", "¿La clínica abre los sábados?"],
  ["Our office hours are nine to five, Monday through Friday.", "Nuestro horario es de nueve a cinco, de lunes a viernes."],
  ["I was charged twice on my credit card.", "Me cobraron dos veces en mi tarjeta de crédito."],
  ["I can see the duplicate charge and I will cancel it now.", "Veo el cargo duplicado y lo voy a cancelar ahora."],
  ["Can I change the delivery address for my order?", "¿Puedo cambiar la dirección de entrega de mi pedido?"],
  ["The technician will visit your home on Thursday afternoon.", "El técnico visitará su casa el jueves por la tarde."],
  ["My internet connection keeps dropping every evening.", "Mi conexión a internet se corta todas las noches."],
  ["Please restart the router and wait two minutes.", "Por favor reinicie el router y espere dos minutos."],
  ["I would like to cancel my subscription.", "Quisiera cancelar mi suscripción."],
  ["Before you go, we can offer you a discount for three months.", "Antes de irse, podemos ofrecerle un descuento de tres meses."],
  ["Do you accept my insurance plan?", "¿Aceptan mi plan de seguro?"],
  ["Yes, we accept most insurance plans, including yours.", "Sí, aceptamos la mayoría de los seguros, incluido el suyo."],
  ["The apartment on Elm Street is still available.", "El apartamento de la calle Elm sigue disponible."],
  ["Can we schedule a viewing for the weekend?", "¿Podemos programar una visita para el fin de semana?"],
  ["I never received the confirmation email.", "Nunca recibí el correo de confirmación."],
  ["I will resend the confirmation to your address right away.", "Le reenviaré la confirmación a su dirección enseguida."],
  ["We are busy right now, please call back later.", "Estamos ocupados ahora, por favor llame más tarde."],
  ["Thank you for your patience, is there anything else?", "Gracias por su paciencia, ¿hay algo más?"],
  ["No, that is everything, have a nice day.", "No, eso es todo, que tenga un buen día."],
  ["The prescription is ready for pickup at the front desk.", "La receta está lista para recoger en la recepción."],
];
const MEDIUM: [string, string] = [`Can I speak to the ${MEDIUM_WORD} about this complaint?`, "¿Puedo hablar con el defensor del cliente sobre esta queja?"];
const RARE: [string, string] = [`I also want to ask about the ${RARE_PHRASE} for my laptop.`, "También quiero preguntar por la extensión de garantía platino de mi portátil."];

const STATUSES = ["failed", "busy", "no_answer", "canceled", "in_progress"] as const;

/** Deterministic pseudo-random numbers from the call's index. */
function rand(n: number, salt: number): number {
  const h = createHash("sha256").update(`${n}:${salt}`).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

function lines(n: number): [string, string][] {
  const count = 4 + Math.floor(rand(n, 1) * 5);
  const out: [string, string][] = [];
  for (let i = 0; i < count; i++) out.push(LINES[Math.floor(rand(n, 10 + i) * LINES.length)]!);
  if (n % 2000 === 7) out.splice(1, 0, RARE);
  if (n % 100 === 41) out.splice(1, 0, MEDIUM);
  return out;
}

interface Plan {
  n: number;
  id: string;
  status: string;
  flow: "direct" | "bridge";
  to: string;
  createdAt: string;
  transcribed: boolean;
  spanish: boolean;
  translated: boolean;
  script: boolean;
  survey: boolean;
}

async function published(tx: Tx, orgId: string, userId: string) {
  const [script] = await tx<{ document: Record<string, unknown>; sha256: string }[]>`
    select v.document, v.sha256 from public.shopper_script_versions v
    where v.organization_id = ${orgId} and v.title = 'Bench: appointment enquiry' order by v.version limit 1`;
  const [survey] = await tx<{ document: Record<string, unknown>; sha256: string }[]>`
    select v.document, v.sha256 from public.survey_versions v
    where v.organization_id = ${orgId} and v.title = 'Bench: satisfaction' order by v.version limit 1`;
  const scriptDoc = script
    ? { ...script.document, sha256: script.sha256 }
    : (await createWithFirstVersion(tx, "shopperScript", {
        orgId, userId,
        draft: {
          title: "Bench: appointment enquiry",
          persona: { name: "Alex", description: "A new patient" },
          steps: [{ say: "Hello, I would like to book an appointment." }],
          rubric: { criteria: [{ id: "greets", label: "Greets the caller", weight: 1, kind: "phrase_present", phrases: ["good morning"] }] },
        } as never,
      })).version;
  const surveyDoc = survey
    ? { ...survey.document, sha256: survey.sha256 }
    : (await createWithFirstVersion(tx, "survey", {
        orgId, userId,
        draft: { title: "Bench: satisfaction", thankYou: "Thank you. Goodbye.", questions: [{ id: "q1", prompt: "How satisfied were you, from 1 to 5?", keypad: { min: 1, max: 5 }, speech: false }] },
      })).version;
  return { scriptDoc: scriptDoc as Record<string, unknown> & { id: string; version: number; sha256: string }, surveyDoc: surveyDoc as Record<string, unknown> & { id: string } };
}

export interface BenchSeed {
  /** Calls this run added (0 when they were all there). */
  added: number;
  /** The organization's bench calls after the run. */
  calls: number;
  scriptId: string;
  surveyId: string;
  sampleNumber: string;
}

const sample = (n: number) => `+1${2000000000 + Math.floor(rand(n, 2) * 7_999_999_999)}`;
const chunk = <T,>(list: T[], size: number) => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

/**
 * Seed (once) `calls` bench calls in the organization and return what the bench filters on.
 * Each batch commits on its own; `onProgress` hears after each.
 */
export async function seedBenchCalls(
  db: postgres.Sql,
  { orgId, userId, calls, onProgress }: { orgId: string; userId: string; calls: number; onProgress?: (done: number) => void },
): Promise<BenchSeed> {
  const { scriptDoc, surveyDoc } = (await db.begin(async (sql) => {
    const tx = sql as unknown as Tx;
    await tx`select set_config('role', 'service_role', true)`;
    return published(tx, orgId, userId);
  })) as Awaited<ReturnType<typeof published>>;
  const result = { scriptId: scriptDoc.id, surveyId: surveyDoc.id, sampleNumber: sample(4242) };

  // What is there already: the calls `bench-page-0` … `bench-page-<count - 1>` (batches commit in order).
  const [{ count } = { count: 0 }] = await db<{ count: number }[]>`
    select count(*)::int as count from public.calls where organization_id = ${orgId} and idempotency_key like 'bench-page-%'`;
  const step = Math.min(37 * 60_000, Math.floor(MAX_SPAN_MS / calls));
  const [first] = await db<{ at: Date; next: Date | null }[]>`
    select c.created_at as at, (select d.created_at from public.calls d where d.organization_id = ${orgId} and d.idempotency_key = 'bench-page-1') as next
    from public.calls c where c.organization_id = ${orgId} and c.idempotency_key = 'bench-page-0'`;
  if (count >= calls) return { added: 0, calls: count, ...result };
  if (count > 0 && (!first || (first.next && first.at.getTime() - first.next.getTime() !== step))) {
    throw new Error(
      `this database holds ${count} bench calls seeded for another --calls (they are ${first?.next ? (first.at.getTime() - first.next.getTime()) / 1000 : "?"} s apart, ` +
        `${calls} calls would be ${step / 1000} s apart): use another data directory, or the --calls it was seeded with`,
    );
  }
  const start = first ? first.at.getTime() : Date.now();

  for (let from = count; from < calls; from += BATCH) {
    const plans: Plan[] = [];
    for (let n = from; n < Math.min(calls, from + BATCH); n++) {
      const r = rand(n, 3);
      const status = r < 0.75 ? "completed" : STATUSES[Math.floor(((r - 0.75) / 0.25) * STATUSES.length)]!;
      const flow = n % 7 === 0 ? "bridge" : "direct";
      const transcribed = status === "completed" && n % 10 !== 9;
      plans.push({
        n, id: randomUUID(), status, flow,
        to: n % 11 === 0 ? `+44${7000000000 + Math.floor(rand(n, 2) * 999_999_999)}` : sample(n),
        createdAt: new Date(start - n * step).toISOString(),
        transcribed,
        spanish: rand(n, 4) < 0.2,
        translated: transcribed && n % 5 === 0,
        script: flow === "direct" && n % 13 === 0,
        survey: flow === "direct" && n % 17 === 0,
      });
    }
    await db.begin(async (sql) => {
      await sql`select set_config('role', 'service_role', true)`;
      await insertBatch(sql, orgId, userId, plans, scriptDoc, surveyDoc);
    });
    onProgress?.(Math.min(calls, from + BATCH));
  }
  return { added: calls - count, calls, ...result };
}

async function insertBatch(
  sql: postgres.TransactionSql,
  orgId: string,
  userId: string,
  plans: Plan[],
  scriptDoc: Awaited<ReturnType<typeof published>>["scriptDoc"],
  surveyDoc: Awaited<ReturnType<typeof published>>["surveyDoc"],
): Promise<void> {
  const rows = plans.map((p) => {
    const record = p.status === "completed" && p.n % 10 !== 8 ? true : p.transcribed;
    const ended = ["completed", "failed", "busy", "no_answer", "canceled"].includes(p.status);
    return {
      id: p.id, organization_id: orgId, created_by: userId, flow: p.flow, from_number: "+15550100000", to_number: p.to,
      status: p.status, idempotency_key: `bench-page-${p.n}`, plan_tier: "global",
      modulations: sql.json({
        flow: p.flow, from: "+15550100000", to: p.to, operatorPhone: p.flow === "bridge" ? "+15550100999" : null,
        record, transcribe: p.transcribed, translate: p.translated ? { languages: [p.spanish ? "en" : "es"] } : null,
        disclosure: record ? "This call is recorded." : null,
        survey: p.survey ? surveyDoc : null, shopperScript: p.script ? scriptDoc : null, configVersion: 1,
      } as never),
      created_at: p.createdAt, updated_at: p.createdAt,
      answered_at: p.status === "completed" ? p.createdAt : null,
      ended_at: ended ? p.createdAt : null,
      duration_seconds: p.status === "completed" ? 30 + (p.n % 300) : null,
    };
  });
  for (const part of chunk(rows, 500)) await sql`insert into public.calls ${sql(part)}`;

  const recordingIds = new Map<number, string>();
  const recordings = plans.filter((p) => p.status === "completed" && (p.n % 10 !== 8 || p.transcribed)).map((p) => ({
    id: recordingIds.set(p.n, randomUUID()).get(p.n)!,
    organization_id: orgId, call_id: p.id, provider_recording_sid: `bench-page-rec-${orgId.slice(-4)}-${p.n}`, status: "stored",
    storage_path: `bench/${p.id}.wav`, sha256: createHash("sha256").update(p.id).digest("hex"), bytes: 480_000,
    duration_seconds: 30 + (p.n % 300), channels: 2, media_type: "audio/wav", created_at: p.createdAt, stored_at: p.createdAt,
  }));
  for (const part of chunk(recordings, 1000)) await sql`insert into public.recordings ${sql(part)}`;

  // Each transcript came from a settled transcription request, as the pipeline leaves it: the
  // transcription reconciler then has nothing to submit while the bench runs.
  const transcriptionIds = new Map<number, string>();
  const transcriptions = plans.filter((p) => p.transcribed).map((p) => ({
    id: transcriptionIds.set(p.n, randomUUID()).get(p.n)!,
    organization_id: orgId, call_id: p.id, recording_id: recordingIds.get(p.n)!, status: "completed", redact: false,
    target_languages: p.translated ? [p.spanish ? "en" : "es"] : [], provider_transcript_id: `bench-${orgId.slice(-4)}-${p.n}`,
    provider_status: "completed", submit_attempts: 1, created_at: p.createdAt, submitted_at: p.createdAt, settled_at: p.createdAt, updated_at: p.createdAt,
  }));
  for (const part of chunk(transcriptions, 1000)) await sql`insert into public.transcriptions ${sql(part)}`;

  const artifacts: Record<string, unknown>[] = [];
  const provenance = (p: Plan) => sql.json({ vendor: "bench", models: ["bench"], producedAt: p.createdAt } as never);
  for (const p of plans.filter((x) => x.transcribed)) {
    const said = lines(p.n);
    const side = p.spanish ? 1 : 0;
    const utterances = said.map((l, i) => ({ speaker: i % 2 ? "B" : "A", channel: null, start: i * 4000, end: i * 4000 + 3500, text: l[side], confidence: 0.95 }));
    const text = utterances.map((u) => u.text).join(" ");
    const language = p.spanish ? "es" : "en";
    const body = {
      transcript_id: `bench-${p.n}`, language_code: language, language_confidence: 0.98, confidence: 0.95, audio_duration: said.length * 4,
      text, utterances, words: [], sentiment_analysis_results: [], entities: [], redacted: false,
    };
    const transcriptId = randomUUID();
    const sha = artifactHash(body);
    const base = { organization_id: orgId, call_id: p.id, provenance: provenance(p), produced_at: p.createdAt, transcription_id: transcriptionIds.get(p.n)! };
    artifacts.push({ ...base, id: transcriptId, kind: "transcript", language, body: sql.json(body as never), sha256: sha,
      inputs: sql.json({ recording: { id: null, sha256: createHash("sha256").update(p.id).digest("hex") } } as never) });
    if (p.translated) {
      const target = p.spanish ? "en" : "es";
      const tBody = { transcript_id: `bench-${p.n}`, language: target, source_language: language, text: said.map((l) => l[1 - side]).join(" ") };
      artifacts.push({ ...base, id: randomUUID(), kind: "translation", language: target, body: sql.json(tBody as never), sha256: artifactHash(tBody),
        inputs: sql.json({ transcript: { id: transcriptId, sha256: sha } } as never) });
    }
    if (p.script) {
      const score = Math.round(rand(p.n, 5) * 100) / 100;
      const sBody = {
        rubric: { id: scriptDoc.id, version: scriptDoc.version }, calledPartySpeaker: "B", score, passedWeight: score * 4, decidedWeight: 4,
        counts: { pass: Math.round(score * 4), fail: 4 - Math.round(score * 4), no_evidence: 0 }, criteria: [],
      };
      artifacts.push({ ...base, transcription_id: null, id: randomUUID(), kind: "score", language: null, body: sql.json(sBody as never), sha256: artifactHash(sBody),
        inputs: sql.json({ transcript: { id: transcriptId, sha256: sha }, rubric: { scriptId: scriptDoc.id, version: scriptDoc.version, sha256: scriptDoc.sha256 } } as never) });
    }
  }
  for (const part of chunk(artifacts, 500)) {
    await sql`insert into public.call_artifacts ${sql(part as never, "id", "organization_id", "call_id", "kind", "transcription_id", "language", "body", "sha256", "provenance", "inputs", "produced_at")}`;
  }
}

/** The second organization of the bench (global plan) and its owner: the same sign-in password as the demo's. */
export const ISOLATION_ORG = { id: "00000000-0000-4000-8000-00000000c001", name: "Bench Isolation" } as const;
export const ISOLATION_OWNER = { id: "00000000-0000-4000-8000-0000000c0001", email: "owner@isolation.test" } as const;

/** Make the bench's second organization and its owner, once. */
export async function ensureIsolationOrg(db: postgres.Sql, passwordHash: () => Promise<string>): Promise<void> {
  const [exists] = await db`select 1 from public.org_members where organization_id = ${ISOLATION_ORG.id} and user_id = ${ISOLATION_OWNER.id}`;
  if (exists) return;
  const hash = await passwordHash();
  await db.begin(async (sql) => {
    await sql`insert into public.organizations (id, name, plan) values (${ISOLATION_ORG.id}, ${ISOLATION_ORG.name}, 'global') on conflict (id) do nothing`;
    await sql`insert into public.voice_configs (organization_id, record, translate_languages) values (${ISOLATION_ORG.id}, true, ${["es"]}) on conflict do nothing`;
    await sql`insert into auth.users (id, email, encrypted_password, email_confirmed_at)
              values (${ISOLATION_OWNER.id}, ${ISOLATION_OWNER.email}, ${hash}, now()) on conflict (id) do nothing`;
    await sql`insert into public.org_members (organization_id, user_id, role) values (${ISOLATION_ORG.id}, ${ISOLATION_OWNER.id}, 'owner') on conflict do nothing`;
  });
}
