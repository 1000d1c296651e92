// Browser errors go to Sentry only when a public DSN is configured at build time. Without one
// the SDK is never downloaded: it is imported dynamically, and only behind the DSN check, so
// the page's own JavaScript does not carry it (it used to be most of the largest file).
const dsn = process.env.NEXT_PUBLIC_SENTRY_DSN;

type Sentry = typeof import("@sentry/nextjs");
let sentry: Sentry | undefined;

if (dsn) {
  void import("@sentry/nextjs").then((loaded) => {
    loaded.init({ dsn, tracesSampleRate: 0.1 });
    sentry = loaded;
  });
}

/** Navigation spans for Sentry's tracing; a no-op until (and unless) the SDK has loaded. */
export function onRouterTransitionStart(href: string, navigationType: string): void {
  sentry?.captureRouterTransitionStart(href, navigationType);
}
