"use client";

import { useId, useState, type FormEvent, type ReactNode } from "react";
import useSWR, { useSWRConfig } from "swr";
import { ApiError, apiFetch, errorMessage, swrFetcher, voiceConfigKey, type ApiKey } from "@/components/shared/api-client";
import type { Capability, VoiceConfigResponse, VoiceConfigUpdate } from "@/lib/calls/contracts";
import type { Flow } from "@/lib/calls/snapshot";
import type { LibrarySummary, ShopperScriptListResponse, SurveyListResponse } from "@/lib/surveys/contracts";

/**
 * The organization's voice configuration, for owners and admins (the settings dialog's first
 * tab): flow, caller id, operator phone, disclosure, default modulations, the default survey and
 * shopper script (from the library), redaction. Every control the plan or the role withholds is
 * disabled and says which plan or role unlocks it (from the capabilities in the response). A
 * change names the version it was made from, so a save over someone else's is refused (409)
 * rather than silently undoing theirs. Field errors appear next to their field.
 */

type Field = "flow" | "callerId" | "operatorPhone" | "disclosureText" | "modulations" | "translateLanguages" | "survey" | "shopperScript" | "redactPii" | "form";

interface Draft {
  flow: Flow;
  callerId: string;
  operatorPhone: string;
  disclosureText: string;
  record: boolean;
  transcribe: boolean;
  translate: boolean;
  translateLanguages: string;
  redactPii: boolean;
  /** `id:version`, or "" for none. */
  survey: string;
  shopperScript: string;
}

function draftOf(c: VoiceConfigResponse["config"]): Draft {
  return {
    flow: c.flow,
    callerId: c.callerId ?? "",
    operatorPhone: c.operatorPhone ?? "",
    disclosureText: c.disclosureText,
    record: c.record,
    transcribe: c.transcribe,
    translate: c.translate,
    translateLanguages: c.translateLanguages.join(", "),
    redactPii: c.redactPii,
    survey: c.survey ? `${c.survey.id}:${c.survey.version}` : "",
    shopperScript: c.shopperScript ? `${c.shopperScript.id}:${c.shopperScript.version}` : "",
  };
}

const capitalise = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
const plural = (roles: string[]) => roles.map((r) => `${r}s`).join(" and ");

/** Why a capability is withheld, naming the plan or the roles that unlock it; null when allowed. */
export function withheld(cap: Capability | undefined): string | null {
  if (!cap || cap.allowed) return null;
  if (cap.reason === "plan") return cap.requiredPlan ? `Needs the ${capitalise(cap.requiredPlan)} plan or higher` : "Not included in this plan";
  return `Only ${plural(cap.roles)} can change this`;
}

function languagesOf(text: string): string[] {
  return [...new Set(text.split(/[,\s]+/).map((l) => l.trim()).filter(Boolean))];
}

function refOf(value: string): { id: string; version: number } | null {
  const [id, version] = value.split(":");
  return id && version ? { id, version: Number(version) } : null;
}

/** What changed, as the PUT body (only changed fields, plus the version it was based on). */
function changes(from: Draft, to: Draft, basedOn: number): VoiceConfigUpdate {
  const update: VoiceConfigUpdate = { basedOn };
  if (to.flow !== from.flow) update.flow = to.flow;
  if (to.callerId.trim() !== from.callerId) update.callerId = to.callerId.trim() || null;
  if (to.operatorPhone.trim() !== from.operatorPhone) update.operatorPhone = to.operatorPhone.trim() || null;
  if (to.disclosureText !== from.disclosureText) update.disclosureText = to.disclosureText;
  for (const k of ["record", "transcribe", "translate", "redactPii"] as const) if (to[k] !== from[k]) update[k] = to[k];
  if (languagesOf(to.translateLanguages).join(",") !== languagesOf(from.translateLanguages).join(",")) update.translateLanguages = languagesOf(to.translateLanguages);
  if (to.survey !== from.survey) update.survey = refOf(to.survey);
  if (to.shopperScript !== from.shopperScript) update.shopperScript = refOf(to.shopperScript);
  return update;
}

const FIELD_OF: Record<string, Field> = {
  flow: "flow", callerId: "callerId", operatorPhone: "operatorPhone", disclosureText: "disclosureText",
  record: "modulations", transcribe: "modulations", translate: "modulations", translateLanguages: "translateLanguages",
  survey: "survey", shopperScript: "shopperScript", redactPii: "redactPii",
};

