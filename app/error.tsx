"use client";

/**
 * When a page cannot be rendered at all (the database unreachable while the session is read,
 * say): a plain explanation, the reference the server logged it under, and a retry — never a
 * blank screen. Panels that fail on their own say so in place (components/*); this is the last
 * resort. (Next's `retry` re-fetches and re-renders the segment.)
 */
export default function PageError({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = error instanceof Error && "digest" in error && typeof error.digest === "string" ? error.digest : null;
  return (
    <main className="mx-auto max-w-xl px-6 py-16">
      <div role="alert" className="rounded-lg border border-red-200 bg-white p-6 shadow-sm">
        <h1 className="text-lg font-semibold">This page could not be loaded</h1>
        <p className="mt-2 text-sm">
          The server could not finish the page, usually because the database or a provider did not answer in time.
          Nothing you entered was lost. Try again in a moment.
        </p>
        {digest ? <p className="mt-2 text-xs text-muted">Reference for support: <code>{digest}</code></p> : null}
        <button type="button" onClick={() => retry()}
          className="mt-4 rounded border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-100">
          Try again
        </button>
      </div>
    </main>
  );
}
