-- Phone numbers at rest (docs/adr/0044): the timeline keeps no number. A status callback's From
-- and To (and a LaML fetch's Called/Caller) are the call's own numbers, already on its row and
-- sealed there: they are no longer stored (lib/telephony/callbacks.ts), and are taken out of the
-- events stored before. The reconciler's "not found" entry keeps what it searched for as the
-- mask a viewer sees (country code and last two digits).
--
-- call_events is append-only (call_events_append_only); this one rewrite, which only removes a
-- number or replaces it with its mask, runs with that trigger off. No manifest or log covers a
-- timeline entry's payload, so nothing signed changes.
alter table public.call_events disable trigger call_events_append_only;

update public.call_events
set payload = payload - array['From', 'To', 'Called', 'Caller', 'ForwardedFrom']
where payload ?| array['From', 'To', 'Called', 'Caller', 'ForwardedFrom'];

update public.call_events
set payload = payload
  || jsonb_build_object('SearchedTo', coalesce(private.number_mask(payload ->> 'SearchedTo'), payload ->> 'SearchedTo'))
  || jsonb_build_object('SearchedFrom', coalesce(private.number_mask(payload ->> 'SearchedFrom'), payload ->> 'SearchedFrom'))
where kind = 'reconcile.not_found' and payload ? 'SearchedTo';

alter table public.call_events enable trigger call_events_append_only;
