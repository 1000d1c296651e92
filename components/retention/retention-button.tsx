"use client";

import { lazy } from "react";
import { DialogButton } from "@/components/shared/dialog-button";
import type { Plan, Role } from "@/lib/rbac/policy";

// The dialog and its three panels load on the first click: neither the page's first load nor
// its settled load carries them (tests/e2e/page-weight.spec.ts).
const RetentionDialog = lazy(() => import("@/components/retention/retention-dialog").then((m) => ({ default: m.RetentionDialog })));

/** "Retention" for members who may read retention (the page renders it only for them): opens the retention dialog. */
export function RetentionButton({ orgId, role, plan, campaigns }: { orgId: string; role: Role; plan: Plan; campaigns: boolean }) {
  return (
    <DialogButton label="Retention" opening="Opening retention…"
      dialog={(close) => <RetentionDialog orgId={orgId} role={role} plan={plan} campaigns={campaigns} onClose={close} />} />
  );
}