/** The field a refusal concerns, from the 400's issues or the 422/403 code. */
function fieldErrors(err: unknown): Partial<Record<Field, string>> {
  if (!(err instanceof ApiError)) return { form: errorMessage(err) };
  const issues = err.details.issues as { path: string; message: string }[] | undefined;
  if (err.status === 400 && issues?.length) {
    const out: Partial<Record<Field, string>> = {};
    for (const i of issues) {
      const field = FIELD_OF[i.path.split(".")[0] ?? ""] ?? "form";
      out[field] ??= i.message;
    }
    return out;
  }
  if (err.code === "invalid_modulations") return /language/i.test(err.message) ? { translateLanguages: err.message } : { modulations: err.message };
  return { form: err.message };
}

export function VoiceConfigSection({ orgId }: { orgId: string }) {
  const { data, error, isLoading, mutate } = useSWR<VoiceConfigResponse, ApiError>(voiceConfigKey(orgId), swrFetcher);
  // A new form (fresh from the server) after a save or a reload; edits in progress otherwise stay.
  const [generation, setGeneration] = useState(0);
  // Outside the form, which is replaced after a save: the live region must outlive it to be heard.
  const [note, setNote] = useState<string | null>(null);
  if (data) {
    return (
      <div>
        <VoiceConfigForm key={`${generation}`} orgId={orgId} config={data}
          onEdit={() => setNote(null)}
          onSaved={async (next) => {
            await mutate(next, { revalidate: false });
            setGeneration((g) => g + 1);
            setNote(`Saved. The voice configuration is now version ${next.config.version}.`);
          }}
          onReload={async () => { await mutate(); setGeneration((g) => g + 1); setNote("Reloaded the latest configuration."); }} />
        <p role="status" data-testid="voice-config-saved" className="mt-2 min-h-5 text-sm font-medium text-green-800">{note}</p>
      </div>
    );
  }
  if (error) {
    return (
      <div role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-sm text-danger">
        <p>Could not load the voice configuration: {errorMessage(error)}</p>
        <button type="button" onClick={() => void mutate()} className="mt-2 rounded border border-red-300 bg-white px-3 py-1 font-medium hover:bg-red-100">Retry</button>
      </div>
    );
  }
  return isLoading ? <p role="status" className="text-sm text-muted">Loading the voice configuration…</p> : null;
}

function Hint({ id, children }: { id: string; children: ReactNode }) {
  return <p id={id} className="mt-1 text-xs text-muted">{children}</p>;
}

function FieldError({ id, text }: { id: string; text: string | undefined }) {
  return text ? <p id={id} className="mt-1 text-xs font-medium text-danger">{text}</p> : null;
}

