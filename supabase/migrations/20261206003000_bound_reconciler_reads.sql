-- The reconcilers run every minute across every organization; at a million calls three of
-- their selections read the whole history to find nothing (measured: 9.3 s for recordings that
-- never came, 4.3 s for recordings never transcribed, 0.36 s for lost dials, which read every
-- open call). These indexes, with the look-back (RECONCILE_LOOKBACK_DAYS) the queries now
-- bound themselves by, make each read follow the recent calls, not the history.

-- Lost dials: queued, no provider sid. Few at any time (a create-call request that timed out).
create index calls_lost_dial_idx on public.calls (updated_at)
  where status = 'queued' and provider_call_sid is null;

-- Stored recordings in the order the transcription check reads them, for its look-back range.
create index recordings_stored_idx on public.recordings (stored_at)
  where status = 'stored';
