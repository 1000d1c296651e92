-- The job worker processes alive now, and the id their jobs carry (lib/worker/liveness.ts).
-- graphile-worker marks a job it takes with its worker pool's id (`locked_by`; in 0.18 the
-- pool's, not each worker's) and lets another process take it only 4 hours later, in case the
-- first died. Each worker process instead holds a session-level advisory lock on
-- (lock space, process_key) for as long as it lives, and records its pool's id here under that
-- key before the pool takes a job. A lock that anyone else can take means the session that held
-- it is gone, and with it the process: release_dead_workers (below, from the crontab) frees
-- that process's jobs at once. Rows are written only by lib/worker/liveness.ts: inserted by the
-- process itself on its own connection (the database owner), deleted by it when it stops and by
-- the sweep when it died. No API role has a policy or a grant.
create table private.worker_processes (
  locked_by text primary key,
  process_key integer not null check (process_key > 0),
  -- For an operator reading the table: which process on which machine.
  pid integer not null,
  host text not null,
  started_at timestamptz not null default now()
);
create index worker_processes_process_key on private.worker_processes (process_key);
alter table private.worker_processes enable row level security;

-- Free the jobs of every recorded process whose lock can be taken, and forget those processes.
-- The locks are taken for this transaction only (they end with it, whichever way it ends), so
-- a process that comes back meanwhile finds its key held and waits. The lock space is the
-- caller's (lib/worker/liveness.ts owns it). Security definer because graphile-worker's schema
-- and this table belong to the migration owner; plpgsql because graphile-worker's schema is
-- installed after the migrations; only service_role may call it. Counts only, never payloads.
create function private.release_dead_workers(p_lock_space integer)
returns table (processes integer, pools integer, jobs integer)
language plpgsql security definer
set search_path = ''
as $$
declare
  dead_pools text[];
  dead_keys integer[];
  locked_jobs integer;
begin
  select coalesce(array_agg(w.locked_by), '{}'), coalesce(array_agg(distinct w.process_key), '{}')
    into dead_pools, dead_keys
    from private.worker_processes as w
    where pg_try_advisory_xact_lock(p_lock_space, w.process_key);
  if cardinality(dead_pools) = 0 then
    return query select 0, 0, 0;
    return;
  end if;
  select count(*)::integer into locked_jobs from graphile_worker.jobs as j where j.locked_by = any(dead_pools);
  perform graphile_worker.force_unlock_workers(dead_pools);
  -- By key as well as id: a row a live process moved to a new key meanwhile is not its old one.
  delete from private.worker_processes as w where w.locked_by = any(dead_pools) and w.process_key = any(dead_keys);
  return query select cardinality(dead_keys), cardinality(dead_pools), locked_jobs;
end
$$;

revoke all on function private.release_dead_workers(integer) from public;
grant execute on function private.release_dead_workers(integer) to service_role;
