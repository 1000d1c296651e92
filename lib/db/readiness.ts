import "server-only";
import { sql } from "@/lib/db/client";
import { migrationStatus, readMigrationFiles, type MigrationFile } from "@/lib/db/migrate";

export interface Readiness {
  ready: boolean;
  database: "ok" | "unreachable";
  migrations: "current" | "pending" | "changed" | "unknown";
  pending: string[];
  changed: string[];
}

const TIMEOUT_MS = 3000;

// The files ship with the deployment and do not change while it runs: read and hash them once,
// not on every probe.
let shipped: Promise<MigrationFile[]> | undefined;

/** Database reachable within 3 s, and every migration file applied unchanged. */
export async function readiness(): Promise<Readiness> {
  const unreachable: Readiness = { ready: false, database: "unreachable", migrations: "unknown", pending: [], changed: [] };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), TIMEOUT_MS);
  });
  try {
    shipped ??= readMigrationFiles("migrations").catch((err: unknown) => {
      shipped = undefined;
      throw err;
    });
    const status = await Promise.race([migrationStatus(sql(), process.cwd(), await shipped), timeout]);
    if (!status) return unreachable;
    const migrations = status.changed.length ? "changed" : status.pending.length ? "pending" : "current";
    return { ready: migrations === "current", database: "ok", migrations, pending: status.pending, changed: status.changed };
  } catch {
    return unreachable;
  } finally {
    clearTimeout(timer);
  }
}
