import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "Verbatim — Voice Operations",
  description: "Place and watch business calls; keep verifiable evidence of what was said.",
  icons: { icon: [{ url: "/favicon.svg", type: "image/svg+xml" }, { url: "/favicon.ico", sizes: "32x32" }] },
  // A private application: nothing here is for search engines (public/robots.txt says so too).
  robots: { index: false, follow: false },
};

/**
 * Every page is rendered per request, the not-found page included: the proxy gives each
 * request a Content-Security-Policy nonce, and a page prerendered at build time would carry no
 * nonce, so its scripts would be refused (docs/adr/0026).
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
