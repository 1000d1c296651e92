import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { sql } from "@/lib/db/client";

/** `npm run user:create` as an operator runs it, against this file's empty database. */
const run = promisify(execFile);
const userCreate = (args: string[], env: Record<string, string> = {}) =>
  run("node_modules/.bin/tsx", ["--conditions=react-server", "bin/user-create.ts", ...args], {
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }),
  );

describe("npm run user:create", () => {
  it("refuses bad arguments and short passwords with a message", async () => {
    expect(await userCreate(["--email", "nope", "--org", "X"], { PASSWORD: "long enough password" })).toMatchObject({ code: 1 });
    const short = await userCreate(["--email", "first@example.test", "--org", "First Org"], { PASSWORD: "short" });
    expect(short.code).toBe(1);
    expect(short.out).toMatch(/at least 12 characters/);
    const badPlan = await userCreate(["--email", "first@example.test", "--org", "First Org", "--plan", "gold"], { PASSWORD: "long enough password" });
    expect(badPlan.out).toMatch(/--plan must be one of base, pro, insights, global/);
  }, 60_000);

  it("makes the first owner on an empty database, then refuses to run again", async () => {
    const first = await userCreate(["--email", "First@Example.test", "--org", "First Org", "--plan", "pro"], { PASSWORD: "a long enough password" });
    expect(first.code, first.out).toBe(0);
    const [row] = await sql()`
      select u.email, u.encrypted_password, m.role::text, o.name, o.plan::text
      from auth.users u join public.org_members m on m.user_id = u.id join public.organizations o on o.id = m.organization_id`;
    expect(row).toMatchObject({ email: "first@example.test", role: "owner", name: "First Org", plan: "pro" });
    expect(row!.encrypted_password).toMatch(/^\$argon2id\$/);
    const [config] = await sql()`select count(*)::int as n from public.voice_configs`;
    expect(config!.n).toBe(1);

    const second = await userCreate(["--email", "second@example.test", "--org", "Second"], { PASSWORD: "a long enough password" });
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/already has members/);
  }, 60_000);
});
