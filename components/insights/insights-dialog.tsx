"use client";

import { useId, useState } from "react";
import useSWR from "swr";
import { errorMessage, swrFetcher } from "@/components/shared/api-client";
import { useModalDialog } from "@/components/shared/modal-dialog";
import { calls, CountLink, DataTable, ScoreLine, StackedBars } from "@/components/insights/charts";
import type { ScorePoint, ScriptInsights, SurveyInsights } from "@/lib/insights/contracts";
import type { LibrarySummary } from "@/lib/surveys/contracts";

/**
 * Insights over a shopper script or a survey (docs/adr/0036), in one modal dialog (native
 * <dialog>: focus moves in, Escape closes). Choose a script or survey, a range, and optionally
 * one campaign's calls (for those whose plan has campaigns); each chart's
 * bars and points link to the call list of exactly their calls, and each chart's table (behind
 * "Show the table") holds the same numbers and links. Loaded only when someone opens it
 * (components/insights/insights-button.tsx), with the charting library.
 */

const OUTCOME = {
  pass: { word: "pass", color: "#15803d" },
  fail: { word: "fail", color: "#b91c1c" },
  no_evidence: { word: "no evidence", color: "#64748b" },
} as const;
const ACCENT = "#1d4ed8";
const STAGE = { dialled: "Dialled", answered: "Answered", recorded: "Recorded", transcribed: "Transcribed", scored: "Scored" } as const;

const input = "mt-1 rounded border border-slate-400 bg-white px-2 py-1 text-sm";

export function InsightsDialog({ orgId, onClose }: { orgId: string; onClose: () => void }) {
  const id = useId();
  const dialog = useModalDialog(onClose);

  const scripts = useSWR<{ shopperScripts: LibrarySummary[] }>(["/api/shopper-scripts", orgId] as const, swrFetcher);
  const surveys = useSWR<{ surveys: LibrarySummary[] }>(["/api/surveys", orgId] as const, swrFetcher);
  const [chosen, setChosen] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [bucket, setBucket] = useState<"week" | "day">("week");
  const [campaign, setCampaign] = useState("");
  // Campaigns are offered to those who may see them; for the others (403) the choice is absent.
  const campaigns = useSWR<{ campaigns: { id: string; name: string }[] }>(["/api/campaigns?limit=100", orgId] as const, swrFetcher, { shouldRetryOnError: false });
  const first = scripts.data?.shopperScripts[0] ? `script:${scripts.data.shopperScripts[0].id}` : surveys.data?.surveys[0] ? `survey:${surveys.data.surveys[0].id}` : "";
  const subject = chosen || first;
  const [kind, subjectId] = subject.split(":") as ["script" | "survey", string];
  const query = new URLSearchParams({ ...(from ? { from } : {}), ...(to ? { to } : {}), bucket, ...(campaign ? { campaign } : {}) }).toString();
  const path = subject ? `/api/insights/${kind === "script" ? "scripts" : "surveys"}/${subjectId}?${query}` : null;
  const { data, error, isLoading } = useSWR<ScriptInsights | SurveyInsights>(path ? ([path, orgId] as const) : null, swrFetcher);

  return (
    <dialog ref={dialog} aria-labelledby={`${id}-title`} data-testid="insights-dialog"
      className="m-auto max-h-[90vh] w-[min(56rem,calc(100vw-2rem))] overflow-y-auto rounded-lg border border-slate-300 bg-white p-0 text-ink shadow-xl backdrop:bg-slate-900/50">
      <div className="sticky top-0 z-10 border-b border-slate-200 bg-white px-5 py-4">
        <div className="flex items-center gap-3">
          <h2 id={`${id}-title`} className="text-lg font-semibold">Insights</h2>
          <button type="button" onClick={() => dialog.current?.close()}
            className="ml-auto rounded border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100">
            Close<span className="sr-only"> insights</span>
          </button>
        </div>
        <div className="mt-3 flex flex-wrap items-end gap-3 text-sm">
          <div>
            <label htmlFor={`${id}-subject`} className="block">Script or survey</label>
            <select id={`${id}-subject`} value={subject} onChange={(e) => setChosen(e.target.value)} className={input}>
              {!subject ? <option value="">{scripts.isLoading || surveys.isLoading ? "Loading…" : "None published"}</option> : null}
              <optgroup label="Shopper scripts">
                {scripts.data?.shopperScripts.map((s) => <option key={s.id} value={`script:${s.id}`}>{s.title}</option>)}
              </optgroup>
              <optgroup label="Surveys">
                {surveys.data?.surveys.map((s) => <option key={s.id} value={`survey:${s.id}`}>{s.title}</option>)}
              </optgroup>
            </select>
          </div>
          {campaigns.data && campaigns.data.campaigns.length > 0 ? (
            <div>
              <label htmlFor={`${id}-campaign`} className="block">Calls</label>
              <select id={`${id}-campaign`} value={campaign} onChange={(e) => setCampaign(e.target.value)} className={input}>
                <option value="">Every call</option>
                {campaigns.data.campaigns.map((c) => <option key={c.id} value={c.id}>Campaign: {c.name}</option>)}
              </select>
            </div>
          ) : null}
          <div>
            <label htmlFor={`${id}-from`} className="block">From</label>
            <input id={`${id}-from`} type="date" value={from} onChange={(e) => setFrom(e.target.value)} className={input} />
          </div>
          <div>
            <label htmlFor={`${id}-to`} className="block">To</label>
            <input id={`${id}-to`} type="date" value={to} onChange={(e) => setTo(e.target.value)} className={input} />
          </div>
          <div>
            <label htmlFor={`${id}-bucket`} className="block">Scores by</label>
            <select id={`${id}-bucket`} value={bucket} onChange={(e) => setBucket(e.target.value as "week" | "day")} className={input}>
              <option value="week">Week</option>
              <option value="day">Day</option>
            </select>
          </div>
        </div>
      </div>
      <div className="px-5 py-4" aria-live="polite" aria-busy={isLoading}>
        {error ? <p role="alert" className="text-sm text-danger">Could not load the insights: {errorMessage(error)}</p>
          : !data ? <p role="status" className="text-sm text-muted">{subject ? "Loading…" : "Publish a shopper script or a survey to see insights."}</p>
          : "script" in data ? <ScriptView data={data} /> : <SurveyView data={data} />}
      </div>
    </dialog>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="mb-6">
      <h3 className="mb-2 font-semibold">{title}</h3>
      {children}
    </section>
  );
}

