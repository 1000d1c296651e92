import { describe, expect, it } from "vitest";
import { isApiPath, isPublicPath, safeNextPath } from "@/lib/auth/gate";
import { requestIdFrom } from "@/lib/http/request-id";

describe("auth gate", () => {
  it("lets through only sign-in, health probes, the signed provider endpoints, signed storage URLs, invitation links and address proofs", () => {
    for (const p of ["/login", "/api/auth/sign-in", "/api/health/live", "/api/health/ready", "/api/webhooks/signalwire/x/status", "/api/laml/x", "/api/storage/org/call/rec.wav", "/invite/abc", "/api/invitations/preview", "/api/invitations/accept", "/api/auth/session", "/password", "/password/abc", "/api/auth/address-proof", "/api/auth/address-proof/confirm", "/api/metrics"]) {
      expect(isPublicPath(p), p).toBe(true);
    }
    for (const p of ["/", "/api/me", "/api/auth/sign-out", "/api/calls", "/api/health", "/login/extra", "/api/auth/sign-in-x", "/api/lamlx", "/api/storage", "/api/storagex/a", "/api/invitations", "/api/invitations/x", "/invite", "/invitex/a", "/passwordx", "/api/auth/address-proof/x", "/api/auth/address-proofs", "/api/metrics/x", "/api/metricsx"]) {
      expect(isPublicPath(p), p).toBe(false);
    }
    expect(isApiPath("/api/me")).toBe(true);
    expect(isApiPath("/apiary")).toBe(false);
  });

  it("only returns to same-site paths after sign-in", () => {
    expect(safeNextPath("/calls?x=1")).toBe("/calls?x=1");
    expect(safeNextPath("//evil.example")).toBe("/");
    expect(safeNextPath("/\\evil.example")).toBe("/");
    expect(safeNextPath("https://evil.example")).toBe("/");
    expect(safeNextPath(undefined)).toBe("/");
  });
});

describe("request ids", () => {
  it("keeps a sane incoming id and replaces anything else", () => {
    expect(requestIdFrom(new Headers({ "x-request-id": "abc-12345678" }))).toBe("abc-12345678");
    expect(requestIdFrom(new Headers({ "x-request-id": "bad id with spaces" }))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom(new Headers())).toMatch(/^[0-9a-f-]{36}$/);
  });
});
