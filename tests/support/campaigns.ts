import { randomUUID } from "node:crypto";
import { asService, withUser } from "@/lib/db";
import { numberHash, sealNumber } from "@/lib/pii/numbers";
import type { Claims } from "@/lib/db/claims";
import { sessionFromClaims } from "@/lib/db/claims";
import { authorize } from "@/lib/rbac/authorize";
import { campaignCreateSchema, type CampaignView } from "@/lib/campaigns/contracts";
import { createCampaign } from "@/lib/campaigns/campaigns";
import { launchCampaign } from "@/lib/campaigns/runner";
import { isCallable, campaignScheduleSchema } from "@/lib/campaigns/windows";

/** Helpers for campaign tests: saved targets, drafts, launches, zones where calling is (not) allowed now. */

const ALWAYS = Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, { from: "00:00", to: "24:00" }]));
const CANDIDATE_ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles", "Pacific/Auckland", "Pacific/Honolulu", "Asia/Dubai"];

/** A schedule open every day (so only the 8:00–21:00 clip decides), from an hour ago to tomorrow. */
export function openSchedule(now = new Date()) {
  return { startsAt: new Date(now.getTime() - 3_600_000).toISOString(), endsAt: new Date(now.getTime() + 86_400_000).toISOString(), weekly: ALWAYS };
}

/** A zone whose clock now reads inside (or outside) 8:00–21:00. */
export function zoneWhere(callable: boolean, now = new Date()): string {
  const schedule = campaignScheduleSchema.parse(openSchedule(now));
  const zone = CANDIDATE_ZONES.find((z) => isCallable(schedule, z, now) === callable && isCallable(schedule, z, new Date(now.getTime() + 120_000)) === callable);
  if (!zone) throw new Error("no candidate zone fits");
  return zone;
}

let n = 0;
/** A saved target (service path), tagged, its number stored as lib/targets stores it: sealed, with its hash. */
export async function savedTarget(orgId: string, createdBy: string, { number, timeZone, tags = [], dnc = false, name }: { number: string; timeZone: string; tags?: string[]; dnc?: boolean; name?: string }): Promise<string> {
  n += 1;
  const [row] = await asService(async (tx) => tx<{ id: string }[]>`
    insert into public.voice_targets (organization_id, name, number, number_hash, time_zone, tags, dnc, created_by)
    values (${orgId}, ${name ?? `Target ${String(n).padStart(4, "0")}`}, ${await sealNumber(tx, orgId, "voice_targets.number", number)}, ${await numberHash(orgId, number)}, ${timeZone}, ${tags}::text[], ${dnc}, ${createdBy})
    returning id`);
  return row!.id;
}

/** A fresh tag, so each test's campaign selects only its own targets. */
export const freshTag = () => `t-${randomUUID().slice(0, 8)}`;

/** Save a draft as `claims` (a manager) and launch it; answers the campaign. */
export async function draft(claims: Claims, orgId: string, input: Record<string, unknown>): Promise<CampaignView> {
  const session = sessionFromClaims(claims);
  const membership = await authorize(session, "campaign.manage", orgId);
  return withUser(claims, (tx) => createCampaign(tx, { membership, input: campaignCreateSchema.parse(input) }));
}

export async function launch(claims: Claims, orgId: string, id: string) {
  const session = sessionFromClaims(claims);
  const membership = await authorize(session, "campaign.manage", orgId);
  return withUser(claims, (tx) => launchCampaign(tx, { membership, id }));
}
