import "server-only";
import type { TaskList } from "graphile-worker";
import { jobContext } from "@/lib/jobs/context";
import { ingestRecording } from "@/lib/jobs/tasks/ingest-recording";
import { reconcileCalls } from "@/lib/jobs/tasks/reconcile-calls";
import type { TaskName } from "@/lib/jobs/task-names";

/**
 * The worker's task list: plain modules imported here (no task directory on disk, which a
 * bundled Next server would not have). A task that throws is retried by graphile-worker with
 * exponential backoff (run_at + e^min(attempts,10) seconds) until max_attempts.
 */
export const taskList: Record<TaskName, NonNullable<TaskList[string]>> = {
  ingest_recording: async (payload, helpers) => {
    await ingestRecording(payload, jobContext(helpers));
  },
  reconcile_calls: async (_payload, helpers) => {
    await reconcileCalls({ log: jobContext(helpers).log });
  },
};
