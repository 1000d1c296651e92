import "server-only";
import { runMigrations } from "graphile-worker";
import { logger } from "@/lib/logger";
import { graphileLogger } from "@/lib/worker/graphile-log";

/**
 * Install or upgrade graphile-worker's schema (`graphile_worker`) so `graphile_worker.add_job`,
 * which `private.enqueue_job` wraps, exists before the app serves. Run after `migrate()` by
 * `npm run migrate`, the dev orchestrator and the test template; the worker also does it when
 * it starts. Idempotent and safe to run concurrently (graphile-worker takes its own lock).
 */
export async function installJobSchema(connectionString: string): Promise<void> {
  await runMigrations({
    connectionString,
    maxPoolSize: 2,
    logger: graphileLogger(logger().child({ component: "jobs" })),
  });
}
