"use client";

import useSWR from "swr";
import { ApiError, callDetailKey, errorMessage, swrFetcher } from "@/components/shared/api-client";
import type { CallDetail, VoiceConfigResponse } from "@/lib/calls/contracts";
import type { LibrarySummary } from "@/lib/surveys/contracts";

/**
 * The survey parts of the place-call panel and the call list, loaded only when shown (the page's
 * first load stays within its JavaScript budget).
 */

const LIST = { survey: ["/api/surveys", "surveys", "After-call survey"], shopperScript: ["/api/shopper-scripts", "shopperScripts", "Shopper script"] } as const;

/** Which published version to run: the organization's default unless the operator picks another. */
export function VersionSelect({ orgId, kind, config, value, onChange }: {
  orgId: string;
  kind: "survey" | "shopperScript";
  config: VoiceConfigResponse["config"];
  value: string;
  onChange: (value: string) => void;
}) {
  const { data } = useSWR<Record<string, LibrarySummary[]>>([LIST[kind][0], orgId] as const, swrFetcher);
  const current = config[kind];
  const items = data?.[LIST[kind][1]] ?? [];
  return (
    <select aria-label={`${LIST[kind][2]} version`} value={value} onChange={(e) => onChange(e.target.value)}
      className="ml-6 mt-1 max-w-full rounded border border-slate-300 px-2 py-1 text-xs">
      {current ? <option value="">{current.title} v{current.version} (default)</option> : null}
      {items.filter((i) => !(current && i.id === current.id && i.latestVersion === current.version)).map((i) => (
        <option key={i.id} value={`${i.id}:${i.latestVersion}`}>{i.title} v{i.latestVersion}</option>
      ))}
    </select>
  );
}

/** A call's survey answers: the digit pressed or the words said, per question, live. */
export function SurveyAnswersBody({ orgId, callId }: { orgId: string; callId: string }) {
  const { data: detail, error } = useSWR<{ call: CallDetail }, ApiError>(callDetailKey(orgId, callId), swrFetcher);
  const data = detail?.call;
  const answers = data?.surveyAnswers;
  if (error) return <p role="alert" className="text-xs text-danger">{errorMessage(error)}</p>;
  if (!data) return <p className="text-xs text-muted">Loading…</p>;
  if (!answers) return <p className="text-xs text-muted">Your role or plan does not include survey results.</p>;
  if (answers.length === 0) return <p className="text-xs text-muted">No answers yet.</p>;
  return (
    <ol aria-label="Survey answers" className="mt-1 space-y-0.5">
      {answers.map((a) => (
        <li key={a.questionIndex}>
          {data.snapshot?.survey?.questions[a.questionIndex]?.prompt ?? a.questionId}{" "}
          <strong>{a.answer === "invalid" ? "no valid answer" : a.source === "speech" ? `“${a.answer}”` : a.answer}</strong>
          <span className="text-xs text-muted"> ({a.source === "speech" ? "spoken" : a.source === "none" ? "after two tries" : "keypad"})</span>
        </li>
      ))}
    </ol>
  );
}
