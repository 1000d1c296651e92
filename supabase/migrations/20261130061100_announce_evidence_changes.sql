-- The organization's activity feed follows sealed manifests and custody events live, as the
-- call list follows calls: each insert announces `{ org, topic: "calls", callId }` through the
-- same private.announce_change (supabase/migrations/*_create_realtime_notify.sql), ids only,
-- so the page revalidates what its API lets this person see. Both tables are insert-only.
create trigger evidence_manifests_announce after insert on public.evidence_manifests
  for each row execute function private.announce_change('calls');
create trigger custody_events_announce after insert on public.custody_events
  for each row execute function private.announce_change('calls');
