"use client";

import { lazy } from "react";
import { DialogButton } from "@/components/shared/dialog-button";

// The dialog, its charts and the charting library load on the first click: neither the page's
// first load nor its settled load carries them.
const InsightsDialog = lazy(() => import("@/components/insights/insights-dialog").then((m) => ({ default: m.InsightsDialog })));

/** "Insights" for members who may read them (the page renders it only for them): opens the insights dialog. */
export function InsightsButton({ orgId }: { orgId: string }) {
  return <DialogButton label="Insights" opening="Opening insights…" dialog={(close) => <InsightsDialog orgId={orgId} onClose={close} />} />;
}
