/** Any path the app does not have. */
export default function NotFound() {
  return (
    <main className="mx-auto max-w-xl px-6 py-16">
      <h1 className="text-lg font-semibold">Page not found</h1>
      <p className="mt-2 text-sm">There is nothing at this address. The Voice Operations page is where calls, settings and evidence live.</p>
      {/* A full load of / (its session check and first paint), and no client router in this page's JavaScript. */}
      {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
      <p className="mt-4 text-sm"><a href="/" className="font-medium text-blue-800 underline">Open Voice Operations</a></p>
    </main>
  );
}
