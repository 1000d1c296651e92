import "server-only";
import type { Tx } from "@/lib/db";
import { NotFoundError } from "@/lib/errors";

/** The campaign insights are narrowed to (`campaign=`). */
export interface CampaignRef { id: string; name: string }

/**
 * The campaign named by `campaign=`, read as the member (RLS): another organization's, an
 * unknown one, or one this member's plan or role cannot see is 404, as on /api/campaigns/:id.
 */
export async function resolveCampaign(tx: Tx, orgId: string, id: string | undefined): Promise<CampaignRef | null> {
  if (id === undefined) return null;
  const [row] = await tx<CampaignRef[]>`select id, name from public.campaigns where organization_id = ${orgId} and id = ${id}::uuid`;
  if (!row) throw new NotFoundError("No such campaign.");
  return row;
}
