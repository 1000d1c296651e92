"use client";

import { ErasurePanel } from "@/components/retention/erasure-panel";
import { HoldsPanel } from "@/components/retention/holds-panel";
import { PoliciesPanel } from "@/components/retention/policies-panel";
import { ModalDialog } from "@/components/shared/modal-dialog";
import type { Plan, Role } from "@/lib/rbac/policy";

/**
 * Retention policies, legal holds and erasure (docs/adr/0037) in one modal dialog, loaded on the
 * header button's first click. Each panel loads and fails on its own. What a role may change is
 * offered from lib/rbac/policy.ts; the server still decides, and its refusal is shown as it says it.
 */
export function RetentionDialog({ orgId, role, plan, campaigns, onClose }: { orgId: string; role: Role; plan: Plan; campaigns: boolean; onClose: () => void }) {
  return (
    <ModalDialog title="Retention, holds and erasure" onClose={onClose} testId="retention-dialog">
      <div className="space-y-8">
        <PoliciesPanel orgId={orgId} role={role} plan={plan} />
        <HoldsPanel orgId={orgId} role={role} plan={plan} campaigns={campaigns} />
        <ErasurePanel orgId={orgId} role={role} plan={plan} />
      </div>
    </ModalDialog>
  );
}