function VoiceConfigForm({ orgId, config, onEdit, onSaved, onReload }: {
  orgId: string;
  config: VoiceConfigResponse;
  onEdit: () => void;
  onSaved: (next: VoiceConfigResponse) => Promise<void>;
  onReload: () => Promise<void>;
}) {
  const id = useId();
  const { mutate } = useSWRConfig();
  const caps = config.capabilities;
  const initial = draftOf(config.config);
  const [draft, setDraft] = useState<Draft>(initial);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [stale, setStale] = useState(false);
  const [pending, setPending] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  const canEdit = caps["voice_config.update"].allowed;
  const recording = withheld(caps["recording.enable"]);
  const translation = withheld(caps["translation.enable"]);
  const surveys = withheld(caps["survey.enable"]);
  const readLibrary = caps["survey.read"].allowed;
  const surveyList = useSWR<SurveyListResponse>(readLibrary ? (["/api/surveys", orgId] as ApiKey) : null, swrFetcher);
  const scriptList = useSWR<ShopperScriptListResponse>(readLibrary ? (["/api/shopper-scripts", orgId] as ApiKey) : null, swrFetcher);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setSaved(null);
    onEdit();
  };

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    setErrors({});
    setStale(false);
    setSaved(null);
    const body = changes(initial, draft, config.config.version);
    if (Object.keys(body).length === 1) {
      setSaved("Nothing to save: no changes.");
      return;
    }
    setPending(true);
    try {
      const next = await apiFetch<VoiceConfigResponse>("/api/voice-config", { orgId, method: "PUT", body });
      // The page's place-call panel reads the same key; the dialog shows the saved state.
      await onSaved(next);
      void mutate(voiceConfigKey(orgId));
    } catch (err) {
      if (err instanceof ApiError && err.code === "stale_version") setStale(true);
      setErrors(fieldErrors(err));
    } finally {
      setPending(false);
    }
  }

  const ids = (name: string) => ({ input: `${id}-${name}`, hint: `${id}-${name}-hint`, error: `${id}-${name}-error` });
  const described = (name: string, ...extra: (string | false | null | undefined)[]) =>
    [...extra, errors[name as Field] ? ids(name).error : null].filter(Boolean).join(" ") || undefined;

  const libraryOptions = (items: LibrarySummary[] | undefined, current: { id: string; title: string; version: number } | null) => {
    const options = (items ?? []).map((i) => ({ value: `${i.id}:${i.latestVersion}`, label: `${i.title} v${i.latestVersion}` }));
    if (current && !options.some((o) => o.value === `${current.id}:${current.version}`)) {
      options.unshift({ value: `${current.id}:${current.version}`, label: `${current.title} v${current.version} (current default)` });
    }
    return options;
  };

  const checkbox = (key: "record" | "transcribe" | "translate" | "redactPii", label: string, reason: string | null, hint?: string) => {
    const f = ids(key);
    return (
      <li>
        <label htmlFor={f.input} className={`inline-flex items-center gap-2 ${reason ? "text-muted" : ""}`}>
          <input id={f.input} type="checkbox" checked={draft[key]} disabled={!canEdit || Boolean(reason)}
            aria-describedby={reason || hint ? f.hint : undefined}
            onChange={(e) => set(key, e.target.checked)} />
          {label}
        </label>
        {reason || hint ? <p id={f.hint} className="ml-6 text-xs text-muted">{reason ?? hint}</p> : null}
      </li>
    );
  };

  const f = { flow: ids("flow"), callerId: ids("callerId"), operatorPhone: ids("operatorPhone"), disclosureText: ids("disclosureText"), languages: ids("translateLanguages"), survey: ids("survey"), shopperScript: ids("shopperScript"), modulations: ids("modulations") };

  return (
    <form onSubmit={onSubmit} noValidate aria-label="Voice configuration" className="space-y-5">
      <fieldset disabled={!canEdit} className="space-y-5">
        <fieldset aria-describedby={described("flow")}>
          <legend className="text-sm font-medium">Default flow</legend>
          <div className="mt-1 flex flex-wrap gap-4 text-sm">
            <label className="inline-flex items-center gap-2">
              <input type="radio" name={f.flow.input} value="direct" checked={draft.flow === "direct"} onChange={() => set("flow", "direct")} />
              Direct
            </label>
            <label className="inline-flex items-center gap-2">
              <input type="radio" name={f.flow.input} value="bridge" checked={draft.flow === "bridge"} onChange={() => set("flow", "bridge")} />
              Bridge (ring the operator first)
            </label>
          </div>
          <FieldError id={f.flow.error} text={errors.flow} />
        </fieldset>

        <div className="grid gap-4 sm:grid-cols-2">
          <div>
            <label htmlFor={f.callerId.input} className="block text-sm font-medium">Caller ID</label>
            <input id={f.callerId.input} type="tel" inputMode="tel" autoComplete="off" value={draft.callerId}
              onChange={(e) => set("callerId", e.target.value)} placeholder="+15551234567"
              aria-invalid={Boolean(errors.callerId)} aria-describedby={described("callerId", f.callerId.hint)}
              className="mt-1 w-full rounded border border-slate-400 px-3 py-1.5 font-mono" />
            <Hint id={f.callerId.hint}>The number calls come from, E.164. Empty: the carrier&apos;s default.</Hint>
            <FieldError id={f.callerId.error} text={errors.callerId} />
          </div>
          <div>
            <label htmlFor={f.operatorPhone.input} className="block text-sm font-medium">Operator phone</label>
            <input id={f.operatorPhone.input} type="tel" inputMode="tel" autoComplete="off" value={draft.operatorPhone}
              onChange={(e) => set("operatorPhone", e.target.value)} placeholder="+15551234567"
              aria-invalid={Boolean(errors.operatorPhone)} aria-describedby={described("operatorPhone", f.operatorPhone.hint)}
              className="mt-1 w-full rounded border border-slate-400 px-3 py-1.5 font-mono" />
            <Hint id={f.operatorPhone.hint}>Rung first on bridge calls, E.164.</Hint>
            <FieldError id={f.operatorPhone.error} text={errors.operatorPhone} />
          </div>
        </div>

        <div>
          <label htmlFor={f.disclosureText.input} className="block text-sm font-medium">Recording disclosure</label>
          <textarea id={f.disclosureText.input} rows={2} maxLength={500} value={draft.disclosureText}
            onChange={(e) => set("disclosureText", e.target.value)}
            aria-invalid={Boolean(errors.disclosureText)} aria-describedby={described("disclosureText", f.disclosureText.hint)}
            className="mt-1 w-full rounded border border-slate-400 px-3 py-1.5" />
          <Hint id={f.disclosureText.hint}>Played to every party whenever a call is recorded (up to 500 characters).</Hint>
          <FieldError id={f.disclosureText.error} text={errors.disclosureText} />
        </div>

        <fieldset aria-describedby={described("modulations")}>
          <legend className="text-sm font-medium">Default modulations</legend>
          <ul className="mt-1 space-y-1.5 text-sm">
            {checkbox("record", "Record", recording)}
            {checkbox("transcribe", "Transcribe", recording, "Needs recording")}
            {checkbox("translate", "Translate", translation, "Needs transcription")}
            {checkbox("redactPii", "Redact personal information", null, "Operators and analysts get redacted transcripts and audio; owners and admins may open the original")}
          </ul>
          <FieldError id={f.modulations.error} text={errors.modulations} />
        </fieldset>

        <div>
          <label htmlFor={f.languages.input} className={`block text-sm font-medium ${translation ? "text-muted" : ""}`}>Translation languages</label>
          <input id={f.languages.input} type="text" autoComplete="off" value={draft.translateLanguages} disabled={Boolean(translation)}
            onChange={(e) => set("translateLanguages", e.target.value)} placeholder="es, pt-BR"
            aria-invalid={Boolean(errors.translateLanguages)} aria-describedby={described("translateLanguages", f.languages.hint)}
            className="mt-1 w-full rounded border border-slate-400 px-3 py-1.5 disabled:bg-slate-50" />
          <Hint id={f.languages.hint}>{translation ?? "Language codes, separated by commas (es, fr, pt-BR)."}</Hint>
          <FieldError id={f.languages.error} text={errors.translateLanguages} />
        </div>

        <div className="grid gap-4 sm:grid-cols-2">
          {(["survey", "shopperScript"] as const).map((kind) => {
            const g = f[kind];
            const label = kind === "survey" ? "Default after-call survey" : "Default shopper script";
            const items = kind === "survey" ? surveyList.data?.surveys : scriptList.data?.shopperScripts;
            return (
              <div key={kind}>
                <label htmlFor={g.input} className={`block text-sm font-medium ${surveys ? "text-muted" : ""}`}>{label}</label>
                <select id={g.input} value={draft[kind]} disabled={Boolean(surveys)} onChange={(e) => set(kind, e.target.value)}
                  aria-invalid={Boolean(errors[kind])} aria-describedby={described(kind, g.hint)}
                  className="mt-1 w-full rounded border border-slate-400 bg-white px-2 py-1.5 disabled:bg-slate-50">
                  <option value="">None</option>
                  {libraryOptions(items, config.config[kind]).map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
                </select>
                <Hint id={g.hint}>{surveys ?? "Published versions from Surveys and shopper scripts; a call keeps the version it ran."}</Hint>
                <FieldError id={g.error} text={errors[kind]} />
              </div>
            );
          })}
        </div>
      </fieldset>

      {/* Both regions stay mounted so screen readers announce what appears in them. */}
      <div className="min-h-5 text-sm">
        <div role="alert" className="text-danger">
          {errors.form ? <p>{errors.form}</p> : null}
          {stale ? (
            <button type="button" onClick={() => void onReload()}
              className="mt-1 rounded border border-red-300 bg-white px-3 py-1 font-medium text-danger hover:bg-red-50">
              Reload the configuration
            </button>
          ) : null}
        </div>
        <p role="status" className="text-green-800">{pending ? "Saving…" : saved}</p>
      </div>
      {canEdit ? (
        <div className="flex items-center gap-3">
          <button type="submit" disabled={pending} aria-busy={pending}
            className="rounded bg-accent px-4 py-1.5 font-medium text-white hover:bg-blue-800 disabled:opacity-60">
            Save configuration
          </button>
          <span className="text-xs text-muted">Version {config.config.version}</span>
        </div>
      ) : (
        <p className="text-sm text-muted">{withheld(caps["voice_config.update"])}</p>
      )}
    </form>
  );
}
