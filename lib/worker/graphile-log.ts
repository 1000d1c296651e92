import "server-only";
import { Logger as GraphileLogger, type LogFunctionFactory, type LogLevel } from "graphile-worker";
import type { Logger } from "@/lib/logger";

/**
 * graphile-worker's logger, writing through pino. Its metadata is dropped on purpose: the
 * "Failed task" line carries the whole job, payload included, and an ingest payload holds the
 * provider's RecordingUrl (a bearer URL). Task failures are logged by the worker's `job:error`
 * handler instead (lib/worker/runner.ts), with task, attempt and message as fields. Its success
 * lines are dropped too: the worker logs each run itself, at debug, with the job's key ("job run").
 */
const LEVEL: Record<LogLevel, "error" | "warn" | "info" | "debug"> = {
  error: "error",
  warning: "warn",
  info: "info",
  debug: "debug",
};

export function graphileLogger(log: Logger): GraphileLogger {
  const factory: LogFunctionFactory = (scope) => (level, message, meta) => {
    if (meta?.failure === true || meta?.success === true) return;
    const target = LEVEL[level] ?? "info";
    log[target](
      { source: "graphile-worker", workerId: scope.workerId, task: scope.taskIdentifier, jobId: scope.jobId },
      message,
    );
  };
  return new GraphileLogger(factory);
}
