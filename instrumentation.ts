import * as Sentry from "@sentry/nextjs";

/**
 * Runs once per server process. Sentry starts only when SENTRY_DSN is set; without it nothing
 * is sent anywhere.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { config } = await import("@/lib/config");
  const { sentryDsn, nodeEnv } = config();
  if (sentryDsn) {
    Sentry.init({ dsn: sentryDsn, environment: nodeEnv, tracesSampleRate: 0.1 });
  }
}

export const onRequestError = Sentry.captureRequestError;
