import { describe, expect, it } from "vitest";
import { ACTIONS, allows, planAtLeast, POLICY, ROLES } from "@/lib/rbac/policy";

describe("policy table (lib/rbac/policy.ts, docs/adr/0003)", () => {
  it("orders plans base < pro < insights < global", () => {
    expect(planAtLeast("pro", "base")).toBe(true);
    expect(planAtLeast("insights", "pro")).toBe(true);
    expect(planAtLeast("global", "insights")).toBe(true);
    expect(planAtLeast("pro", "insights")).toBe(false);
  });

  it("matches the design table's cells", () => {
    expect(ROLES.filter((r) => allows(r, "base", "calls.place"))).toEqual(["owner", "admin", "operator"]);
    expect(ROLES.filter((r) => allows(r, "global", "voice_config.update"))).toEqual(["owner", "admin"]);
    expect(allows("owner", "base", "recording.enable")).toBe(false);
    expect(allows("owner", "pro", "recording.enable")).toBe(true);
    expect(ROLES.filter((r) => allows(r, "pro", "recording.play"))).toEqual(["owner", "admin", "operator", "analyst"]);
    expect(allows("admin", "insights", "translation.enable")).toBe(false);
    expect(allows("admin", "global", "translation.enable")).toBe(true);
    expect(allows("operator", "insights", "shopper.run")).toBe(true);
    expect(allows("analyst", "insights", "shopper.run")).toBe(false);
    expect(ROLES.filter((r) => allows(r, "base", "evidence.export"))).toEqual(["owner", "admin", "analyst"]);
    expect(ROLES.filter((r) => allows(r, "base", "numbers.view"))).not.toContain("viewer");
    // Writing surveys and shopper scripts: owners and admins, insights and up; reading them: all but viewers.
    expect(ROLES.filter((r) => allows(r, "insights", "survey.manage"))).toEqual(["owner", "admin"]);
    expect(ROLES.some((r) => allows(r, "pro", "survey.manage"))).toBe(false);
    expect(ROLES.filter((r) => allows(r, "insights", "survey.read"))).toEqual(["owner", "admin", "operator", "analyst"]);
  });

  it("insights: owners, admins and analysts on insights and up, and whoever may read them may read what they count", () => {
    expect(ROLES.filter((r) => allows(r, "insights", "insights.read"))).toEqual(["owner", "admin", "analyst"]);
    expect(ROLES.some((r) => allows(r, "pro", "insights.read"))).toBe(false);
    // The aggregates run under RLS: a reader without scores, answers or recordings would see zeros, not a refusal.
    for (const role of ROLES) {
      for (const plan of ["insights", "global"] as const) {
        if (!allows(role, plan, "insights.read")) continue;
        for (const needed of ["survey.read", "recording.play", "numbers.view"] as const) expect(allows(role, plan, needed), `${role}/${plan}/${needed}`).toBe(true);
      }
    }
  });

  it("gives every role the page and every action a label", () => {
    for (const role of ROLES) expect(allows(role, "base", "operations.view")).toBe(true);
    for (const action of ACTIONS) expect(POLICY[action].label.length).toBeGreaterThan(3);
  });
});
