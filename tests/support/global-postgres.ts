import path from "node:path";
import type { TestProject } from "vitest/node";
import { connect } from "@/lib/db/client";
import { embeddedLayout, startEmbeddedPostgres } from "@/scripts/embedded-postgres";
import { migrate } from "@/lib/db/migrate";
import { installJobSchema } from "@/lib/worker/schema";
import { rm } from "node:fs/promises";

/**
 * One embedded Postgres for the integration run, with a template database that has every
 * migration applied. Each test file clones the template (tests/support/throwaway-database.ts),
 * so files never see each other's rows and cloning costs milliseconds, not a migration run.
 */
export const TEMPLATE_DB = "verbatim_template";

export default async function setup(project: TestProject) {
  const port = Number(process.env.TEST_PG_PORT ?? 54410);
  // One directory per port, so runs on different ports never delete each other's cluster.
  const dataDir = path.resolve(`.test-data/vitest-pg-${port}`);
  // As root from a directory the postgres user cannot enter, the cluster lives under /var/tmp.
  const { dataDir: pgDir } = await embeddedLayout(dataDir);
  await rm(dataDir, { recursive: true, force: true });
  await rm(pgDir, { recursive: true, force: true });
  const server = await startEmbeddedPostgres({ dataDir, port, database: TEMPLATE_DB, ephemeral: true });
  const db = connect(server.url, 1);
  await migrate(db);
  await db.end();
  await installJobSchema(server.url);
  project.provide("pgAdminUrl", server.urlFor("postgres"));
  project.provide("pgTemplate", TEMPLATE_DB);
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(server.dataDir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}
