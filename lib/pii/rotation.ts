import "server-only";
import { asService } from "@/lib/db";
import { keyRing, resetKeyRing } from "@/lib/pii/keys";
import { forgetCurrentDataKeys, mintDataKey, unwrapDataKey, wrapDataKey } from "@/lib/pii/numbers";

/**
 * Rotation, the database's half: re-wraps every data key under the primary KEK (after a new
 * KEK was put first), and with `newDataKeys` makes a new current data key for every
 * organization that has one, so the values sealed under the one before can be re-sealed under it (docs/adr/0044).
 * `orgIds` narrows it to those organizations (tests); null is every one. Returns counts.
 */
export async function rotateNumberKeys({ newDataKeys, orgIds = null }: { newDataKeys: boolean; orgIds?: string[] | null }): Promise<{ rewrapped: number; minted: number }> {
  resetKeyRing();
  const { primary } = await keyRing();
  return asService(async (tx) => {
    const keys = await tx<{ id: string; orgId: string; kekId: string; wrapped: string }[]>`
      select id, organization_id as "orgId", kek_id as "kekId", wrapped from private.number_data_keys
      where kek_id <> ${primary.id} and (${orgIds}::uuid[] is null or organization_id = any (${orgIds}::uuid[])) for update`;
    for (const k of keys) {
      const wrapped = wrapDataKey(primary, k.orgId, k.id, await unwrapDataKey(k));
      await tx`update private.number_data_keys set kek_id = ${primary.id}, wrapped = ${wrapped} where id = ${k.id}`;
    }
    let minted = 0;
    if (newDataKeys) {
      const orgs = await tx<{ orgId: string }[]>`
        select distinct organization_id as "orgId" from private.number_data_keys
        where current and (${orgIds}::uuid[] is null or organization_id = any (${orgIds}::uuid[]))`;
      for (const { orgId } of orgs) await mintDataKey(tx, orgId, { replace: true });
      minted = orgs.length;
    }
    forgetCurrentDataKeys();
    return { rewrapped: keys.length, minted };
  });
}
