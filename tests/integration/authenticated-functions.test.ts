import { describe, expect, it } from "vitest";
import { sql } from "@/lib/db/client";

/**
 * Issue 17 §6: every SQL function a member's transaction (`authenticated`) can execute, reviewed.
 * Each one either reads only what the caller may read, decides from its arguments alone, or
 * checks the caller's authority in the organization it names (private.append_organization_event,
 * private.accept_invitation). A new function that `authenticated` can run fails this test until
 * it is reviewed and added here with why it is safe. Trigger functions cannot be called directly
 * and are left out.
 */
const REVIEWED: Record<string, string> = {
  "private.accept_invitation(p_token_hash bytea)": "acts only for the holder of an unexpired invitation's token, as the caller",
  "private.allows(p_role member_role, p_plan plan, p_action text)": "pure: the policy table",
  "private.append_organization_event(p_org uuid, p_kind text, p_subject text, p_payload jsonb)": "checks the caller's authority for the kind in that organization",
  "private.can(p_org uuid, p_action text)": "the caller's own authority",
  "private.is_member(p_org uuid)": "the caller's own membership",
  "private.is_stored_number(p_value text)": "pure: whether a value has the form of a stored number (E.164 or sealed); the number columns' check",
  "private.member_org_ids()": "the caller's own organizations",
  "private.member_role(p_org uuid)": "the caller's own role",
  "private.advance_call_status(p_current call_status, p_incoming call_status)": "pure: the forward-only status order",
  "private.are_target_tags(p_tags text[])": "pure: the targets' tag rules",
  "private.call_status_rank(p_status call_status)": "pure: the forward-only status order",
  "private.is_time_zone(p_name text)": "pure: whether Postgres knows a time zone name",
  "private.number_mask(p_value text)": "pure: the mask of an E.164 value; the trigger a member's insert runs",
  "private.modulations_problem(p_on text[], p_flow text)": "pure: the modulation rules",
  "private.add_number_data_key(p_org uuid, p_id uuid, p_kek text, p_wrapped text, p_replace boolean)": "only for the caller's own organization; replacing the current key only on the service path; adds a key the caller wrapped, which opens nothing without the KEK",
  "private.evidence_manifest_numbers_of(p_org uuid, p_manifest uuid)": "nothing unless the caller may read that organization's manifests (evidence.export, the evidence_manifests policy); the numbers only sealed",
  "private.number_data_keys_of(p_org uuid, p_ids uuid[])": "nothing unless the caller is a member of that organization; the keys only wrapped",
  "private.org_ids_allowing(p_action text)": "the caller's own organizations",
  "private.org_ids_with_role(p_role member_role)": "the caller's own organizations",
  "private.score_range_call_ids(p_org uuid, p_min numeric, p_max numeric)": "nothing unless the caller may read shopper results in that organization",
  "private.search_config(p_language text)": "pure: a language's text-search configuration",
  "private.search_configs()": "pure: the text-search configurations",
  "private.search_queries(p_query text)": "pure: parses a query",
  "private.search_query(p_query text)": "pure: parses a query",
  "private.status_call_count(p_org uuid, p_statuses text[], p_cap integer)": "nothing unless the caller is a member of that organization (a count, capped)",
  "private.status_call_ids(p_org uuid, p_statuses text[])": "nothing unless the caller is a member of that organization",
  "private.text_search_call_ids(p_org uuid, p_query text, p_original boolean)": "nothing unless the caller may read transcripts (translations, originals) in that organization",
  "private.voice_config_allowed(c voice_configs)": "pure: a row the caller already holds",
  "private.replay_webhook_delivery(p_delivery uuid)": "not_found unless the caller may manage webhooks in the delivery's organization; re-arms only that delivery",
  "private.webhook_event_types()": "pure: the outbound event types",
};

describe("functions a member's transaction can execute", () => {
  it("are exactly the reviewed ones", async () => {
    const rows = await sql()<{ fn: string }[]>`
      select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as fn
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'private')
        and p.prorettype <> 'trigger'::regtype
        and has_function_privilege('authenticated', p.oid, 'EXECUTE')
      order by 1`;
    expect(rows.map((r) => r.fn)).toEqual(Object.keys(REVIEWED).sort());
  });
});
