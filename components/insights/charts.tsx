"use client";

import { Group } from "@visx/group";
import { scaleBand, scaleLinear } from "@visx/scale";
import { Bar, LinePath } from "@visx/shape";
import type { ReactNode } from "react";

/**
 * The insights' charts, drawn with visx (SVG, docs/adr/0036): every bar, segment and point is an
 * <a> to the call list of exactly the calls it counts, focusable with Tab and named for a screen
 * reader; each chart is followed by its data as a <table> with a caption, behind a
 * <details> toggle, whose cells link to the same lists.
 */

export interface Segment {
  key: string;
  value: number;
  url: string;
  /** Read aloud and shown on hover: "Greets the caller: fail, 2 calls". */
  label: string;
  color: string;
}

export interface BarRow {
  label: string;
  segments: Segment[];
}

const WIDTH = 640;
const ROW = 28;
const LABEL = 200;
const RIGHT = 48;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
export const calls = (n: number) => plural(n, "call");

/** Horizontal bars, each a row of segments stacked left to right (one segment: a plain bar). */
export function StackedBars({ title, rows, max }: { title: string; rows: BarRow[]; max?: number }) {
  const height = rows.length * ROW + 8;
  const total = (r: BarRow) => r.segments.reduce((n, s) => n + s.value, 0);
  const x = scaleLinear<number>({ domain: [0, Math.max(1, max ?? Math.max(0, ...rows.map(total)))], range: [0, WIDTH - LABEL - RIGHT] });
  const y = scaleBand<string>({ domain: rows.map((_, i) => String(i)), range: [4, height - 4], padding: 0.25 });
  return (
    <svg viewBox={`0 0 ${WIDTH} ${height}`} className="w-full max-w-2xl" role="group" aria-label={title}>
      {rows.map((row, i) => {
        let left = 0;
        const top = y(String(i)) ?? 0;
        return (
          <Group key={i} top={top}>
            <text x={LABEL - 8} y={y.bandwidth() / 2} textAnchor="end" dominantBaseline="middle" className="fill-current text-[12px]">
              {row.label.length > 30 ? `${row.label.slice(0, 29)}…` : row.label}
            </text>
            {row.segments.map((s) => {
              const w = x(s.value);
              const at = LABEL + left;
              left += w;
              return s.value > 0 ? (
                <a key={s.key} href={s.url} aria-label={s.label}>
                  <title>{s.label}</title>
                  <Bar x={at} y={0} width={Math.max(w, 2)} height={y.bandwidth()} fill={s.color} />
                </a>
              ) : null;
            })}
            <text x={LABEL + left + 6} y={y.bandwidth() / 2} dominantBaseline="middle" className="fill-current text-[12px]" aria-hidden="true">
              {total(row)}
            </text>
          </Group>
        );
      })}
    </svg>
  );
}

export interface Point {
  label: string;
  value: number | null;
  url: string;
  description: string;
}

/** A line through the points that have a value (0–100), each point a link; gaps where a bucket has none. */
export function ScoreLine({ title, points }: { title: string; points: Point[] }) {
  const height = 200;
  const left = 40;
  const x = scaleBand<string>({ domain: points.map((p) => p.label), range: [left, WIDTH - 16], padding: 0.5 });
  const y = scaleLinear<number>({ domain: [0, 100], range: [height - 28, 12] });
  const cx = (p: Point) => (x(p.label) ?? 0) + x.bandwidth() / 2;
  const every = Math.max(1, Math.ceil(points.length / 8));
  return (
    <svg viewBox={`0 0 ${WIDTH} ${height}`} className="w-full max-w-2xl" role="group" aria-label={title}>
      {[0, 50, 100].map((v) => (
        <g key={v} aria-hidden="true">
          <line x1={left} x2={WIDTH - 16} y1={y(v)} y2={y(v)} stroke="#cbd5e1" />
          <text x={left - 6} y={y(v)} textAnchor="end" dominantBaseline="middle" className="fill-current text-[11px]">{v}%</text>
        </g>
      ))}
      <LinePath<Point> data={points} x={cx} y={(p) => y(p.value ?? 0)} defined={(p) => p.value !== null} stroke="#1d4ed8" strokeWidth={2} />
      {points.map((p, i) => (
        <g key={p.label}>
          {i % every === 0 ? <text x={cx(p)} y={height - 8} textAnchor="middle" className="fill-current text-[11px]" aria-hidden="true">{p.label.slice(5)}</text> : null}
          {p.value !== null ? (
            <a href={p.url} aria-label={p.description}>
              <title>{p.description}</title>
              <circle cx={cx(p)} cy={y(p.value)} r={5} fill="#1d4ed8" />
            </a>
          ) : null}
        </g>
      ))}
    </svg>
  );
}

/** A chart's data as a table, behind a toggle. */
export function DataTable({ caption, head, rows }: { caption: string; head: string[]; rows: ReactNode[][] }) {
  return (
    <details className="mt-2 text-sm">
      <summary className="cursor-pointer text-accent">Show the table</summary>
      <table className="mt-2 w-full max-w-2xl border-collapse text-left">
        <caption className="mb-1 text-left text-muted">{caption}</caption>
        <thead>
          <tr>{head.map((h) => <th key={h} scope="col" className="border-b border-slate-300 px-2 py-1 font-medium">{h}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => j === 0
                ? <th key={j} scope="row" className="border-b border-slate-200 px-2 py-1 font-normal">{cell}</th>
                : <td key={j} className="border-b border-slate-200 px-2 py-1">{cell}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** A count that links to its calls (no link for none); `text` shows something other than the count (a mean and its count). */
export function CountLink({ n, url, label, text }: { n: number; url: string; label: string; text?: string }) {
  return n > 0 ? <a href={url} aria-label={label} className="text-accent underline">{text ?? n}</a> : <span>{text ?? 0}</span>;
}
