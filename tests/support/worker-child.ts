/**
 * A job worker in a process of its own, for tests/integration/dead-workers.test.ts to freeze or
 * kill: `startWorker` with one task, `hold_probe`, which prints the job's id and never returns.
 * Prints `{"started":true}` once its worker runs.
 *
 *   DATABASE_URL=… node --conditions=react-server --import tsx tests/support/worker-child.ts
 */
import { startWorker } from "@/lib/worker/runner";

await startWorker({
  crontab: false,
  pollInterval: 100,
  concurrency: 1,
  taskList: {
    hold_probe: async (_payload, helpers) => {
      console.log(JSON.stringify({ running: helpers.job.id }));
      await new Promise(() => {});
    },
  },
});
console.log(JSON.stringify({ started: true }));