const range = (r: { from: string; to: string }) => (r.from === r.to ? r.from : `${r.from} to ${r.to}`);

function ScriptView({ data }: { data: ScriptInsights }) {
  const span = range(data.range);
  return (
    <div data-testid="script-insights">
      <p className="mb-4 text-sm text-muted">{data.script.title}, calls from {span}. Every bar and point opens the list of its calls.</p>
      <Section title="Outcomes">
        <StackedBars title="Outcome funnel" rows={data.funnel.map((s) => ({
          label: STAGE[s.stage],
          segments: [{ key: s.stage, value: s.calls, url: s.url, color: ACCENT, label: `${STAGE[s.stage]}: ${calls(s.calls)}` }],
        }))} />
        <DataTable caption={`Outcome funnel, ${span}`} head={["Stage", "Calls"]}
          rows={data.funnel.map((s) => [STAGE[s.stage], <CountLink key="n" n={s.calls} url={s.url} label={`${STAGE[s.stage]}: ${calls(s.calls)}`} />])} />
      </Section>
      <Section title="Score over time">
        <ScoreLine title={`Mean score by ${data.range.bucket}`} points={data.scoreOverTime.map((p) => ({
          label: p.from, value: p.averageScore, url: p.url,
          description: `${range(p)}: ${p.averageScore === null ? "no scored calls" : `mean score ${p.averageScore}% over ${calls(p.scoredCalls)}`}`,
        }))} />
        <DataTable caption={`Mean score by ${data.range.bucket}, ${span}`} head={[data.range.bucket === "week" ? "Week" : "Day", "Mean score", "Scored calls"]}
          rows={data.scoreOverTime.map((p) => [range(p), p.averageScore === null ? "—" : `${p.averageScore}%`,
            <CountLink key="n" n={p.scoredCalls} url={p.url} label={`${range(p)}: ${calls(p.scoredCalls)} scored`} />])} />
      </Section>
      <Section title="Rubric criteria">
        {data.criteria.length === 0 ? <p className="text-sm text-muted">No scores in this range.</p> : (
          <>
            <StackedBars title="Outcomes per rubric criterion" rows={data.criteria.map((c) => ({
              label: c.label,
              segments: (["pass", "fail", "no_evidence"] as const).map((o) => ({
                key: o, value: c.counts[o], url: c.urls[o], color: OUTCOME[o].color, label: `${c.label}: ${OUTCOME[o].word}, ${calls(c.counts[o])}`,
              })),
            }))} />
            <p className="mt-1 flex gap-4 text-xs" aria-hidden="true">
              {Object.values(OUTCOME).map((o) => <span key={o.word}><span className="mr-1 inline-block h-2 w-3" style={{ background: o.color }} />{o.word}</span>)}
            </p>
            <DataTable caption={`Outcomes per rubric criterion, ${span}`} head={["Criterion", "Pass", "Fail", "No evidence", "Pass rate"]}
              rows={data.criteria.map((c) => [
                c.current ? c.label : `${c.label} (older version)`,
                ...(["pass", "fail", "no_evidence"] as const).map((o) => <CountLink key={o} n={c.counts[o]} url={c.urls[o]} label={`${c.label}: ${OUTCOME[o].word}, ${calls(c.counts[o])}`} />),
                c.passRate === null ? "—" : `${c.passRate}%`,
              ])} />
          </>
        )}
      </Section>
      {data.tags.length > 0 ? (
        <Section title="Score per tag">
          <GroupScores kind="tag" bucket={data.range.bucket} span={span}
            groups={data.tags.map((t) => ({ label: t.tag, scoredCalls: t.scoredCalls, averageScore: t.averageScore, url: t.url, points: t.points }))} />
        </Section>
      ) : null}
      {data.numbers && data.numbers.length > 0 ? (
        <Section title="Score per target">
          <GroupScores kind="target" bucket={data.range.bucket} span={span}
            groups={data.numbers.map((n) => ({ label: n.target ? `${n.target} (${n.number})` : n.number, scoredCalls: n.scoredCalls, averageScore: n.averageScore, url: n.url, points: n.points }))} />
        </Section>
      ) : null}
    </div>
  );
}

