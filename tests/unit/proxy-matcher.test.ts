import { unstable_doesMiddlewareMatch as matches } from "next/experimental/testing/server";
import { describe, expect, it } from "vitest";
import { isPublicPath } from "@/lib/auth/gate";
import { config } from "@/proxy";

/**
 * Which requests enter the proxy, asked of Next's own matcher code. Machine-to-machine routes
 * stay out; everything a person or a session-bearing client calls goes through, except the
 * verify upload, which checks its own session. Anything else the matcher lets past the proxy
 * must also be public in the auth gate, or the two lists drifted.
 */
const bypass = [
  "/api/webhooks/signalwire/00000000-0000-4000-8000-000000000000/status",
  "/api/webhooks/signalwire/00000000-0000-4000-8000-000000000000/recording",
  "/api/laml/00000000-0000-4000-8000-000000000000",
  "/api/laml/00000000-0000-4000-8000-000000000000/gather",
  "/api/health/live",
  "/api/health/ready",
  "/api/storage/org/call/rec.wav",
  "/favicon.ico",
  "/favicon.svg",
  "/robots.txt",
];
/**
 * Member routes kept out of the proxy because Next buffers and cuts (at 10 MB) the body of
 * every request the proxy runs on (docs/adr/0028); `memberRoute` checks their session.
 */
const ownSession = ["/api/evidence/verify"];
const gated = [
  "/api/evidence/verify/x",
  "/api/evidence/verifyx",
  "/api/evidence/exports",
  "/",
  "/login",
  "/api/me",
  "/api/calls",
  "/api/calls/00000000-0000-4000-8000-000000000000",
  "/api/auth/sign-in",
  "/api/health",
  "/api/webhooksx/a",
  "/api/lamlx",
  "/api/storage",
  "/api/invitations/accept",
  "/invite/abc",
  "/favicon.icon",
  "/favicon.svg/x",
  "/robots.txt.bak",
];

describe("proxy matcher", () => {
  it("keeps webhooks, LaML, health probes and signed storage URLs out of the proxy", () => {
    for (const url of bypass) expect(matches({ config, url }), url).toBe(false);
  });

  it("runs the proxy on pages and every other API route", () => {
    for (const url of gated) expect(matches({ config, url }), url).toBe(true);
  });

  it("only skips paths the auth gate also treats as public", () => {
    for (const url of bypass) expect(isPublicPath(url), url).toBe(true);
  });

  it("keeps the evidence upload out of the proxy, and it is not public", () => {
    for (const url of ownSession) {
      expect(matches({ config, url }), url).toBe(false);
      expect(isPublicPath(url), url).toBe(false);
    }
  });
});
