"use client";

import { ModalDialog } from "@/components/shared/modal-dialog";
import { TargetsPanel } from "@/components/targets/targets-panel";
import type { Plan, Role } from "@/lib/rbac/policy";

/** The saved targets in a modal dialog; loaded on the header button's first click. */
export function TargetsDialog({ orgId, role, plan, onClose }: { orgId: string; role: Role; plan: Plan; onClose: () => void }) {
  return (
    <ModalDialog title="Saved targets" onClose={onClose} testId="targets-dialog">
      <TargetsPanel orgId={orgId} role={role} plan={plan} />
    </ModalDialog>
  );
}
