"use client";

import { useId, useState, type ReactNode } from "react";
import useSWR, { useSWRConfig } from "swr";
import { apiFetch, errorMessage, swrFetcher, voiceConfigKey, type ApiKey } from "@/components/shared/api-client";
import type { VoiceConfigResponse } from "@/lib/calls/contracts";
import type {
  LibrarySummary,
  PreviewResponse,
  ShopperScriptListResponse,
  ShopperScriptVersionResponse,
  SpokenItem,
  SurveyListResponse,
  SurveyVersionResponse,
} from "@/lib/surveys/contracts";
import type { LibraryKind, ScriptStep } from "@/lib/surveys/documents";
import type { Criterion } from "@/lib/surveys/scorer";

/**
 * Surveys and shopper scripts, for owners and admins: list, write, edit (which publishes the
 * next version; earlier ones stay, and calls keep the version they ran), preview what the call
 * will say, and choose the organization's default. Loaded only when opened (next/dynamic), so
 * the page's first load does not carry the editors.
 */

export const surveysKey = (orgId: string): ApiKey => ["/api/surveys", orgId];
export const scriptsKey = (orgId: string): ApiKey => ["/api/shopper-scripts", orgId];

const PATH: Record<LibraryKind, string> = { survey: "/api/surveys", shopperScript: "/api/shopper-scripts" };
const NOUN: Record<LibraryKind, string> = { survey: "survey", shopperScript: "shopper script" };

interface QuestionDraft {
  id: string;
  prompt: string;
  keypad: boolean;
  min: number;
  max: number;
  speech: boolean;
}
interface SurveyForm {
  title: string;
  thankYou: string;
  questions: QuestionDraft[];
}
type CriterionDraft = { id: string; label: string; weight: number; kind: Criterion["kind"]; phrases: string; seconds: number; maxSeconds: number; minSeconds: number; sentiment: "POSITIVE" | "NEGATIVE" | "NEUTRAL"; comparison: "at_least" | "at_most"; share: number };
interface ScriptForm {
  title: string;
  personaName: string;
  personaDescription: string;
  voice: "" | "man" | "woman";
  steps: ({ kind: "say"; text: string } | { kind: "pause"; seconds: number })[];
  criteria: CriterionDraft[];
}

type Editing =
  | { kind: "survey"; basedOn: number | null; id: string | null; form: SurveyForm }
  | { kind: "shopperScript"; basedOn: number | null; id: string | null; form: ScriptForm };

const newQuestion = (n: number): QuestionDraft => ({ id: `q${n}`, prompt: "", keypad: true, min: 1, max: 5, speech: false });
const newCriterion = (n: number): CriterionDraft => ({
  id: `c${n}`, label: "", weight: 1, kind: "phrase_present", phrases: "", seconds: 5, maxSeconds: 5, minSeconds: 0,
  sentiment: "POSITIVE", comparison: "at_least", share: 0.5,
});

function surveyBody(form: SurveyForm) {
  return {
    title: form.title,
    thankYou: form.thankYou,
    questions: form.questions.map((q) => ({ id: q.id, prompt: q.prompt, keypad: q.keypad ? { min: q.min, max: q.max } : null, speech: q.speech })),
  };
}

function criterionBody(c: CriterionDraft): Criterion {
  const base = { id: c.id, label: c.label, weight: c.weight };
  switch (c.kind) {
    case "phrase_present":
    case "phrase_absent":
      return { ...base, kind: c.kind, phrases: c.phrases.split(",").map((p) => p.trim()).filter(Boolean) };
    case "answered_within":
      return { ...base, kind: c.kind, seconds: c.seconds };
    case "duration_bounds":
      return { ...base, kind: c.kind, minSeconds: c.minSeconds, maxSeconds: c.maxSeconds };
    case "sentiment_threshold":
      return { ...base, kind: c.kind, sentiment: c.sentiment, comparison: c.comparison, share: c.share };
    case "longest_silence":
      return { ...base, kind: c.kind, maxSeconds: c.maxSeconds };
  }
}

function scriptBody(form: ScriptForm) {
  return {
    title: form.title,
    persona: { name: form.personaName, description: form.personaDescription, ...(form.voice ? { voice: form.voice } : {}) },
    steps: form.steps.map((s): ScriptStep => (s.kind === "say" ? { say: s.text } : { pause: s.seconds })),
    rubric: { criteria: form.criteria.map(criterionBody) },
  };
}

