/**
 * `npm run bench:page-weight -- [--base-url http://127.0.0.1:3000] [--path /] [--email E] [--password P]`
 *
 * How much JavaScript a page makes the browser download, measured from a running production
 * build (`npm run build && npm start`), the way a browser sees it: sign in (as the demo
 * operator; `/` redirects to /login without a session), fetch the page's HTML, then every
 * script it references (`<script src>` but not `nomodule`, and `<link rel=preload|modulepreload
 * as=script>`),
 * gzip each with node:zlib at the default level, and sum. Fetching rather than reading Next's
 * build manifests means the figure is what this page actually references, whatever the
 * bundler decided. Scripts the page loads later on its own (dynamic imports) are not in the
 * HTML: tests/e2e/page-weight.spec.ts measures in Chromium what the page really loaded.
 * Inline scripts (the RSC payload) are reported separately: they are data, not code.
 *
 * Prints figures; asserts nothing (the e2e spec holds the 151 kB budget for `/`).
 */
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { DEMO_PASSWORD } from "@/scripts/seed";
import { attr, scriptUrls } from "@/scripts/page-scripts";

const { values } = parseArgs({
  options: {
    "base-url": { type: "string", default: "http://127.0.0.1:3000" },
    path: { type: "string", default: "/" },
    email: { type: "string", default: "operator@acme.test" },
    password: { type: "string", default: DEMO_PASSWORD },
  },
});
const BASE = values["base-url"]!.replace(/\/$/, "");

async function signIn(): Promise<string> {
  const res = await fetch(`${BASE}/api/auth/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: values.email, password: values.password }),
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

function inlineScriptBytes(html: string): number {
  let total = 0;
  for (const [, attrs, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!attr(`<x ${attrs}>`, "src")) total += Buffer.byteLength(body!);
  }
  return total;
}

async function main(): Promise<void> {
  const cookie = await signIn();
  const pageUrl = `${BASE}${values.path}`;
  const page = await fetch(pageUrl, { headers: { cookie }, redirect: "manual" });
  if (page.status !== 200) throw new Error(`${values.path} answered ${page.status}, not 200`);
  const html = await page.text();
  const urls = scriptUrls(html, pageUrl);

  const rows: { url: string; raw: number; gzip: number }[] = [];
  for (const url of urls) {
    const res = await fetch(url, { headers: { cookie, "accept-encoding": "identity" } });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    rows.push({ url, raw: body.length, gzip: gzipSync(body).length });
  }
  rows.sort((a, b) => b.gzip - a.gzip);
  const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;
  console.log(`JavaScript referenced by ${values.path} (${rows.length} files), gzip (node:zlib default level) / raw:`);
  for (const r of rows) console.log(`  ${kb(r.gzip).padStart(9)}  ${kb(r.raw).padStart(9)}  ${new URL(r.url).pathname}`);
  const gzip = rows.reduce((s, r) => s + r.gzip, 0);
  const raw = rows.reduce((s, r) => s + r.raw, 0);
  const inline = inlineScriptBytes(html);
  console.log(`\n  total      ${kb(gzip)} gzip (${(gzip / 1024).toFixed(1)} KiB), ${kb(raw)} raw`);
  console.log(`  inline     ${kb(inline)} raw in inline <script> (RSC payload; not counted above)`);
}

main().catch((err: unknown) => {
  console.error(`✖ ${(err as Error).message}`);
  process.exitCode = 1;
});
