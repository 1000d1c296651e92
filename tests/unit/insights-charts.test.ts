import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DataTable, ScoreLine, StackedBars } from "@/components/insights/charts";

/**
 * The insights' charts (docs/adr/0036), rendered to markup: every bar segment and every point is
 * a link to its calls with a name a screen reader reads, and the data table has a caption,
 * headers and the same links.
 */
describe("insights charts", () => {
  it("makes every non-empty segment of a stacked bar a named link to its calls", () => {
    const html = renderToStaticMarkup(createElement(StackedBars, {
      title: "Outcomes per rubric criterion",
      rows: [{
        label: "Greets the caller",
        segments: [
          { key: "pass", value: 3, url: "/?criterion=greets%3Apass", label: "Greets the caller: pass, 3 calls", color: "#15803d" },
          { key: "fail", value: 2, url: "/?criterion=greets%3Afail", label: "Greets the caller: fail, 2 calls", color: "#b91c1c" },
          { key: "no_evidence", value: 0, url: "/?criterion=greets%3Ano_evidence", label: "none", color: "#64748b" },
        ],
      }],
    }));
    expect(html).toContain('role="group" aria-label="Outcomes per rubric criterion"');
    const links = [...html.matchAll(/<a href="([^"]+)" aria-label="([^"]+)"><title>[^<]+<\/title><rect /g)].map((m) => [m[1], m[2]]);
    expect(links).toEqual([
      ["/?criterion=greets%3Apass", "Greets the caller: pass, 3 calls"],
      ["/?criterion=greets%3Afail", "Greets the caller: fail, 2 calls"],
    ]);
    // Segments side by side in proportion: pass is 3/2 as wide as fail.
    const widths = [...html.matchAll(/<rect[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[0]! / widths[1]!).toBeCloseTo(1.5, 5);
  });

  it("makes every point with a value a named link, and leaves a gap for buckets without one", () => {
    const html = renderToStaticMarkup(createElement(ScoreLine, {
      title: "Mean score by week",
      points: [
        { label: "2026-11-02", value: 58.3, url: "/?a", description: "2026-11-04 to 2026-11-08: mean score 58.3% over 3 calls" },
        { label: "2026-11-09", value: null, url: "/?b", description: "none" },
        { label: "2026-11-16", value: 100, url: "/?c", description: "2026-11-16 to 2026-11-22: mean score 100% over 1 call" },
      ],
    }));
    const links = [...html.matchAll(/<a href="([^"]+)" aria-label="([^"]+)"><title>[^<]+<\/title><circle /g)].map((m) => m[1]);
    expect(links).toEqual(["/?a", "/?c"]);
    // The line does not join across the gap: two segments, each a lone point (M without L).
    const d = /<path[^>]* d="([^"]+)"/.exec(html)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
  });

  it("gives each chart a table with a caption, column and row headers", () => {
    const html = renderToStaticMarkup(createElement(DataTable, { caption: "Outcome funnel, 2026-11-04 to 2026-11-22", head: ["Stage", "Calls"], rows: [["Dialled", "11"]] }));
    expect(html).toMatch(/<details[^>]*><summary[^>]*>Show the table<\/summary><table/);
    expect(html).toContain("<caption");
    expect(html).toContain('<th scope="col"');
    expect(html).toMatch(/<th scope="row"[^>]*>Dialled<\/th><td[^>]*>11<\/td>/);
  });
});
