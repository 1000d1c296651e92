-- The per-call snapshot of modulations was stored in `calls.plan`, a word the billing plan
-- (organizations.plan, calls.plan_tier) also uses. It is `calls.modulations` from here on: the
-- modulations a call runs with, copied from the org config when it was placed.
alter table public.calls rename column plan to modulations;
