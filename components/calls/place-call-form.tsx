"use client";

import { lazy, Suspense, useId, useRef, useState, type FormEvent } from "react";
import { useSWRConfig } from "swr";
import { ApiError, apiFetch, callListKey, errorMessage } from "@/components/shared/api-client";
import { useHydrated } from "@/components/shared/use-hydrated";
import { useUrlState } from "@/components/calls/url-state";
import type { CallSummary, Capability, PlaceCallRequest, VoiceConfigResponse } from "@/lib/calls/contracts";
import { MODULATION_IDS, MODULATIONS, unmetFor, type Modulation, type ModulationSet } from "@/lib/calls/modulations";
import type { Flow } from "@/lib/calls/snapshot";

/**
 * The place-call form (components/calls/place-call-panel.tsx shows it to those who may place calls),
 * in a chunk of its own so the page's first load stays within its JavaScript budget. The server
 * renders it on first paint; until it has hydrated its fieldset is disabled, so nothing typed
 * or ticked before then is lost.
 */

/** Each toggle, in the table's order, with the capability that lets this person change it. */
const TOGGLES = MODULATION_IDS.map((id) => ({
  id,
  label: MODULATIONS[id].label,
  capability: (MODULATIONS[id].run ?? MODULATIONS[id].enable) as keyof VoiceConfigResponse["capabilities"],
}));

