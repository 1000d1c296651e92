-- The activity feed (lib/activity/feed.ts) reads each organization's newest call events,
-- sealed manifests and custody events by time, newest first, from a cursor: one index per
-- source on (organization, time, id), so a page costs a short index range per source however
-- many events the organization has.
create index call_events_org_occurred_idx on public.call_events (organization_id, occurred_at desc, id desc);
create index evidence_manifests_org_sealed_idx on public.evidence_manifests (organization_id, sealed_at desc, id desc);
create index custody_events_org_occurred_idx on public.custody_events (organization_id, occurred_at desc, id desc);
