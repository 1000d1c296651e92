/**
 * `npm run user:create -- --email a@b.c --org "Name" [--plan base|pro|insights|global] [--existing]`
 * Makes the first owner on an empty database: the organization, the person (a local account
 * with a password from PASSWORD or the terminal; with --existing, a person who already signed up
 * through Supabase Auth), and the owner membership. Refuses once anyone is a member: from then
 * on owners and admins invite people from the app, and they join by accepting.
 */
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createLocalUser } from "@/lib/auth/local";
import { closeDb } from "@/lib/db/client";
import { asService } from "@/lib/db";
import { PLANS } from "@/lib/rbac/policy";

const { values } = parseArgs({
  options: {
    email: { type: "string" },
    org: { type: "string" },
    plan: { type: "string", default: "base" },
    existing: { type: "boolean", default: false },
  },
});

const input = z
  .object({
    email: z.email("--email must be an email address"),
    org: z.string().trim().min(1, "--org is required").max(200),
    plan: z.enum(PLANS, { message: `--plan must be one of ${PLANS.join(", ")}` }),
  })
  .safeParse(values);

async function readPassword(): Promise<string> {
  if (process.env.PASSWORD) return process.env.PASSWORD;
  if (!process.stdin.isTTY) throw new Error("Set PASSWORD, or run in a terminal to be asked for it.");
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Hide what is typed: write nothing back while the answer is entered.
  const write = (rl as unknown as { _writeToOutput: (s: string) => void });
  const original = write._writeToOutput.bind(rl);
  write._writeToOutput = (s: string) => (s.includes("Password") ? original(s) : undefined);
  const password = await rl.question("Password (12+ characters): ");
  rl.close();
  process.stdout.write("\n");
  return password;
}

async function main(): Promise<void> {
  if (!input.success) throw new Error(input.error.issues.map((i) => i.message).join("; "));
  const { email, org, plan } = input.data;
  const [count] = await asService((tx) => tx<{ members: number }[]>`select count(*)::int as members from public.org_members`);
  if (count!.members > 0) {
    throw new Error("This database already has members. Owners and admins invite people from the app.");
  }
  let userId: string;
  if (values.existing) {
    const [row] = await asService((tx) => tx<{ id: string }[]>`select id from auth.users where email = ${email.toLowerCase()}`);
    if (!row) throw new Error(`No account uses ${email}: sign up through Supabase Auth first.`);
    userId = row.id;
  } else {
    const password = await readPassword();
    if (password.length < 12) throw new Error("The password needs at least 12 characters.");
    userId = (await createLocalUser(email, password)).id;
  }
  const orgId = await asService(async (tx) => {
    const [created] = await tx<{ id: string }[]>`insert into public.organizations (name, plan) values (${org}, ${plan}) returning id`;
    await tx`insert into public.voice_configs (organization_id) values (${created!.id})`;
    await tx`insert into public.org_members (organization_id, user_id, role) values (${created!.id}, ${userId}, 'owner')`;
    return created!.id;
  });
  console.log(`✔ ${email} owns "${org}" (${plan}), organization ${orgId}`);
}

try {
  await main();
} catch (err) {
  console.error(`✖ ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await closeDb();
}