export interface ToggleView {
  checked: boolean;
  disabled: boolean;
  /** Shown next to a disabled toggle: why it cannot be used. */
  reason: string | null;
  /** What to send: undefined leaves it to the organization's default (a toggle the role may not change). */
  send: boolean | undefined;
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function defaults(config: VoiceConfigResponse["config"]): Record<Modulation, boolean> {
  return {
    record: config.record,
    transcribe: config.transcribe,
    translate: config.translate,
    survey: config.survey !== null,
    shopperScript: config.shopperScript !== null,
  };
}

function notConfigured(id: Modulation, config: VoiceConfigResponse["config"]): string | null {
  if (id === "translate" && config.translateLanguages.length === 0) return "No translation languages are configured";
  if (id === "survey" && config.survey === null) return "No survey is configured";
  if (id === "shopperScript" && config.shopperScript === null) return "No shopper script is configured";
  return null;
}

function dependencyUnmet(id: Modulation, resolved: Partial<Record<Modulation, ToggleView>>, flow: Flow): string | null {
  const on = Object.fromEntries(MODULATION_IDS.map((m) => [m, resolved[m]?.checked ?? false])) as ModulationSet;
  return unmetFor(id, on, flow);
}

/**
 * What each modulation toggle shows and sends. Plan first (the feature is not there at all),
 * then configuration, then dependencies on other toggles, then the role (the organization's
 * default applies and is shown, but this person cannot change it). Whatever is forced off is
 * sent as `false`: the API applies the organization's default to an omitted flag, and turning
 * something off needs no permission, so an unusable default must not reach the plan snapshot
 * (a survey default on a bridge call, a recording default after a downgrade).
 */
export function toggleViews(
  response: VoiceConfigResponse,
  choices: Record<Modulation, boolean>,
  flow: Flow,
): Record<Modulation, ToggleView> {
  const orgDefaults = defaults(response.config);
  const resolved: Partial<Record<Modulation, ToggleView>> = {};
  for (const { id, capability } of TOGGLES) {
    const cap: Capability = response.capabilities[capability];
    const roleLocked = !cap.allowed && cap.reason === "role";
    const planLocked = !cap.allowed && !roleLocked;
    const missing = notConfigured(id, response.config);
    const unmet = dependencyUnmet(id, resolved, flow);
    let view: ToggleView;
    if (planLocked) {
      view = {
        checked: false,
        disabled: true,
        reason: cap.requiredPlan ? `Needs the ${capitalise(cap.requiredPlan)} plan` : "Not included in this plan",
        send: false,
      };
    } else if (missing) {
      view = { checked: false, disabled: true, reason: missing, send: false };
    } else if (unmet) {
      view = { checked: false, disabled: true, reason: unmet, send: false };
    } else if (roleLocked) {
      view = { checked: orgDefaults[id], disabled: true, reason: "Your role cannot change this", send: undefined };
    } else {
      view = { checked: choices[id], disabled: false, reason: null, send: choices[id] };
    }
    resolved[id] = view;
  }
  return resolved as Record<Modulation, ToggleView>;
}


function normaliseNumber(value: string): string {
  return value.replace(/[\s().-]/g, "");
}

/** crypto.randomUUID exists only in secure contexts; a plain-http LAN address is not one. */
function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Whether a failed submission may have been carried out anyway, so a retry of the same form
 * must reuse its Idempotency-Key (the server then answers with the call it already made instead
 * of dialling twice). A 502 is the server saying the dial failed and the call is recorded as
 * such: a new attempt is a new call.
 */
function outcomeUnknown(err: unknown): boolean {
  return err instanceof ApiError && (err.network || (err.status >= 500 && err.status !== 502));
}


// Choosing a saved target loads the picker only when asked.
const TargetPicker = lazy(() => import("@/components/targets/target-picker").then((m) => ({ default: m.TargetPicker })));

const VersionSelect = lazy(() => import("@/components/calls/survey-parts").then((m) => ({ default: m.VersionSelect })));

export function PlaceCallForm({ orgId, config }: { orgId: string; config: VoiceConfigResponse }) {
  const { mutate } = useSWRConfig();
  const { query, select } = useUrlState();
  const id = useId();
  const [to, setTo] = useState("");
  // The saved target whose number `to` holds, until the number is edited.
  const [target, setTarget] = useState<{ name: string; timeZone: string } | null>(null);
  const [picking, setPicking] = useState(false);
  const [flow, setFlow] = useState<Flow>(config.config.flow);
  const [operatorPhone, setOperatorPhone] = useState(config.config.operatorPhone ?? "");
  const [choices, setChoices] = useState<Record<Modulation, boolean>>(() => defaults(config.config));
  const [versions, setVersions] = useState({ survey: "", shopperScript: "" });
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [placed, setPlaced] = useState<string | null>(null);
  // The key of a submission whose outcome is unknown, with the exact body it was sent with.
  const retry = useRef<{ body: string; key: string } | null>(null);

  const hydrated = useHydrated();
  const views = toggleViews(config, choices, flow);
  const unconfigured = config.carrier === "unconfigured";

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    setError(null);
    setPlaced(null);
    const number = normaliseNumber(to);
    if (!number) {
      setError("Enter the phone number to call, in E.164 form such as +15551234567.");
      return;
    }
    if (flow === "bridge" && !normaliseNumber(operatorPhone)) {
      setError("Enter the operator's phone number for a bridge call.");
      return;
    }
    const request: PlaceCallRequest = { to: number, flow };
    if (flow === "bridge") request.operatorPhone = normaliseNumber(operatorPhone);
    for (const { id: mod } of TOGGLES) {
      const send = views[mod].send;
      if (send !== undefined) request[mod] = send;
    }
    for (const mod of ["survey", "shopperScript"] as const) {
      const [vid, version] = versions[mod].split(":");
      if (views[mod].checked && vid && version) request[`${mod}Version`] = { id: vid, version: Number(version) };
    }
    const body = JSON.stringify(request);
    const key = retry.current?.body === body ? retry.current.key : newIdempotencyKey();
    retry.current = { body, key };

    setPending(true);
    try {
      const { call } = await apiFetch<{ call: CallSummary }>("/api/calls", {
        orgId,
        method: "POST",
        body: request,
        headers: { "idempotency-key": key },
      });
      retry.current = null;
      setTo("");
      setTarget(null);
      // 202: recorded, but the carrier's answer was ambiguous; the call says what happened.
      setPlaced(call.dialError ? `Call to ${call.to}: ${call.dialError.message}` : `Call to ${call.to} placed.`);
      // Whoever places a call watches it: its detail opens beside the list.
      select(call.id);
    } catch (err) {
      if (!outcomeUnknown(err)) retry.current = null;
      setError(errorMessage(err));
    } finally {
      setPending(false);
      // Even a failed dial is a recorded call; either way the list may have changed.
      void mutate(callListKey(orgId, query));
    }
  }

