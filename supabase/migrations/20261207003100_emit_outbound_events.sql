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

create function private.emit_call_completed() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.emit_webhook_event(new.organization_id, 'call.completed', jsonb_build_object(
    'callId', new.id, 'status', new.status, 'direction', new.direction, 'flow', new.flow,
    'campaignId', new.campaign_id, 'answeredAt', new.answered_at, 'endedAt', new.ended_at,
    'durationSeconds', new.duration_seconds), 'call:' || new.id::text);
  return null;
end
$$;
revoke all on function private.emit_call_completed() from public;
create trigger calls_emit_completed
  after update of status on public.calls
  for each row
  when (old.status is distinct from new.status and new.status in ('completed', 'busy', 'no_answer', 'failed', 'canceled'))
  execute function private.emit_call_completed();

create function private.emit_recording_stored() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.emit_webhook_event(new.organization_id, 'artifact.stored', jsonb_build_object(
    'callId', new.call_id, 'artifactId', new.id, 'kind', 'recording', 'language', null,
    'sha256', new.sha256, 'bytes', new.bytes, 'mediaType', new.media_type,
    'storedAt', coalesce(new.stored_at, now())), 'recording:' || new.id::text);
  return null;
end
$$;
revoke all on function private.emit_recording_stored() from public;
create trigger recordings_emit_stored
  after insert or update of status on public.recordings
  for each row
  when (new.status = 'stored')
  execute function private.emit_recording_stored();

create function private.emit_artifact_stored() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.emit_webhook_event(new.organization_id, 'artifact.stored', jsonb_build_object(
    'callId', new.call_id, 'artifactId', new.id, 'kind', new.kind, 'language', new.language,
    'sha256', new.sha256, 'bytes', new.bytes, 'mediaType', new.media_type,
    'storedAt', new.produced_at), 'artifact:' || new.id::text);
  return null;
end
$$;
revoke all on function private.emit_artifact_stored() from public;
create trigger call_artifacts_emit_stored
  after insert on public.call_artifacts
  for each row
  execute function private.emit_artifact_stored();

create function private.emit_manifest_sealed() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.emit_webhook_event(new.organization_id, 'manifest.sealed', jsonb_build_object(
    'callId', new.call_id, 'manifestId', new.id, 'version', new.version,
    'manifestSha256', new.manifest_sha256, 'previousSha256', new.previous_sha256,
    'kid', new.kid, 'sealedAt', new.sealed_at), 'manifest:' || new.id::text);
  return null;
end
$$;
revoke all on function private.emit_manifest_sealed() from public;
create trigger evidence_manifests_emit_sealed
  after insert on public.evidence_manifests
  for each row
  execute function private.emit_manifest_sealed();

create function private.emit_campaign_completed() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.emit_webhook_event(new.organization_id, 'campaign.completed', jsonb_build_object(
    'campaignId', new.id, 'completedAt', coalesce(new.ended_at, now())), 'campaign:' || new.id::text);
  return null;
end
$$;
revoke all on function private.emit_campaign_completed() from public;
create trigger campaigns_emit_completed
  after update of state on public.campaigns
  for each row
  when (old.state is distinct from new.state and new.state = 'completed')
  execute function private.emit_campaign_completed();

create function private.emit_export_ready() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform private.emit_webhook_event(new.organization_id, 'export.ready', jsonb_build_object(
    'exportId', new.id, 'calls', new.total, 'sha256', new.sha256, 'bytes', new.bytes,
    'expiresAt', new.expires_at), 'export:' || new.id::text);
  return null;
end
$$;
revoke all on function private.emit_export_ready() from public;
create trigger evidence_exports_emit_ready
  after update of status on public.evidence_exports
  for each row
  when (old.status is distinct from new.status and new.status = 'completed')
  execute function private.emit_export_ready();
