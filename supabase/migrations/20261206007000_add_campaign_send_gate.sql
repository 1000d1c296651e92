-- The second gate of a campaign's pace (lib/campaigns/pace.ts `takeSendSlot`): when its next
-- call may be SENT to the carrier, on the database's clock. `next_at` spaces the grants, but a
-- grant becomes a request at the carrier only after a commit, the call's insert and an HTTP
-- request, whose delays vary (a worker that has just started is slow on its first dial), so
-- grants 1/N s apart can still reach the carrier N + 1 within a second. Spacing the sends as
-- well leaves only the network's jitter between the two (docs/adr/0035, "Measured").
--
-- Written only by lib/campaigns/pace.ts on the service path, like the rest of the row.
alter table private.campaign_pace add column next_send_at timestamptz;
