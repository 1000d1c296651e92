"use client";

import { lazy } from "react";
import { DialogButton } from "@/components/shared/dialog-button";
import type { Role } from "@/lib/rbac/policy";

// The dialog and everything in it load on the first click: the page's first load does not carry them.
const SettingsDialog = lazy(() => import("@/components/settings/settings-dialog").then((m) => ({ default: m.SettingsDialog })));

/** "Settings" for owners and admins (the page renders it only for them): opens the settings dialog. */
export function SettingsButton({ orgId, role }: { orgId: string; role: Role }) {
  return <DialogButton label="Settings" opening="Opening settings…" dialog={(close) => <SettingsDialog orgId={orgId} role={role} onClose={close} />} />;
}
