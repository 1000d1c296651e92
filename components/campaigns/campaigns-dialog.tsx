"use client";

import { ModalDialog } from "@/components/shared/modal-dialog";
import { CampaignsPanel } from "@/components/campaigns/campaigns-panel";
import type { Plan, Role } from "@/lib/rbac/policy";

/** The campaigns in a modal dialog; loaded on the header button's first click. */
export function CampaignsDialog({ orgId, role, plan, onClose }: { orgId: string; role: Role; plan: Plan; onClose: () => void }) {
  return (
    <ModalDialog title="Campaigns" onClose={onClose} testId="campaigns-dialog">
      <CampaignsPanel orgId={orgId} role={role} plan={plan} />
    </ModalDialog>
  );
}
