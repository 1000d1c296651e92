import { describe, expect, it } from "vitest";
import { isMalformedPath, malformedPathAnswer } from "@/lib/http/malformed-path";

describe("a request path that does not decode", () => {
  it("is told from one that does, in any segment, whatever the query says", () => {
    for (const bad of ["/invite/%c0", "/api/storage/%c0%ae", "/api/calls/%c0", "/api/members/%E0%A4%A", "/api/calls/abc/%", "/%ff/x"]) {
      expect(isMalformedPath(bad), bad).toBe(true);
    }
    for (const good of ["/", "/api/calls/abc", "/invite/abc%20def", "/api/calls?q=%c0", "/api/x/%C3%A9", "/login#%c0"]) {
      expect(isMalformedPath(good), good).toBe(false);
    }
  });

  it("answers 400 in the error shape, keeping a sane request id", () => {
    const answer = malformedPathAnswer(new Headers({ "x-request-id": "req-12345678" }));
    expect(answer.status).toBe(400);
    expect(answer.headers["x-request-id"]).toBe("req-12345678");
    expect(JSON.parse(answer.body)).toEqual({ error: { code: "invalid_request", message: expect.stringContaining("percent-escape"), requestId: "req-12345678" } });
  });
});
