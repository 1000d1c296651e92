-- The outbound events, emitted where their facts are stored (docs/adr/0039): a trigger on each
-- fact's table calls private.emit_webhook_event in the same transaction, so an event exists
-- exactly when its fact committed, whichever module, job or process wrote it, and no domain
-- imports the webhook room (the schema sits below every floor of layers.json). Payloads carry
-- ids, states and hashes, never content or phone numbers: a receiver that wants more asks the
-- API as a member would. The catalogue (docs/webhooks.md) lists each payload.
--
--   call.completed      calls: status reaches a final state (once: final states stay)
--   artifact.stored     recordings: status becomes 'stored'; call_artifacts: a row is inserted
--   manifest.sealed     evidence_manifests: a version is inserted
--   campaign.completed  campaigns: state becomes 'completed'
--   export.ready        evidence_exports: status becomes 'completed' (the archive can be fetched)
--   retention.deleted   emitted by the retention job itself (lib/outbound/events.ts)

-- One trigger function for every fact: which event, its data and its dedupe key, by table.
create function private.emit_fact_event() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_type text;
  v_data jsonb;
  v_key text;
begin
  case tg_table_name
    when 'calls' then
      v_type := 'call.completed';
      v_key := 'call:' || new.id::text;
      v_data := jsonb_build_object('callId', new.id, 'status', new.status, 'direction', new.direction, 'flow', new.flow,
        'campaignId', new.campaign_id, 'answeredAt', new.answered_at, 'endedAt', new.ended_at, 'durationSeconds', new.duration_seconds);
    when 'recordings' then
      v_type := 'artifact.stored';
      v_key := 'recording:' || new.id::text;
      v_data := jsonb_build_object('callId', new.call_id, 'artifactId', new.id, 'kind', 'recording', 'language', null,
        'sha256', new.sha256, 'bytes', new.bytes, 'mediaType', new.media_type, 'storedAt', coalesce(new.stored_at, now()));
    when 'call_artifacts' then
      v_type := 'artifact.stored';
      v_key := 'artifact:' || new.id::text;
      v_data := jsonb_build_object('callId', new.call_id, 'artifactId', new.id, 'kind', new.kind, 'language', new.language,
        'sha256', new.sha256, 'bytes', new.bytes, 'mediaType', new.media_type, 'storedAt', new.produced_at);
    when 'evidence_manifests' then
      v_type := 'manifest.sealed';
      v_key := 'manifest:' || new.id::text;
      v_data := jsonb_build_object('callId', new.call_id, 'manifestId', new.id, 'version', new.version,
        'manifestSha256', new.manifest_sha256, 'previousSha256', new.previous_sha256, 'kid', new.kid, 'sealedAt', new.sealed_at);
    when 'campaigns' then
      v_type := 'campaign.completed';
      v_key := 'campaign:' || new.id::text;
      v_data := jsonb_build_object('campaignId', new.id, 'completedAt', coalesce(new.ended_at, now()));
    when 'evidence_exports' then
      v_type := 'export.ready';
      v_key := 'export:' || new.id::text;
      v_data := jsonb_build_object('exportId', new.id, 'calls', new.total, 'sha256', new.sha256, 'bytes', new.bytes, 'expiresAt', new.expires_at);
  end case;
  perform private.emit_webhook_event(new.organization_id, v_type, v_data, v_key);
  return null;
end
$$;
revoke all on function private.emit_fact_event() from public;

create trigger calls_emit_completed
  after update of status on public.calls
  for each row
  when (old.status is distinct from new.status and new.status in ('completed', 'busy', 'no_answer', 'failed', 'canceled'))
  execute function private.emit_fact_event();

create trigger recordings_emit_stored
  after insert or update of status on public.recordings
  for each row
  when (new.status = 'stored')
  execute function private.emit_fact_event();

create trigger call_artifacts_emit_stored
  after insert on public.call_artifacts
  for each row
  execute function private.emit_fact_event();

create trigger evidence_manifests_emit_sealed
  after insert on public.evidence_manifests
  for each row
  execute function private.emit_fact_event();

create trigger campaigns_emit_completed
  after update of state on public.campaigns
  for each row
  when (old.state is distinct from new.state and new.state = 'completed')
  execute function private.emit_fact_event();

create trigger evidence_exports_emit_ready
  after update of status on public.evidence_exports
  for each row
  when (old.status is distinct from new.status and new.status = 'completed')
  execute function private.emit_fact_event();
