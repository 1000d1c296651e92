-- Indexes for the reconciler's recording checks (lib/calls/reconcile.ts), which run
-- every minute across all organizations. Its status checks already have calls_open_idx (open
-- calls only). Without these, both recording checks read every call or every recording.
--
-- Completed calls that had recording on, in the order the check reads them (oldest end first).
-- Still grows with the number of recorded calls (the check must see that each has a recording
-- row), but no longer with calls that never recorded or have not ended.
create index calls_recorded_completed_idx on public.calls ((coalesce(ended_at, updated_at)))
  where status = 'completed' and (modulations->>'record')::boolean is true;

-- Recordings still pending: few at any time, whatever the size of the table.
create index recordings_pending_idx on public.recordings (created_at)
  where status = 'pending' and provider_recording_sid is not null;
