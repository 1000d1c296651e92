import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * One writer per record (ADR 0012): the call timeline has exactly one insert, the SQL function
 * private.append_call_event (called by lib/calls/timeline.ts and the one-statement status
 * report), and recordings are written only by lib/calls/recordings.ts. A second writer would
 * fork the hash chain the evidence log puts over the timeline.
 */
function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : files(full, ext);
    return ext.test(e.name) ? [full] : [];
  });
}

const code = ["app", "lib", "scripts", "components"].flatMap((d) => files(d, /\.tsx?$/))
  // The benchmark's raw SQL measures the database alone on purpose; it is not the app.
  .filter((f) => !/scripts\/bench-/.test(f));

function writersOf(pattern: RegExp, among: string[]): string[] {
  return among.filter((f) => pattern.test(readFileSync(f, "utf8")));
}

describe("one writer per record", () => {
  it("inserts into call_events in one SQL function and nowhere in the code", () => {
    const insert = /insert\s+into\s+public\.call_events/i;
    expect(writersOf(insert, code)).toEqual([]);
    expect(writersOf(insert, files("supabase/migrations", /\.sql$/)).map((f) => path.basename(f))).toEqual([
      "20261130005000_create_status_report_function.sql",
    ]);
  });

  /** The one place content is deleted: behind a sealed tombstone, never of a held call (docs/adr/0037). */
  const RETENTION = path.join("lib", "retention", "deletions.ts");

  it("writes recordings from lib/calls/recordings.ts only", () => {
    expect(writersOf(/(insert\s+into|update)\s+public\.recordings\b/i, code)).toEqual([path.join("lib", "calls", "recordings.ts")]);
  });

  it("writes call artifacts from lib/intelligence/artifacts.ts only, never updates them, and deletes them only in the retention job", () => {
    expect(writersOf(/insert\s+into\s+public\.call_artifacts\b/i, code)).toEqual([path.join("lib", "intelligence", "artifacts.ts")]);
    expect(writersOf(/update\s+public\.call_artifacts\b/i, code)).toEqual([]);
    // Behind a tombstone the delete gate checks (docs/adr/0037).
    expect(writersOf(/delete\s+from\s+public\.call_artifacts\b/i, code)).toEqual([RETENTION]);
  });

  it("writes transcription requests from lib/intelligence/transcriptions.ts only", () => {
    expect(writersOf(/(insert\s+into|update)\s+public\.transcriptions\b/i, code)).toEqual([path.join("lib", "intelligence", "transcriptions.ts")]);
  });

  it("writes surveys, scripts and their versions from lib/surveys/versions.ts only, and never updates or deletes them", () => {
    const tables = "surveys|survey_versions|shopper_scripts|shopper_script_versions";
    expect(writersOf(new RegExp(`insert\\s+into\\s+public\\.(${tables})\\b`, "i"), code)).toEqual([path.join("lib", "surveys", "versions.ts")]);
    expect(writersOf(new RegExp(`(update|delete\\s+from)\\s+public\\.(${tables})\\b`, "i"), code)).toEqual([]);
  });

  it("writes survey answers from lib/calls/survey-answers.ts only, insert-only but for the retention job's tombstoned deletes", () => {
    expect(writersOf(/insert\s+into\s+public\.survey_answers\b/i, code)).toEqual([path.join("lib", "calls", "survey-answers.ts")]);
    expect(writersOf(/update\s+public\.survey_answers\b/i, code)).toEqual([]);
    expect(writersOf(/delete\s+from\s+public\.survey_answers\b/i, code)).toEqual([RETENTION]);
  });

  it("deletes recordings only in the retention job", () => {
    expect(writersOf(/delete\s+from\s+public\.recordings\b/i, code)).toEqual([RETENTION]);
  });

  it("writes the daily call counts only in the triggers of their migration, which follow public.calls", () => {
    const write = /(insert\s+into|update|delete\s+from)\s+public\.call_counts\b/i;
    expect(writersOf(write, code)).toEqual([]);
    expect(writersOf(write, files("supabase/migrations", /\.sql$/)).map((f) => path.basename(f))).toEqual(["20261206001200_create_call_counts.sql"]);
  });

  it("writes invitations from lib/orgs/invitations.ts only", () => {
    expect(writersOf(/(insert\s+into|update|delete\s+from)\s+public\.invitations\b/i, code)).toEqual([path.join("lib", "orgs", "invitations.ts")]);
  });

  it("writes local accounts and sessions from lib/auth/local.ts (and the demo seed), address proofs from lib/orgs/address-proofs.ts", () => {
    expect(writersOf(/(insert\s+into|update|delete\s+from)\s+auth\.(users|sessions)\b/i, code)).toEqual([
      path.join("lib", "auth", "local.ts"),
      path.join("scripts", "seed.ts"),
    ]);
    expect(writersOf(/(insert\s+into|update|delete\s+from)\s+private\.address_proofs\b/i, code)).toEqual([path.join("lib", "orgs", "address-proofs.ts")]);
  });

  it("inserts organization events in one SQL function, called from lib/orgs/audit.ts only", () => {
    const insert = /insert\s+into\s+public\.organization_events\b/i;
    expect(writersOf(insert, code)).toEqual([]);
    expect(writersOf(insert, files("supabase/migrations", /\.sql$/)).map((f) => path.basename(f))).toEqual([
      "20261130064000_create_organization_events.sql",
      // The same one function, redefined with who may write which entry (issue 17).
      "20261205000100_guard_organization_events.sql",
      // And again with the do-not-call marks and target imports (issue 20).
      "20261206004100_record_target_events.sql",
    ]);
    expect(writersOf(/append_organization_event/, code)).toEqual([path.join("lib", "orgs", "audit.ts")]);
    expect(writersOf(/(update|delete\s+from)\s+public\.organization_events\b/i, code)).toEqual([]);
  });

  it("writes saved targets from lib/targets/targets.ts only", () => {
    expect(writersOf(/(insert\s+into|update|delete\s+from)\s+public\.voice_targets\b/i, code)).toEqual([path.join("lib", "targets", "targets.ts")]);
  });

  it("writes campaigns from lib/campaigns/campaigns.ts, their targets and attempts from the runner only", () => {
    expect(writersOf(/(insert\s+into|update|delete\s+from)\s+public\.campaigns\b/i, code)).toEqual([path.join("lib", "campaigns", "campaigns.ts")]);
    for (const table of ["campaign_targets", "campaign_attempts"]) {
      expect(writersOf(new RegExp(`(insert\\s+into|update|delete\\s+from)\\s+public\\.${table}\\b`, "i"), code), table).toEqual([path.join("lib", "campaigns", "runner.ts")]);
    }
  });

  it("writes the evidence tables from one module each, insert-only", () => {
    const writers = {
      evidence_manifests: path.join("lib", "evidence-sealing", "manifests.ts"),
      evidence_log_entries: path.join("lib", "evidence-sealing", "merkle-log.ts"),
      evidence_tree_heads: path.join("lib", "evidence-sealing", "merkle-log.ts"),
      evidence_export_statements: path.join("lib", "evidence-sealing", "merkle-log.ts"),
      custody_events: path.join("lib", "evidence-sealing", "custody.ts"),
    };
    for (const [table, writer] of Object.entries(writers)) {
      expect(writersOf(new RegExp(`insert\\s+into\\s+public\\.${table}\\b`, "i"), code), table).toEqual([writer]);
      expect(writersOf(new RegExp(`(update|delete\\s+from)\\s+public\\.${table}\\b`, "i"), code), table).toEqual([]);
    }
    // A version's numbers: inserted with it, then updated only by the re-sealing pass (lib/pii/reseal.ts SEALED_COLUMNS).
    expect(writersOf(/insert\s+into\s+private\.evidence_manifest_numbers\b/i, code)).toEqual([path.join("lib", "evidence-sealing", "manifests.ts")]);
    expect(writersOf(/(update|delete\s+from)\s+private\.evidence_manifest_numbers\b/i, code)).toEqual([]);
  });

  it("writes outbound webhooks' endpoints and secrets from lib/outbound/endpoints.ts, attempts from lib/outbound/deliver.ts, and events and deliveries in one SQL function", () => {
    expect(writersOf(/(insert\s+into|update|delete\s+from)\s+public\.webhook_endpoint(s|_secrets)\b/i, code)).toEqual([path.join("lib", "outbound", "endpoints.ts")]);
    expect(writersOf(/(insert\s+into|update)\s+public\.(webhook_deliveries|webhook_delivery_attempts)\b/i, code)).toEqual([path.join("lib", "outbound", "deliver.ts")]);
    expect(writersOf(/insert\s+into\s+public\.(webhook_events|webhook_deliveries)\b/i, code)).toEqual([]);
    expect(writersOf(/insert\s+into\s+public\.webhook_events\b/i, files("supabase/migrations", /\.sql$/)).map((f) => path.basename(f))).toEqual([
      "20261207003000_create_outbound_webhooks.sql",
    ]);
  });
});