function surveyForm(v: SurveyVersionResponse["survey"]): SurveyForm {
  return {
    title: v.title,
    thankYou: v.thankYou,
    questions: v.questions.map((q) => ({ id: q.id, prompt: q.prompt, keypad: q.keypad !== null, min: q.keypad?.min ?? 1, max: q.keypad?.max ?? 5, speech: q.speech })),
  };
}

function scriptForm(v: ShopperScriptVersionResponse["shopperScript"]): ScriptForm {
  return {
    title: v.title,
    personaName: v.persona.name,
    personaDescription: v.persona.description,
    voice: v.persona.voice ?? "",
    steps: v.steps.map((s) => ("say" in s ? { kind: "say" as const, text: s.say } : { kind: "pause" as const, seconds: s.pause })),
    criteria: v.rubric.criteria.map((c) => {
      const d = newCriterion(0);
      return {
        ...d, id: c.id, label: c.label, weight: c.weight, kind: c.kind,
        ...("phrases" in c ? { phrases: c.phrases.join(", ") } : {}),
        ...("seconds" in c ? { seconds: c.seconds } : {}),
        ...("maxSeconds" in c && c.maxSeconds !== undefined ? { maxSeconds: c.maxSeconds } : {}),
        ...("minSeconds" in c && c.minSeconds !== undefined ? { minSeconds: c.minSeconds } : {}),
        ...(c.kind === "sentiment_threshold" ? { sentiment: c.sentiment, comparison: c.comparison, share: c.share } : {}),
      };
    }),
  };
}

export function SurveyLibraryPanel({ orgId }: { orgId: string }) {
  const { data: config } = useSWR<VoiceConfigResponse>(voiceConfigKey(orgId), swrFetcher);
  const manage = config?.capabilities["survey.manage"];
  const read = config?.capabilities["survey.read"];
  if (!config || !manage || !read) return <p role="status" className="text-sm text-muted">Loading…</p>;
  if (!read.allowed) {
    return (
      <p data-testid="library-withheld" className="text-sm text-muted">
        {read.reason === "plan"
          ? `Surveys and shopper scripts need the ${cap(read.requiredPlan ?? "insights")} plan.`
          : "Your role cannot see surveys and shopper scripts."}
      </p>
    );
  }
  return <Library orgId={orgId} config={config} canManage={manage.allowed} />;
}

