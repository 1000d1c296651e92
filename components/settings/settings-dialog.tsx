"use client";

import { lazy, Suspense, useId, useRef, useState, type KeyboardEvent } from "react";
import { MembersPanel } from "@/components/settings/members-panel";
import { useModalDialog } from "@/components/shared/modal-dialog";
import { VoiceConfigSection } from "@/components/settings/voice-config-form";
import type { Role } from "@/lib/rbac/policy";

/**
 * The organization's settings for owners and admins, in one modal dialog (native <dialog>,
 * opened with showModal: focus moves in, the rest of the page is inert, Escape closes). Three
 * tabs: the voice configuration, surveys and shopper scripts (the library panel, loaded when
 * first shown) and members. Loaded only when someone opens it (components/settings/settings-button.tsx).
 */

const SurveyLibraryPanel = lazy(() => import("@/components/settings/survey-library-panel").then((m) => ({ default: m.SurveyLibraryPanel })));

const TABS = [
  { id: "voice", label: "Voice configuration" },
  { id: "library", label: "Surveys and shopper scripts" },
  { id: "members", label: "Members" },
] as const;
type Tab = (typeof TABS)[number]["id"];

export interface SettingsDialogProps {
  orgId: string;
  /** The caller's role in the organization (owner or admin; others never open settings). */
  role: Role;
  /** Called once the dialog has closed (Escape, the Close button); the opener takes focus back. */
  onClose: () => void;
}

export function SettingsDialog({ orgId, role, onClose }: SettingsDialogProps) {
  const id = useId();
  const dialog = useModalDialog(onClose);
  const tabRefs = useRef<Record<Tab, HTMLButtonElement | null>>({ voice: null, library: null, members: null });
  const [tab, setTab] = useState<Tab>("voice");
  // A tab once shown stays mounted (hidden), so switching back keeps unsaved edits.
  const [visited, setVisited] = useState<Set<Tab>>(() => new Set(["voice"]));

  function choose(next: Tab, focus = false) {
    setTab(next);
    setVisited((v) => (v.has(next) ? v : new Set(v).add(next)));
    if (focus) tabRefs.current[next]?.focus();
  }

  // Tabs as the WAI-ARIA pattern has them: arrows move between tabs, Home and End to the ends.
  function onTabKey(event: KeyboardEvent<HTMLButtonElement>) {
    const index = TABS.findIndex((t) => t.id === tab);
    const to = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    choose(TABS[(to + TABS.length) % TABS.length]!.id, true);
  }

  return (
    <dialog ref={dialog} aria-labelledby={`${id}-title`} data-testid="settings-dialog"
      className="m-auto max-h-[90vh] w-[min(56rem,calc(100vw-2rem))] overflow-y-auto rounded-lg border border-slate-300 bg-white p-0 text-ink shadow-xl backdrop:bg-slate-900/50">
      <div className="sticky top-0 z-10 border-b border-slate-200 bg-white px-5 pt-4">
        <div className="flex items-center gap-3">
          <h2 id={`${id}-title`} className="text-lg font-semibold">Settings</h2>
          <button type="button" onClick={() => dialog.current?.close()}
            className="ml-auto rounded border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100">
            Close<span className="sr-only"> settings</span>
          </button>
        </div>
        <div role="tablist" aria-label="Settings sections" className="mt-3 flex flex-wrap gap-1">
          {TABS.map((t) => (
            <button key={t.id} ref={(el) => { tabRefs.current[t.id] = el; }} type="button" role="tab"
              id={`${id}-tab-${t.id}`} aria-controls={`${id}-panel-${t.id}`} aria-selected={tab === t.id}
              tabIndex={tab === t.id ? 0 : -1} onClick={() => choose(t.id)} onKeyDown={onTabKey}
              className={`-mb-px rounded-t border px-3 py-1.5 text-sm font-medium ${tab === t.id
                ? "border-slate-300 border-b-white bg-white text-ink"
                : "border-transparent text-muted hover:text-ink"}`}>
              {t.label}
            </button>
          ))}
        </div>
      </div>
      {TABS.map((t) => (
        <div key={t.id} role="tabpanel" id={`${id}-panel-${t.id}`} aria-labelledby={`${id}-tab-${t.id}`}
          hidden={tab !== t.id} tabIndex={0} className="px-5 py-4">
          {visited.has(t.id) ? (
            t.id === "voice" ? (
              <VoiceConfigSection orgId={orgId} />
            ) : t.id === "library" ? (
              <Suspense fallback={<p role="status" className="text-sm text-muted">Loading…</p>}>
                <SurveyLibraryPanel orgId={orgId} />
              </Suspense>
            ) : (
              <MembersPanel orgId={orgId} role={role} />
            )
          ) : null}
        </div>
      ))}
    </dialog>
  );
}