  const numberHint = `${id}-number-hint`;
  return (
    <form onSubmit={onSubmit} noValidate className="mt-4">
      <fieldset disabled={unconfigured || !hydrated} className={`space-y-4 ${unconfigured ? "opacity-60" : ""}`}>
        <div>
          <label htmlFor={`${id}-number`} className="block text-sm font-medium">Phone number</label>
          <input id={`${id}-number`} name="to" type="tel" inputMode="tel" autoComplete="off" required
            value={to} onChange={(e) => { setTo(e.target.value); setTarget(null); }} aria-describedby={numberHint}
            placeholder="+15551234567"
            className="mt-1 w-full rounded border border-slate-300 px-3 py-2 font-mono" />
          <p id={numberHint} className="mt-1 text-xs text-muted">
            {target ? `Saved target ${target.name} (${target.timeZone}).` : "International format (E.164): + and country code, e.g. +15551234567."}
          </p>
          {picking ? (
            <Suspense fallback={<p role="status" className="text-xs text-muted">Loading the targets…</p>}>
              <TargetPicker orgId={orgId} onClose={() => setPicking(false)}
                onPick={(t) => { setTo(t.number); setTarget({ name: t.name, timeZone: t.timeZone }); setPicking(false); }} />
            </Suspense>
          ) : (
            <button type="button" onClick={() => setPicking(true)} className="mt-1 text-sm text-accent underline">Choose a saved target…</button>
          )}
        </div>

        <fieldset>
          <legend className="text-sm font-medium">Flow</legend>
          <div className="mt-1 flex flex-wrap gap-4 text-sm">
            <label className="inline-flex items-center gap-2">
              <input type="radio" name="flow" value="direct" checked={flow === "direct"} onChange={() => setFlow("direct")} />
              Direct
            </label>
            <label className="inline-flex items-center gap-2">
              <input type="radio" name="flow" value="bridge" checked={flow === "bridge"} onChange={() => setFlow("bridge")} />
              Bridge (ring the operator first)
            </label>
          </div>
        </fieldset>

        {flow === "bridge" ? (
          <div>
            <label htmlFor={`${id}-operator`} className="block text-sm font-medium">Operator phone</label>
            <input id={`${id}-operator`} name="operatorPhone" type="tel" inputMode="tel" autoComplete="tel" required
              value={operatorPhone} onChange={(e) => setOperatorPhone(e.target.value)}
              aria-describedby={`${id}-operator-hint`}
              className="mt-1 w-full rounded border border-slate-300 px-3 py-2 font-mono" />
            <p id={`${id}-operator-hint`} className="mt-1 text-xs text-muted">Dialled first; the call is connected once you answer.</p>
          </div>
        ) : null}

        <fieldset>
          <legend className="text-sm font-medium">Modulations</legend>
          <ul className="mt-1 space-y-1.5 text-sm">
            {TOGGLES.map(({ id: mod, label }) => {
              const view = views[mod];
              const inputId = `${id}-${mod}`;
              const reasonId = `${inputId}-reason`;
              return (
                <li key={mod}>
                  <label htmlFor={inputId} className={`inline-flex items-center gap-2 ${view.disabled ? "text-muted" : ""}`}>
                    <input id={inputId} type="checkbox" checked={view.checked} disabled={view.disabled}
                      aria-describedby={view.reason ? reasonId : undefined}
                      onChange={(e) => setChoices((c) => ({ ...c, [mod]: e.target.checked }))} />
                    {label}
                  </label>
                  {view.reason ? <p id={reasonId} className="ml-6 text-xs text-muted">{view.reason}</p> : null}
                  {(mod === "survey" || mod === "shopperScript") && view.checked && config.capabilities["survey.read"].allowed ? (
                    <Suspense fallback={null}>
                      <VersionSelect orgId={orgId} kind={mod} config={config.config} value={versions[mod]}
                        onChange={(v) => setVersions((c) => ({ ...c, [mod]: v }))} />
                    </Suspense>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </fieldset>

        {/* Both regions stay mounted so screen readers announce what appears in them. */}
        <div className="min-h-5 text-sm">
          <p role="alert" aria-live="assertive" className="text-danger">{error}</p>
          <p role="status" className="text-green-800">{pending ? "Placing the call…" : placed}</p>
        </div>

        {/* The name stays "Place call" while pending: disabled says it is busy, the status says why. */}
        <button type="submit" disabled={pending || unconfigured} aria-busy={pending}
          className="w-full rounded bg-accent px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60">
          Place call
        </button>
      </fieldset>
    </form>
  );
}

