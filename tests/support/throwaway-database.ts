import { afterAll, inject } from "vitest";
import { closeDb, connect } from "@/lib/db/client";
import { resetConfig } from "@/lib/config";

/**
 * Per test file: a fresh database cloned from the migrated template, made the process's
 * DATABASE_URL before any test code reads the config, and dropped afterwards.
 */
const adminUrl = inject("pgAdminUrl");
const name = `t_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

const admin = connect(adminUrl, 1);
await admin.unsafe(`create database "${name}" template "${inject("pgTemplate")}"`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
process.env.DATABASE_URL = url.toString();
process.env.SESSION_SECRET ??= "test-session-secret-that-is-long-enough-0123456789";
process.env.LOG_LEVEL ??= "silent";
resetConfig();

afterAll(async () => {
  await closeDb();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
});
