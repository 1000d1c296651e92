import * as Sentry from "@sentry/nextjs";

/**
 * Runs once per server process. Sentry starts only when SENTRY_DSN is set; without it nothing
 * is sent anywhere. The in-process job worker starts here in the embedded default.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { config } = await import("@/lib/config");
  const { sentryDsn, nodeEnv } = config();
  if (sentryDsn) {
    Sentry.init({ dsn: sentryDsn, environment: nodeEnv, tracesSampleRate: 0.1 });
  }
  // The embedded default runs background jobs in this process (JOBS_IN_PROCESS); production
  // usually runs `npm run worker` instead. Failing to start is logged, never fatal.
  const { startInProcessWorker } = await import("@/lib/worker/runner");
  await startInProcessWorker();
}

export const onRequestError = Sentry.captureRequestError;
