-- Phone numbers encrypted at rest (issue 22, docs/adr/0044 "The manifests' stored form"): an
-- evidence manifest is stored without its numbers. `manifest` holds every E.164 string (and any
-- string starting `pn-ref:`) as the reference `pn-ref:<i>`; the strings taken out are kept, in
-- reference order, in private.evidence_manifest_numbers, sealed by the writer
-- (lib/evidence-sealing/manifests.ts) and re-sealed after a rotation (lib/pii/reseal.ts); `jws`
-- is stored detached (RFC 7515 Appendix F, `header..signature`): its payload was the manifest in
-- base64url. Every read puts the numbers back, re-encodes the payload and checks the bytes
-- against manifest_sha256 (lib/evidence-sealing/stored-manifest.ts), so a verifier receives
-- exactly the bytes that were signed, and a changed row or number is an error, never another
-- manifest.

-- The numbers of a manifest version. Not immutable like the version itself: a key rotation
-- re-seals them. Written only by the service path; members read them only through
-- private.evidence_manifest_numbers_of, under the same rule as the manifests.
create table private.evidence_manifest_numbers (
  manifest_id uuid primary key references public.evidence_manifests (id) on delete cascade,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  numbers text[] not null check (array_position(numbers, null) is null)
);
revoke all on private.evidence_manifest_numbers from public, anon, authenticated;
grant select, insert, update on private.evidence_manifest_numbers to service_role;

-- A manifest's numbers (still sealed) for the service path and for members who may read its
-- manifest (evidence.export in its organization, the evidence_manifests policy); null for
-- anyone else.
create function private.evidence_manifest_numbers_of(p_org uuid, p_manifest uuid) returns text[]
language sql stable security definer
set search_path = ''
as $$
  select n.numbers from private.evidence_manifest_numbers n
  where n.manifest_id = p_manifest and n.organization_id = p_org
    and (current_setting('role', true) = 'service_role' or p_org = any ((select private.org_ids_allowing('evidence.export'))::uuid[]))
$$;
revoke all on function private.evidence_manifest_numbers_of(uuid, uuid) from public;
grant execute on function private.evidence_manifest_numbers_of(uuid, uuid) to authenticated, service_role;

-- The stored form of a manifest (the walk lib/evidence-sealing/stored-manifest.ts withoutNumbers
-- makes): every string that is an E.164 number or starts with `pn-ref:` becomes `pn-ref:<i>`,
-- appended to `numbers` at index i. Object keys are names, never numbers, and stay.
create function private.manifest_without_numbers(p_value jsonb, p_numbers text[] default '{}', out stored jsonb, out numbers text[])
language plpgsql immutable
set search_path = ''
as $$
declare
  v_text text;
  v_key text;
  v_member jsonb;
  v_walked record;
begin
  numbers := p_numbers;
  case jsonb_typeof(p_value)
    when 'string' then
      v_text := p_value #>> '{}';
      if v_text ~ '^\+[1-9][0-9]{6,14}$' or starts_with(v_text, 'pn-ref:') then
        numbers := numbers || v_text;
        stored := to_jsonb('pn-ref:' || (cardinality(numbers) - 1));
      else
        stored := p_value;
      end if;
    when 'array' then
      stored := '[]'::jsonb;
      for v_member in select e.value from jsonb_array_elements(p_value) with ordinality e (value, i) order by e.i loop
        v_walked := private.manifest_without_numbers(v_member, numbers);
        stored := stored || jsonb_build_array(v_walked.stored);
        numbers := v_walked.numbers;
      end loop;
    when 'object' then
      stored := '{}'::jsonb;
      for v_key, v_member in select e.key, e.value from jsonb_each(p_value) e loop
        v_walked := private.manifest_without_numbers(v_member, numbers);
        stored := stored || jsonb_build_object(v_key, v_walked.stored);
        numbers := v_walked.numbers;
      end loop;
    else
      stored := p_value;
  end case;
end
$$;
revoke all on function private.manifest_without_numbers(jsonb, text[]) from public;

-- The versions sealed before this migration. A migration cannot seal (the keys are not in the
-- database): the numbers move to the side table in E.164, which opens as itself
-- (lib/pii/numbers.ts), and the re-sealing pass seals them. Lifting the immutability trigger
-- for these two statements is safe: the transform is deterministic and loses nothing (every
-- string taken out is kept, and the signed bytes are the canonical JSON of the manifest put
-- back together), and every read checks the reconstituted bytes against manifest_sha256,
-- which this migration does not touch, so a faulty transform would fail loudly, never read as
-- different evidence. The table lock keeps a sealing job out meanwhile.
lock table public.evidence_manifests in access exclusive mode;
insert into private.evidence_manifest_numbers (manifest_id, organization_id, numbers)
select m.id, m.organization_id, (private.manifest_without_numbers(m.manifest)).numbers
from public.evidence_manifests m;

alter table public.evidence_manifests drop constraint evidence_manifests_jws_check;
alter table public.evidence_manifests disable trigger evidence_manifests_immutable;
update public.evidence_manifests m
set manifest = (private.manifest_without_numbers(m.manifest)).stored,
    jws = split_part(m.jws, '.', 1) || '..' || split_part(m.jws, '.', 3);
alter table public.evidence_manifests enable trigger evidence_manifests_immutable;

-- A stored JWS carries no payload any more.
alter table public.evidence_manifests
  add constraint evidence_manifests_jws_check check (jws ~ '^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$');
