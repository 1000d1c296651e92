import { describe, expect, it } from "vitest";
import { allowedActs, campaignBody, defaultFields, etaText, paceText, weeklyText } from "@/components/campaigns/campaign-form";
import { parseTags, targetQuery, zoneProbeCsv } from "@/components/targets/target-text";
import { campaignCreateSchema, storedSchedule } from "@/lib/campaigns/contracts";
import { parseImportCsv } from "@/lib/targets/csv";

/**
 * The targets and campaigns panels shape what a person enters without zod (the schemas are
 * server-only): what they send must be what the API's own schemas accept and mean.
 */
describe("the campaign builder's body", () => {
  const now = new Date("2026-12-07T10:00:00Z");

  it("is accepted by the API's schema as it is by default: weekdays 9:00–17:00, a week from now, the default retries", () => {
    const fields = { ...defaultFields(now), name: " Front desks ", selection: { kind: "tags" as const, tags: ["west"] } };
    const parsed = campaignCreateSchema.parse(campaignBody(fields));
    expect(parsed.name).toBe("Front desks");
    expect(parsed.schedule.startsAt.getTime()).toBe(Date.parse(new Date(fields.startsAt).toISOString()));
    expect(parsed.schedule.endsAt.getTime() - parsed.schedule.startsAt.getTime()).toBe(7 * 86_400_000);
    expect(storedSchedule(parsed.schedule).weekly).toEqual({
      mon: { from: "09:00", to: "17:00" }, tue: { from: "09:00", to: "17:00" }, wed: { from: "09:00", to: "17:00" },
      thu: { from: "09:00", to: "17:00" }, fri: { from: "09:00", to: "17:00" }, sat: null, sun: null,
    });
    expect(parsed.retry).toEqual({ busy: { maxAttempts: 3, backoffSeconds: 600 }, no_answer: { maxAttempts: 3, backoffSeconds: 3600 }, failed: { maxAttempts: 2, backoffSeconds: 1800 } });
    expect(parsed.selection).toEqual({ tags: ["west"] });
  });

  it("sends a picked list, a chosen version, every day, the pace and the spread as given", () => {
    const f = defaultFields(now);
    const body = campaignBody({
      ...f, name: "x", selection: { kind: "targets", targetIds: ["7b0e4d3c-54a7-4f7e-9d1b-0e6f3c2a9b10"] },
      modulations: { ...f.modulations, shopperScript: true, record: true }, shopperScriptVersion: "7b0e4d3c-54a7-4f7e-9d1b-0e6f3c2a9b11:3",
      days: { mon: true, tue: true, wed: true, thu: true, fri: true, sat: true, sun: true }, from: "10:30", to: "20:00",
      dialsPerSecond: 0.5, maxLive: 2, spread: true,
    });
    const parsed = campaignCreateSchema.parse(body);
    expect(parsed.modulations.shopperScriptVersion).toEqual({ id: "7b0e4d3c-54a7-4f7e-9d1b-0e6f3c2a9b11", version: 3 });
    expect(parsed.modulations.surveyVersion).toBeUndefined();
    expect(storedSchedule(parsed.schedule).weekly.sun).toEqual({ from: "10:30", to: "20:00" });
    expect(parsed.pace).toEqual({ dialsPerSecond: 0.5, maxLive: 2 });
    expect(parsed.spread).toBe(true);
  });

  it("leaves what a person got wrong for the API to refuse, with its message", () => {
    const body = campaignBody({ ...defaultFields(now), name: "x", selection: { kind: "tags", tags: [] } });
    expect(campaignCreateSchema.safeParse(body).success).toBe(false);
  });
});

describe("what the campaign panel shows", () => {
  it("reads weekly windows as people write them", () => {
    const nine = { from: "09:00", to: "17:00" };
    expect(weeklyText({ mon: nine, tue: nine, wed: nine, thu: nine, fri: nine, sat: null, sun: null })).toBe("Mon–Fri 09:00–17:00");
    expect(weeklyText({ mon: nine, wed: nine })).toBe("Mon, Wed 09:00–17:00");
    expect(weeklyText({ mon: nine, tue: { from: "10:00", to: "12:00" } })).toBe("Mon 09:00–17:00, Tue 10:00–12:00");
    expect(weeklyText({})).toBe("no calling days");
  });

  it("offers only the acts the state allows and the role may take", () => {
    expect(allowedActs(["launch", "cancel"], { manage: true, pause: true })).toEqual(["launch", "cancel"]);
    expect(allowedActs(["pause", "complete", "cancel"], { manage: false, pause: true })).toEqual(["pause"]);
    expect(allowedActs(["resume", "complete", "cancel"], { manage: false, pause: false })).toEqual([]);
  });

  it("says pace and ETA in words", () => {
    expect(paceText(null)).toBe("not yet measured");
    expect(paceText(0.25)).toBe("15.0 calls/min");
    expect(paceText(4.96)).toBe("5.0 calls/s");
    const now = new Date("2026-12-07T10:00:00Z");
    expect(etaText("2026-12-07T10:05:00Z", now, "running")).toBe("in about 5 min (2026-12-07 10:05 UTC)");
    expect(etaText(null, now, "completed")).toBe("Finished");
    expect(etaText(null, now, "running")).toMatch(/^Not known yet/);
  });
});

describe("the targets panel's requests", () => {
  it("parses tags as the API stores them", () => {
    expect(parseTags(" West,  North  Side;west, ")).toEqual(["west", "north side"]);
  });

  it("filters the list with the API's parameters", () => {
    expect(targetQuery({ q: " clinic ", tags: "West, north", dnc: "true" })).toBe("q=clinic&tag=west%2Cnorth&dnc=true");
    expect(targetQuery({ q: "", tags: "", dnc: "" })).toBe("");
  });

  it("asks for a number's zone with a one-row import the API's CSV reader reads back exactly", () => {
    expect(parseImportCsv(zoneProbeCsv(" +1 (415) 555-0100 "))).toEqual([{ row: 2, cells: { name: "probe", number: "+1 (415) 555-0100" } }]);
    expect(parseImportCsv(zoneProbeCsv('+1,"2'))[0]!.cells.number).toBe('+1,"2');
  });
});
