-- What the metrics scrape reads (docs/adr/0042): the calls that ended in the last 15 minutes,
-- by final status and flow, for the call failure rate. With this index the read follows the
-- calls that ended in the window (index only: status and flow are included), never the table.
-- No table, so no policy: the scrape reads it as the database owner.
create index calls_ended_idx on public.calls (ended_at) include (status, flow) where ended_at is not null;