interface Group { label: string; scoredCalls: number; averageScore: number | null; url: string; points: ScorePoint[] }

/**
 * Scores per tag or per target: each group's mean as a bar, then one group's mean over time
 * (chosen in a list, the busiest first), and a table of every group by bucket. Every bar, point
 * and count opens the list of its calls.
 */
function GroupScores({ kind, groups, bucket, span }: { kind: "tag" | "target"; groups: Group[]; bucket: "week" | "day"; span: string }) {
  const id = useId();
  const [shown, setShown] = useState(0);
  const group = groups[Math.min(shown, groups.length - 1)]!;
  const name = kind === "tag" ? "tag" : "target";
  return (
    <>
      <StackedBars title={`Mean score per ${name}`} max={100} rows={groups.map((g) => ({
        label: g.label,
        segments: [{ key: "score", value: g.averageScore ?? 0, url: g.url, color: ACCENT, label: `${g.label}: mean score ${g.averageScore}% over ${calls(g.scoredCalls)}` }],
      }))} />
      <div className="mt-3 text-sm">
        <label htmlFor={`${id}-group`} className="mr-2">Over time, for the {name}</label>
        <select id={`${id}-group`} value={shown} onChange={(e) => setShown(Number(e.target.value))} className={input}>
          {groups.map((g, i) => <option key={g.label} value={i}>{g.label}</option>)}
        </select>
      </div>
      <ScoreLine title={`Mean score by ${bucket}, ${name} ${group.label}`} points={group.points.map((p) => ({
        label: p.from, value: p.averageScore, url: p.url,
        description: `${group.label}, ${range(p)}: ${p.averageScore === null ? "no scored calls" : `mean score ${p.averageScore}% over ${calls(p.scoredCalls)}`}`,
      }))} />
      <DataTable caption={`Mean score per ${name} and ${bucket}, ${span}`} head={[kind === "tag" ? "Tag" : "Target", "All", ...group.points.map((p) => range(p))]}
        rows={groups.map((g) => [g.label,
          <CountLink key="all" n={g.scoredCalls} url={g.url} label={`${g.label}: mean score ${g.averageScore}% over ${calls(g.scoredCalls)}`} text={`${g.averageScore}% (${g.scoredCalls})`} />,
          ...g.points.map((p) => <CountLink key={p.from} n={p.scoredCalls} url={p.url} text={p.averageScore === null ? "—" : `${p.averageScore}% (${p.scoredCalls})`}
            label={`${g.label}, ${range(p)}: mean score ${p.averageScore}% over ${calls(p.scoredCalls)}`} />)])} />
    </>
  );
}

const answerWord = (v: string) => (v === "invalid" ? "no usable answer" : v === "speech" ? "spoken" : `pressed ${v}`);

function SurveyView({ data }: { data: SurveyInsights }) {
  const span = range(data.range);
  return (
    <div data-testid="survey-insights">
      <p className="mb-4 text-sm text-muted">
        {data.survey.title}, calls from {span}: <CountLink n={data.calls} url={data.url} label={`${calls(data.calls)} ran the survey`} /> ran it,
        {" "}{data.answeredCalls} answered at least one question.
      </p>
      {data.questions.map((q) => {
        const title = q.prompt ?? `${q.questionId} (older version)`;
        return (
          <Section key={q.questionId} title={title}>
            <StackedBars title={`Answers to “${title}”`} rows={q.answers.map((a) => ({
              label: answerWord(a.value),
              segments: [{ key: a.value, value: a.count, url: a.url, color: ACCENT, label: `${answerWord(a.value)}: ${calls(a.count)}` }],
            }))} />
            <DataTable caption={`Answers to “${title}”, ${span}`} head={["Answer", "Calls"]}
              rows={q.answers.map((a) => [answerWord(a.value), <CountLink key="n" n={a.count} url={a.url} label={`${answerWord(a.value)}: ${calls(a.count)}`} />])} />
          </Section>
        );
      })}
    </div>
  );
}
