import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCarrierSimulator, type CarrierSimulator, type DialLog } from "@/scripts/simulator";

/**
 * The carrier simulator's own dial log: what `npm run bench:campaign` checks a campaign's pace
 * and live limit against, so it must record every create-call request as the carrier saw it.
 */
const PROJECT = "11111111-2222-4333-8444-555555555555";
const TOKEN = "PT_test_api_token";
let simulator: CarrierSimulator;
let audioDir: string;

beforeAll(async () => {
  audioDir = await mkdtemp(path.join(tmpdir(), "dial-log-"));
  simulator = await startCarrierSimulator({ port: 0, projectId: PROJECT, apiToken: TOKEN, signingKey: "PSK_test", audioDir, delayMs: 30 });
});

afterAll(async () => {
  await simulator.stop();
  await rm(audioDir, { recursive: true, force: true });
});

function create(to: string): Promise<Response> {
  return fetch(`${simulator.url}/api/laml/2010-04-01/Accounts/${PROJECT}/Calls.json`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ To: to, From: "+14155550100", Url: "http://127.0.0.1:9/laml" }).toString(),
  });
}

describe("the carrier simulator's dial log", () => {
  it("records each create request with its arrival and To, refused ones too, and counts calls live until they end", async () => {
    const before = Date.now();
    const answers = await Promise.all([create("+15005550001"), create("+15005550002"), create("12345")]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 400]);
    const created = await Promise.all(answers.slice(0, 2).map(async (a) => ((await a.json()) as { sid: string }).sid));

    const live = simulator.dialLog();
    expect(live.liveNow).toBe(2);
    expect(live.maxLive).toBe(2);
    expect(live.dials.map((d) => [d.to, d.status]).sort()).toEqual([["+15005550001", 201], ["+15005550002", 201], ["12345", 400]]);
    for (const d of live.dials) expect(d.receivedAt).toBeGreaterThanOrEqual(before - 1);

    // busy and no-answer end after three pauses; nothing calls back (no StatusCallback).
    await expect.poll(() => simulator.dialLog().liveNow, { timeout: 5000 }).toBe(0);
    const ended = (await (await fetch(`${simulator.url}/__control/dials`)).json()) as DialLog;
    expect(ended.maxLive).toBe(2);
    const bySid = new Map(ended.dials.map((d) => [d.sid, d]));
    expect(created.map((sid) => bySid.get(sid)?.finalStatus)).toEqual(["busy", "no-answer"]);
    for (const sid of created) expect(bySid.get(sid)!.endedAt!).toBeGreaterThan(bySid.get(sid)!.receivedAt);
    expect(ended.dials.find((d) => d.status === 400)).toMatchObject({ sid: null, endedAt: null, finalStatus: null });
  });
});