function cap(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function Library({ orgId, config, canManage }: { orgId: string; config: VoiceConfigResponse; canManage: boolean }) {
  const { mutate } = useSWRConfig();
  const surveys = useSWR<SurveyListResponse>(surveysKey(orgId), swrFetcher);
  const scripts = useSWR<ShopperScriptListResponse>(scriptsKey(orgId), swrFetcher);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const canSetDefault = canManage && config.capabilities["voice_config.update"].allowed && config.capabilities["survey.enable"].allowed;

  async function open(kind: LibraryKind, item: LibrarySummary) {
    setMessage(null);
    try {
      if (kind === "survey") {
        const res = await apiFetch<SurveyVersionResponse>(`${PATH.survey}/${item.id}`, { orgId });
        setEditing({ kind, id: item.id, basedOn: res.survey.version, form: surveyForm(res.survey) });
      } else {
        const res = await apiFetch<ShopperScriptVersionResponse>(`${PATH.shopperScript}/${item.id}`, { orgId });
        setEditing({ kind, id: item.id, basedOn: res.shopperScript.version, form: scriptForm(res.shopperScript) });
      }
    } catch (err) {
      setMessage({ kind: "error", text: errorMessage(err) });
    }
  }

  async function makeDefault(kind: LibraryKind, item: LibrarySummary) {
    setMessage(null);
    try {
      await apiFetch("/api/voice-config", { orgId, method: "PUT", body: { [kind]: { id: item.id, version: item.latestVersion } } });
      setMessage({ kind: "ok", text: `“${item.title}” version ${item.latestVersion} is now the default ${NOUN[kind]}.` });
      await mutate(voiceConfigKey(orgId));
    } catch (err) {
      setMessage({ kind: "error", text: errorMessage(err) });
    }
  }

  const defaults = { survey: config.config.survey, shopperScript: config.config.shopperScript };
  const list = (kind: LibraryKind, heading: string, items: LibrarySummary[] | undefined, error: unknown) => (
    <div>
      <div className="flex items-center justify-between">
        <h3 className="text-sm font-semibold">{heading}</h3>
        {canManage ? (
          <button type="button" className="rounded border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100"
            onClick={() => {
              setMessage(null);
              setEditing(kind === "survey"
                ? { kind, id: null, basedOn: null, form: { title: "", thankYou: "Thank you for your answers. Goodbye.", questions: [newQuestion(1)] } }
                : { kind, id: null, basedOn: null, form: { title: "", personaName: "", personaDescription: "", voice: "", steps: [{ kind: "say", text: "" }], criteria: [newCriterion(1)] } });
            }}>
            New {NOUN[kind]}
          </button>
        ) : null}
      </div>
      {error ? <p role="alert" className="mt-1 text-sm text-danger">Could not load: {errorMessage(error)}</p> : null}
      {items && items.length === 0 ? <p className="mt-1 text-sm text-muted">None yet.</p> : null}
      <ul className="mt-1 divide-y divide-slate-100 text-sm" aria-label={heading}>
        {items?.map((item) => {
          const isDefault = defaults[kind]?.id === item.id;
          return (
            <li key={item.id} className="flex flex-wrap items-center gap-2 py-1.5">
              <span className="font-medium">{item.title}</span>
              <span className="text-xs text-muted">v{item.latestVersion}{isDefault ? ` · default (v${defaults[kind]!.version})` : ""}</span>
              <span className="font-mono text-xs text-muted" title={`SHA-256 ${item.sha256}`}>{item.sha256.slice(0, 12)}…</span>
              <span className="ml-auto flex gap-2">
                <button type="button" className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100" onClick={() => void open(kind, item)}>
                  {canManage ? "Edit" : "View"}<span className="sr-only"> {item.title}</span>
                </button>
                {canSetDefault && !(isDefault && defaults[kind]!.version === item.latestVersion) ? (
                  <button type="button" className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100" onClick={() => void makeDefault(kind, item)}>
                    Use as default<span className="sr-only"> {NOUN[kind]}: {item.title}</span>
                  </button>
                ) : null}
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );

  return (
    <div className="space-y-4">
      {!canManage ? (
        <p className="text-sm text-muted" data-testid="library-read-only">
          {config.capabilities["survey.manage"].reason === "plan"
            ? `Writing surveys and shopper scripts needs the ${cap(config.capabilities["survey.manage"].requiredPlan ?? "insights")} plan.`
            : "Owners and admins write surveys and shopper scripts; you can read them."}
        </p>
      ) : null}
      <div className="grid gap-4 md:grid-cols-2">
        {list("survey", "Surveys", surveys.data?.surveys, surveys.error)}
        {list("shopperScript", "Shopper scripts", scripts.data?.shopperScripts, scripts.error)}
      </div>
      <div aria-live="polite" className="text-sm">
        {message ? <p role={message.kind === "error" ? "alert" : "status"} className={message.kind === "error" ? "text-danger" : "text-green-800"}>{message.text}</p> : null}
      </div>
      {editing ? (
        <Editor key={`${editing.kind}-${editing.id ?? "new"}-${editing.basedOn ?? 0}`} orgId={orgId} editing={editing} readOnly={!canManage}
          onClose={() => setEditing(null)}
          onPublished={async (text, next) => {
            setMessage({ kind: "ok", text });
            setEditing(next);
            await mutate(editing.kind === "survey" ? surveysKey(orgId) : scriptsKey(orgId));
          }} />
      ) : null}
    </div>
  );
}

function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="block text-xs font-medium">{label}</label>
      {children(id)}
    </div>
  );
}

const input = "mt-0.5 w-full rounded border border-slate-300 px-2 py-1 text-sm";

function Editor({ orgId, editing, readOnly, onClose, onPublished }: {
  orgId: string;
  editing: Editing;
  readOnly: boolean;
  onClose: () => void;
  onPublished: (text: string, next: Editing) => Promise<void>;
}) {
  const [state, setState] = useState(editing);
  const [spoken, setSpoken] = useState<SpokenItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const body = state.kind === "survey" ? surveyBody(state.form) : scriptBody(state.form);
  const path = PATH[state.kind];

  async function preview() {
    setError(null);
    try {
      setSpoken((await apiFetch<PreviewResponse>(`${path}/preview`, { orgId, method: "POST", body })).spoken);
    } catch (err) {
      setSpoken(null);
      setError(errorMessage(err));
    }
  }

  async function publish() {
    setError(null);
    setPending(true);
    try {
      const url = state.id ? `${path}/${state.id}/versions` : path;
      const res = await apiFetch<SurveyVersionResponse | ShopperScriptVersionResponse>(url, {
        orgId, method: "POST", body: state.id ? { basedOn: state.basedOn, draft: body } : body,
      });
      const version = "survey" in res ? res.survey : res.shopperScript;
      setSpoken(res.spoken);
      await onPublished(
        `Published “${version.title}” version ${version.version}${version.version > 1 ? "; earlier versions stay as they were" : ""}.`,
        "survey" in res
          ? { kind: "survey", id: version.id, basedOn: version.version, form: surveyForm(res.survey) }
          : { kind: "shopperScript", id: version.id, basedOn: version.version, form: scriptForm(res.shopperScript) },
      );
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  const heading = `${state.id ? (readOnly ? "" : "Edit ") : "New "}${NOUN[state.kind]}${state.basedOn ? ` (version ${state.basedOn}${readOnly ? "" : `; publishing makes version ${state.basedOn + 1}`})` : ""}`;
  return (
    <section aria-label={heading} className="rounded border border-slate-200 p-3">
      <h3 className="text-sm font-semibold">{cap(heading)}</h3>
      <fieldset disabled={readOnly} className="mt-2 space-y-3">
        {state.kind === "survey" ? (
          <SurveyFields form={state.form} set={(form) => setState({ ...state, form })} />
        ) : (
          <ScriptFields form={state.form} set={(form) => setState({ ...state, form })} />
        )}
      </fieldset>
      <div className="mt-3 flex flex-wrap gap-2">
        <button type="button" onClick={() => void preview()} disabled={readOnly}
          className="rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 disabled:opacity-60">Preview spoken text</button>
        {readOnly ? null : (
          <button type="button" onClick={() => void publish()} disabled={pending} aria-busy={pending}
            className="rounded bg-accent px-3 py-1 text-sm font-medium text-white hover:bg-blue-800 disabled:opacity-60">
            {state.id ? `Publish version ${(state.basedOn ?? 0) + 1}` : `Publish ${NOUN[state.kind]}`}
          </button>
        )}
        <button type="button" onClick={onClose} className="ml-auto rounded px-3 py-1 text-sm hover:bg-slate-100">Close</button>
      </div>
      <p role="alert" className="mt-2 text-sm text-danger">{error}</p>
      {spoken ? (
        <ol aria-label="Spoken text" className="mt-2 list-decimal space-y-0.5 pl-6 text-sm">
          {spoken.map((item, i) => (
            <li key={i}>
              {item.kind === "pause" ? <em>pause {item.seconds} s</em>
                : item.kind === "ask" ? <>“{item.text}” <span className="text-xs text-muted">(answer by {item.input.map((m) => (m === "dtmf" ? "keypad" : "speech")).join(" or ")})</span></>
                  : <>“{item.text}”{item.voice ? <span className="text-xs text-muted"> ({item.voice})</span> : null}</>}
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}

function SurveyFields({ form, set }: { form: SurveyForm; set: (form: SurveyForm) => void }) {
  const setQ = (i: number, q: Partial<QuestionDraft>) => set({ ...form, questions: form.questions.map((x, j) => (j === i ? { ...x, ...q } : x)) });
  return (
    <>
      <Field label="Survey title">{(id) => <input id={id} className={input} value={form.title} onChange={(e) => set({ ...form, title: e.target.value })} />}</Field>
      <ol className="space-y-2">
        {form.questions.map((q, i) => (
          <li key={i} className="rounded border border-slate-100 p-2">
            <Field label={`Question ${i + 1}`}>{(id) => <input id={id} className={input} value={q.prompt} onChange={(e) => setQ(i, { prompt: e.target.value })} />}</Field>
            <div className="mt-1 flex flex-wrap items-center gap-3 text-xs">
              <label className="inline-flex items-center gap-1">
                <input type="checkbox" checked={q.keypad} onChange={(e) => setQ(i, { keypad: e.target.checked })} /> Keypad answer
              </label>
              {q.keypad ? (
                <>
                  <label className="inline-flex items-center gap-1">from <input type="number" min={0} max={9} value={q.min} className="w-12 rounded border border-slate-300 px-1"
                    aria-label={`Question ${i + 1} lowest digit`} onChange={(e) => setQ(i, { min: Number(e.target.value) })} /></label>
                  <label className="inline-flex items-center gap-1">to <input type="number" min={0} max={9} value={q.max} className="w-12 rounded border border-slate-300 px-1"
                    aria-label={`Question ${i + 1} highest digit`} onChange={(e) => setQ(i, { max: Number(e.target.value) })} /></label>
                </>
              ) : null}
              <label className="inline-flex items-center gap-1">
                <input type="checkbox" checked={q.speech} onChange={(e) => setQ(i, { speech: e.target.checked })} /> Spoken answer
              </label>
              {form.questions.length > 1 ? (
                <button type="button" className="ml-auto text-danger" onClick={() => set({ ...form, questions: form.questions.filter((_, j) => j !== i) })}>
                  Remove question {i + 1}
                </button>
              ) : null}
            </div>
          </li>
        ))}
      </ol>
      <button type="button" className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100"
        onClick={() => {
          const used = new Set(form.questions.map((q) => q.id));
          let n = form.questions.length + 1;
          while (used.has(`q${n}`)) n += 1;
          set({ ...form, questions: [...form.questions, newQuestion(n)] });
        }}>Add question</button>
      <Field label="Thank-you message">{(id) => <input id={id} className={input} value={form.thankYou} onChange={(e) => set({ ...form, thankYou: e.target.value })} />}</Field>
    </>
  );
}

const KINDS: Record<Criterion["kind"], string> = {
  phrase_present: "Says a phrase",
  phrase_absent: "Never says a phrase",
  answered_within: "Answers within (s)",
  duration_bounds: "Call duration (s)",
  sentiment_threshold: "Sentiment share",
  longest_silence: "Longest silence at most (s)",
};

function ScriptFields({ form, set }: { form: ScriptForm; set: (form: ScriptForm) => void }) {
  const setStep = (i: number, step: ScriptForm["steps"][number]) => set({ ...form, steps: form.steps.map((x, j) => (j === i ? step : x)) });
  const setC = (i: number, c: Partial<CriterionDraft>) => set({ ...form, criteria: form.criteria.map((x, j) => (j === i ? { ...x, ...c } : x)) });
  const num = (label: string, value: number, onChange: (n: number) => void, step = 1) => (
    <label className="inline-flex items-center gap-1">{label}
      <input type="number" min={0} step={step} value={value} className="w-16 rounded border border-slate-300 px-1" onChange={(e) => onChange(Number(e.target.value))} />
    </label>
  );
  return (
    <>
      <Field label="Script title">{(id) => <input id={id} className={input} value={form.title} onChange={(e) => set({ ...form, title: e.target.value })} />}</Field>
      <div className="grid gap-2 sm:grid-cols-3">
        <Field label="Persona name">{(id) => <input id={id} className={input} value={form.personaName} onChange={(e) => set({ ...form, personaName: e.target.value })} />}</Field>
        <Field label="Persona description">{(id) => <input id={id} className={input} value={form.personaDescription} onChange={(e) => set({ ...form, personaDescription: e.target.value })} />}</Field>
        <Field label="Voice">{(id) => (
          <select id={id} className={input} value={form.voice} onChange={(e) => set({ ...form, voice: e.target.value as ScriptForm["voice"] })}>
            <option value="">Carrier default</option><option value="woman">Woman</option><option value="man">Man</option>
          </select>
        )}</Field>
      </div>
      <fieldset>
        <legend className="text-xs font-medium">Lines and pauses, in order</legend>
        <ol className="mt-1 space-y-1">
          {form.steps.map((s, i) => (
            <li key={i} className="flex items-center gap-2 text-sm">
              {s.kind === "say" ? (
                <input aria-label={`Line ${i + 1}`} className={input} value={s.text} onChange={(e) => setStep(i, { kind: "say", text: e.target.value })} />
              ) : (
                <label className="inline-flex items-center gap-1 text-xs">Pause (s)
                  <input type="number" min={1} max={30} aria-label={`Pause ${i + 1} seconds`} value={s.seconds} className="w-16 rounded border border-slate-300 px-1"
                    onChange={(e) => setStep(i, { kind: "pause", seconds: Number(e.target.value) })} />
                </label>
              )}
              {form.steps.length > 1 ? (
                <button type="button" className="text-xs text-danger" onClick={() => set({ ...form, steps: form.steps.filter((_, j) => j !== i) })}>Remove step {i + 1}</button>
              ) : null}
            </li>
          ))}
        </ol>
        <div className="mt-1 flex gap-2">
          <button type="button" className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100" onClick={() => set({ ...form, steps: [...form.steps, { kind: "say", text: "" }] })}>Add line</button>
          <button type="button" className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100" onClick={() => set({ ...form, steps: [...form.steps, { kind: "pause", seconds: 2 }] })}>Add pause</button>
        </div>
      </fieldset>
      <fieldset>
        <legend className="text-xs font-medium">Rubric: weighted criteria on the called party</legend>
        <ol className="mt-1 space-y-2">
          {form.criteria.map((c, i) => (
            <li key={i} className="flex flex-wrap items-center gap-2 rounded border border-slate-100 p-2 text-xs">
              <input aria-label={`Criterion ${i + 1} label`} placeholder="What it checks" className="w-48 rounded border border-slate-300 px-1 py-0.5"
                value={c.label} onChange={(e) => setC(i, { label: e.target.value })} />
              <select aria-label={`Criterion ${i + 1} kind`} className="rounded border border-slate-300 px-1 py-0.5" value={c.kind}
                onChange={(e) => setC(i, { kind: e.target.value as Criterion["kind"] })}>
                {Object.entries(KINDS).map(([k, label]) => <option key={k} value={k}>{label}</option>)}
              </select>
              {c.kind === "phrase_present" || c.kind === "phrase_absent" ? (
                <input aria-label={`Criterion ${i + 1} phrases`} placeholder="phrases, comma separated" className="w-56 rounded border border-slate-300 px-1 py-0.5"
                  value={c.phrases} onChange={(e) => setC(i, { phrases: e.target.value })} />
              ) : null}
              {c.kind === "answered_within" ? num("within", c.seconds, (n) => setC(i, { seconds: n })) : null}
              {c.kind === "duration_bounds" ? <>{num("min", c.minSeconds, (n) => setC(i, { minSeconds: n }))}{num("max", c.maxSeconds, (n) => setC(i, { maxSeconds: n }))}</> : null}
              {c.kind === "longest_silence" ? num("max", c.maxSeconds, (n) => setC(i, { maxSeconds: n })) : null}
              {c.kind === "sentiment_threshold" ? (
                <>
                  <select aria-label={`Criterion ${i + 1} sentiment`} value={c.sentiment} onChange={(e) => setC(i, { sentiment: e.target.value as CriterionDraft["sentiment"] })}>
                    <option>POSITIVE</option><option>NEUTRAL</option><option>NEGATIVE</option>
                  </select>
                  <select aria-label={`Criterion ${i + 1} comparison`} value={c.comparison} onChange={(e) => setC(i, { comparison: e.target.value as CriterionDraft["comparison"] })}>
                    <option value="at_least">at least</option><option value="at_most">at most</option>
                  </select>
                  {num("share", c.share, (n) => setC(i, { share: n }), 0.05)}
                </>
              ) : null}
              {num("weight", c.weight, (n) => setC(i, { weight: n }), 0.5)}
              {form.criteria.length > 1 ? (
                <button type="button" className="text-danger" onClick={() => set({ ...form, criteria: form.criteria.filter((_, j) => j !== i) })}>Remove criterion {i + 1}</button>
              ) : null}
            </li>
          ))}
        </ol>
        <button type="button" className="mt-1 rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100"
          onClick={() => {
            const used = new Set(form.criteria.map((c) => c.id));
            let n = form.criteria.length + 1;
            while (used.has(`c${n}`)) n += 1;
            set({ ...form, criteria: [...form.criteria, newCriterion(n)] });
          }}>Add criterion</button>
      </fieldset>
    </>
  );
}
