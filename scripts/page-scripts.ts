/**
 * Which external scripts a page's HTML makes a browser download on first load: `<script src>`
 * (not `nomodule`) and `<link rel=modulepreload>` / `<link rel=preload as=script>`. Shared by
 * `npm run bench:page-weight` and tests/e2e/page-weight.spec.ts, so both count the same files.
 */
export function attr(tag: string, name: string): string | undefined {
  return tag.match(new RegExp(`\\s${name}=(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i"))?.slice(1).find((v) => v !== undefined);
}

/** External script URLs an HTML document references, in order, without duplicates. */
export function scriptUrls(html: string, pageUrl: string): string[] {
  const urls = new Set<string>();
  for (const [tag] of html.matchAll(/<script\b[^>]*>/gi)) {
    const src = attr(tag, "src");
    // `nomodule` scripts (Next's legacy polyfills) are never downloaded by a modern browser.
    if (src && !/\snomodule\b/i.test(tag)) urls.add(new URL(src.replaceAll("&amp;", "&"), pageUrl).toString());
  }
  for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
    const rel = attr(tag, "rel")?.toLowerCase();
    const as = attr(tag, "as")?.toLowerCase();
    const href = attr(tag, "href");
    if (href && (rel === "modulepreload" || (rel === "preload" && as === "script"))) urls.add(new URL(href.replaceAll("&amp;", "&"), pageUrl).toString());
  }
  return [...urls];
}
