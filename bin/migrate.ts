/** `npm run migrate`: apply pending migrations to DATABASE_URL. */
import { closeDb, sql } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { installJobSchema } from "@/lib/worker/schema";
import { requireDatabaseUrl } from "@/lib/config";

try {
  const applied = await migrate(sql(), { log: (line) => console.log(`• ${line}`) });
  console.log(applied.length ? `✔ applied ${applied.length} migration(s)` : "✔ already up to date");
  await installJobSchema(requireDatabaseUrl());
  console.log("✔ job queue schema (graphile_worker) is installed");
} catch (err) {
  console.error(`✖ ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await closeDb();
}
